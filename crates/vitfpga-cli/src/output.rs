//! What a command prints and how it writes files. `--json` and `--quiet` are global flags, read
//! here and nowhere else, so every command treats them the same way; and every file a command
//! writes appears complete or not at all.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::CliError;

/// The global output flags.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct Output {
    /// Print the result as one JSON document on stdout instead of text
    #[arg(long, global = true)]
    pub json: bool,
    /// On success print only what was asked for (the JSON document, a listing); no notes,
    /// warnings, progress bars or summaries. Errors are always printed.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

impl Output {
    /// A command's result: the JSON document under `--json`, else the text unless `--quiet`.
    pub fn result(&self, json: &impl Serialize, text: impl FnOnce() -> String) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(json).expect("serialisable"));
        } else if !self.quiet {
            print!("{}", text());
        }
    }

    /// Data the command exists to print (a listing, a table): printed even under `--quiet`.
    pub fn data(&self, json: &impl Serialize, text: impl FnOnce() -> String) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(json).expect("serialisable"));
        } else {
            print!("{}", text());
        }
    }

    /// A note on stderr (what was assumed, what was skipped), unless `--quiet`.
    pub fn note(&self, message: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("note: {message}");
        }
    }

    /// A warning on stderr, unless `--quiet`.
    pub fn warn(&self, message: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("warning: {message}");
        }
    }

    /// A progress bar on stderr for long work (co-simulation, search, calibration). Drawn only
    /// when stderr is a terminal (indicatif hides it otherwise), and never under `--quiet` or
    /// `--json`, so piped and machine-read output stays clean.
    pub fn progress(&self, len: u64, what: &str) -> indicatif::ProgressBar {
        if self.quiet || self.json {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(len);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed}, eta {eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(what.to_string());
        bar
    }
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> CliError + 'a {
    move |source| CliError::Io { op, path: path.display().to_string(), source }
}

/// Write one file: into a temporary sibling, then rename over `path`, so a reader (or a run
/// killed midway) sees the old file or the new one, never a truncated one. Missing parent
/// folders are created, as `write_dir` does; an existing directory at `path` is an error.
pub fn write_file(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), CliError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    if path.is_dir() {
        return Err(CliError::Usage(format!("{} is a directory; give a file name to write", path.display())));
    }
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    // Errors name the user's path, never the hidden temporary.
    let result = std::fs::write(&tmp, bytes)
        .map_err(io("write", path))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(io("write", path)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A directory path the tool may create or write into: neither it nor any folder on the way is a
/// plain file. Cheap; commands call it before their expensive work.
pub fn check_dir_path(dir: &Path) -> Result<(), CliError> {
    for a in dir.ancestors().filter(|a| !a.as_os_str().is_empty()) {
        if std::fs::metadata(a).is_ok_and(|m| !m.is_dir()) {
            return Err(CliError::Usage(if a == dir {
                format!("--out {} is a file, not a directory", dir.display())
            } else {
                format!("--out {}: {} is a file, not a directory", dir.display(), a.display())
            }));
        }
    }
    Ok(())
}

/// The file that marks a directory as written by vitfpga: the files it wrote there, one
/// relative path per line. A later run replaces such a directory only if it holds nothing else.
pub const MANIFEST: &str = ".vitfpga-manifest";

/// Whether `out` may be replaced by a directory this tool writes: it does not exist, or it is a
/// directory whose every file is listed in its manifest (an earlier output), or `force` is set.
/// Never a plain file. Cheap: commands call it before their expensive work, and `write_dir`
/// again before it replaces anything.
pub fn check_replaceable(out: &Path, force: bool) -> Result<(), CliError> {
    check_dir_path(out)?;
    // The current directory (or one holding it) cannot be swapped: the shell would be left in a
    // deleted directory.
    if let (Ok(cwd), Ok(target)) = (std::env::current_dir(), std::fs::canonicalize(out)) {
        if cwd.starts_with(&target) {
            return Err(CliError::Usage(format!(
                "--out {} is the current directory (or holds it); a build replaces its directory whole, so give \
                 a subdirectory such as --out build",
                out.display()
            )));
        }
    }
    let meta = match std::fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io("read", out)(e)),
    };
    // `check_dir_path` refused plain files (through links too); what is left is a dangling link.
    if !std::fs::metadata(out).map(|m| m.is_dir()).unwrap_or(meta.is_dir()) {
        return Err(CliError::Usage(format!(
            "--out {} is a file, not a directory; refusing to replace it (choose another --out)",
            out.display()
        )));
    }
    if force {
        return Ok(());
    }
    let listed: std::collections::BTreeSet<String> = std::fs::read_to_string(out.join(MANIFEST))
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default();
    let mut foreign = Vec::new();
    files_under(out, Path::new(""), &mut foreign).map_err(io("read", out))?;
    // A folder is ours only if it holds a listed file (`vivado/project/`, made by Vivado, is not).
    let ours = |f: &str| match f.strip_suffix('/') {
        Some(dir) => listed.iter().any(|l| l.starts_with(&format!("{dir}/"))),
        None => f == MANIFEST || listed.contains(f),
    };
    foreign.retain(|f| !ours(f));
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    let shown: Vec<&str> = foreign.iter().take(3).map(String::as_str).collect();
    let more = if foreign.len() > 3 { format!(" and {} more", foreign.len() - 3) } else { String::new() };
    Err(CliError::Usage(format!(
        "--out {} holds files vitfpga did not write ({}{more}); refusing to replace it: choose another --out, \
         move those files, or pass --force to delete them",
        out.display(),
        shown.join(", ")
    )))
}

