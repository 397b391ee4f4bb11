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

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io { path: path.display().to_string(), source }
}

/// Write one file: into a temporary sibling, then rename over `path`, so a reader (or a run
/// killed midway) sees the old file or the new one, never a truncated one.
pub fn write_file(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), CliError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result =
        std::fs::write(&tmp, bytes).map_err(io(&tmp)).and_then(|()| std::fs::rename(&tmp, path).map_err(io(path)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Write a whole directory of files (relative path, contents) as one unit: everything goes into
/// a hidden temporary sibling, which replaces `out` only when complete, by an atomic exchange
/// where the platform has one, else by moving the old `out` aside first and deleting it last.
/// A run killed at any point leaves the old directory or the new one under `out` (with the
/// fallback, possibly neither for an instant, the old one then waiting as `.name.old-PID`), plus
/// hidden leftovers the next run clears; never a half-written directory.
pub fn write_dir(out: &Path, files: &[(PathBuf, Vec<u8>)]) -> Result<(), CliError> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let name = out.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "out".into());
    clear_leftovers(parent, &name);
    let pid = std::process::id();
    let tmp = parent.join(format!(".{name}.tmp-{pid}"));
    let old = parent.join(format!(".{name}.old-{pid}"));
    let _ = std::fs::remove_dir_all(&tmp);
    let written = files.iter().try_for_each(|(rel, bytes)| {
        let path = tmp.join(rel);
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).map_err(io(d))?;
        }
        std::fs::write(&path, bytes).map_err(io(&path))
    });
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if out.is_dir() && exchange(&tmp, out) {
        // One atomic step: `out` is now the new build and `tmp` holds the old one.
        let _ = std::fs::remove_dir_all(&tmp);
        return Ok(());
    }
    if out.exists() {
        if let Err(e) = std::fs::rename(out, &old).map_err(io(out)) {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    }
    if let Err(e) = std::fs::rename(&tmp, out).map_err(io(out)) {
        // Put the old directory back: a failed run loses nothing.
        let _ = std::fs::rename(&old, out);
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
        write_dir(&out, &[("a/x.txt".into(), b"one".to_vec()), ("y.txt".into(), b"1".to_vec())]).unwrap();
        // A run killed while writing, and one killed after moving its old output aside.
        std::fs::create_dir_all(tmp.path().join(format!(".build.tmp-{DEAD}/a"))).unwrap();
        std::fs::create_dir_all(tmp.path().join(format!(".build.old-{DEAD}"))).unwrap();
        write_dir(&out, &[("y.txt".into(), b"2".to_vec())]).unwrap();
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
        write_dir(&out, &[("y.txt".into(), b"1".to_vec())]).unwrap();
        // A file where a directory must go: the write fails midway.
        let e = write_dir(&out, &[("z".into(), vec![]), ("z/w.txt".into(), vec![])]).unwrap_err();
        assert!(e.to_string().contains("z"), "{e}");
        assert_eq!(std::fs::read(out.join("y.txt")).unwrap(), b"1");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