/// Every file and folder under `dir`, as paths relative to the top, `/`-separated; folders end
/// in `/`.
fn files_under(dir: &Path, rel: &Path, acc: &mut Vec<String>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir.join(rel))? {
        let e = e?;
        let r = rel.join(e.file_name());
        if e.file_type()?.is_dir() {
            acc.push(format!("{}/", r.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/")));
            files_under(dir, &r, acc)?;
        } else {
            acc.push(r.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/"));
        }
    }
    Ok(())
}

/// Write a whole directory of files (relative path, contents) as one unit: everything goes into
/// a hidden temporary sibling, which replaces `out` only when complete, by an atomic exchange
/// where the platform has one, else by moving the old `out` aside first and deleting it last.
/// A run killed at any point leaves the old directory or the new one under `out` (with the
/// fallback, possibly neither for an instant, the old one then waiting as `.name.old-PID`), plus
/// hidden leftovers the next run clears; never a half-written directory. The new directory
/// carries a manifest of its files; an existing `out` is replaced only as `check_replaceable`
/// allows, so nothing the tool did not write is ever deleted without `force`.
pub fn write_dir(out: &Path, files: &[(PathBuf, Vec<u8>)], force: bool) -> Result<(), CliError> {
    check_replaceable(out, force)?;
    // Work on the resolved path, so `.`, `..` and trailing slashes name a real parent and name.
    let target = if out.exists() {
        std::fs::canonicalize(out).map_err(io("read", out))?
    } else {
        let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(io("create", parent))?;
        let name =
            out.file_name().ok_or_else(|| CliError::Usage(format!("--out {} names no directory", out.display())))?;
        std::fs::canonicalize(parent).map_err(io("read", parent))?.join(name)
    };
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
        return Err(CliError::Usage(format!("--out {}: cannot replace the root directory", out.display())));
    };
    let name = name.to_string_lossy().to_string();
    clear_leftovers(parent, &name);
    let pid = std::process::id();
    let tmp = parent.join(format!(".{name}.tmp-{pid}"));
    let old = parent.join(format!(".{name}.old-{pid}"));
    let _ = std::fs::remove_dir_all(&tmp);
    let mut listed: Vec<String> =
        files.iter().map(|(rel, _)| rel.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/")).collect();
    listed.sort();
    let manifest = (PathBuf::from(MANIFEST), (listed.join("\n") + "\n").into_bytes());
    std::fs::create_dir(&tmp).map_err(io("create", out))?;
    let written = files.iter().chain(std::iter::once(&manifest)).try_for_each(|(rel, bytes)| {
        let path = tmp.join(rel);
        let shown = out.join(rel);
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).map_err(|e| io("write", &shown)(e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| io("write", &shown)(e))
    });
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    // The new directory keeps the old one's permissions (a user's `chmod 750` survives a rebuild).
    if let Ok(m) = std::fs::metadata(&target) {
        let _ = std::fs::set_permissions(&tmp, m.permissions());
    }
    if target.is_dir() && exchange(&tmp, &target) {
        // One atomic step: `out` is now the new build and `tmp` holds the old one.
        let _ = std::fs::remove_dir_all(&tmp);
        return Ok(());
    }
    if target.exists() {
        if let Err(e) = std::fs::rename(&target, &old).map_err(io("replace", out)) {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    }
    if let Err(e) = std::fs::rename(&tmp, &target).map_err(io("replace", out)) {
        // Put the old directory back: a failed run loses nothing.
        let _ = std::fs::rename(&old, &target);
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Swap two directories atomically (Linux `renameat2(RENAME_EXCHANGE)`); false where the
/// kernel, file system or platform cannot, and the caller falls back to two renames.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn exchange(a: &Path, b: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let (Ok(a), Ok(b)) =
        (std::ffi::CString::new(a.as_os_str().as_bytes()), std::ffi::CString::new(b.as_os_str().as_bytes()))
    else {
        return false;
    };
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    unsafe { libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE) == 0 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
}

/// Clear what runs that were killed (their PID is gone) left beside `name`: a `.name.tmp-PID`
/// is deleted; a `.name.old-PID` is the previous output, moved back to `name` if the killed run
/// got no further, else deleted. Liveness is read from /proc; without it nothing is touched.
fn clear_leftovers(parent: &Path, name: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    let dead = |pid: &str| {
        pid.parse::<u32>().is_ok_and(|p| p != std::process::id() && !Path::new(&format!("/proc/{p}")).exists())
    };
    let mut entries: Vec<_> =
        entries.flatten().map(|e| (e.file_name().to_string_lossy().to_string(), e.path())).collect();
    entries.sort();
    for (file, path) in entries {
        if file.strip_prefix(&format!(".{name}.tmp-")).is_some_and(dead) {
            let _ = std::fs::remove_dir_all(&path);
        } else if file.strip_prefix(&format!(".{name}.old-")).is_some_and(dead) {
            let out = parent.join(name);
            if out.exists() || std::fs::rename(&path, &out).is_err() {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PID no process has: above the kernel's pid_max limit (2^22).
    const DEAD: u32 = 4_999_999;

    #[test]
    fn a_directory_is_replaced_whole_and_leftovers_of_killed_runs_are_cleared() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("build");
        write_dir(&out, &[("a/x.txt".into(), b"one".to_vec()), ("y.txt".into(), b"1".to_vec())], false).unwrap();
        // A run killed while writing, and one killed after moving its old output aside.
        std::fs::create_dir_all(tmp.path().join(format!(".build.tmp-{DEAD}/a"))).unwrap();
        std::fs::create_dir_all(tmp.path().join(format!(".build.old-{DEAD}"))).unwrap();
        write_dir(&out, &[("y.txt".into(), b"2".to_vec())], false).unwrap();
        assert_eq!(std::fs::read(out.join("y.txt")).unwrap(), b"2");
        assert!(!out.join("a").exists(), "the old directory's files are gone with it");
        let names: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("build")], "leftovers remain: {names:?}");
    }

    #[test]
    fn a_run_killed_between_the_renames_gets_its_old_output_back() {
        let tmp = tempfile::tempdir().unwrap();
        let old = tmp.path().join(format!(".build.old-{DEAD}"));
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join("summary.json"), "{}").unwrap();
        clear_leftovers(tmp.path(), "build");
        assert_eq!(std::fs::read_to_string(tmp.path().join("build/summary.json")).unwrap(), "{}");
    }

    #[test]
    fn a_failed_write_leaves_the_old_output_and_no_temporary() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("build");
        write_dir(&out, &[("y.txt".into(), b"1".to_vec())], false).unwrap();
        // A file where a directory must go: the write fails midway.
        let e = write_dir(&out, &[("z".into(), vec![]), ("z/w.txt".into(), vec![])], false).unwrap_err();
        assert!(e.to_string().contains("z"), "{e}");
        assert_eq!(std::fs::read(out.join("y.txt")).unwrap(), b"1");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_directory_with_files_the_tool_did_not_write_is_never_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("mine");
        std::fs::create_dir_all(out.join("sub")).unwrap();
        std::fs::write(out.join("notes.txt"), "keep").unwrap();
        std::fs::write(out.join("sub/data.txt"), "keep").unwrap();
        let e = write_dir(&out, &[("y.txt".into(), b"1".to_vec())], false).unwrap_err().to_string();
        assert!(e.contains("notes.txt") && e.contains("sub/data.txt") && e.contains("--force"), "{e}");
        assert_eq!(std::fs::read_to_string(out.join("sub/data.txt")).unwrap(), "keep");
        // A plain file is never turned into a directory, even with force.
        let file = tmp.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let e = write_dir(&file, &[("y.txt".into(), b"1".to_vec())], true).unwrap_err().to_string();
        assert!(e.contains("is a file"), "{e}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
        // An earlier output is replaced; once a user file is added to it, it is not.
        let build = tmp.path().join("build");
        write_dir(&build, &[("a/y.txt".into(), b"1".to_vec())], false).unwrap();
        write_dir(&build, &[("a/y.txt".into(), b"2".to_vec())], false).unwrap();
        std::fs::write(build.join("a/mine.txt"), "keep").unwrap();
        assert!(write_dir(&build, &[("y.txt".into(), b"3".to_vec())], false).is_err());
        assert_eq!(std::fs::read_to_string(build.join("a/y.txt")).unwrap(), "2");
        // Force replaces it; the empty directory is fine without.
        write_dir(&build, &[("y.txt".into(), b"3".to_vec())], true).unwrap();
        assert!(!build.join("a").exists());
        std::fs::create_dir(tmp.path().join("empty")).unwrap();
        write_dir(&tmp.path().join("empty"), &[("y.txt".into(), b"4".to_vec())], false).unwrap();
    }
}
