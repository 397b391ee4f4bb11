//! The constant-stream FIFO between the load engine and the exec engine, in cycles.
//!
//! Beat `j` is requested at `issue[j] = max(issue[j-1] + 1, start, pop(beat j - cap) + 1)` (one
//! request per cycle, credit for a beat returns the cycle after the word holding it is popped)
//! and can be popped from `issue[j] + latency`. A word is `beats_per_word` beats. Issue times
//! are computed lazily: a word's beats depend only on pops of earlier words.
//!
//! A DeiT-B program streams millions of words and the search times tens of thousands of
//! programs, so the recurrence keeps O(cap) state: the last issue cycle and the pops a future
//! request can still wait on. When the FIFO holds whole words (`cap` a multiple of
//! `beats_per_word`, as the compiler sizes it) every beat of a word waits on the same pop, and a
//! word's beats are issued in one step.

use std::collections::VecDeque;

#[derive(Clone, Debug)]
pub struct StreamTiming {
    start: u64,
    latency: u64,
    cap: usize,
    bpw: usize,
    total_beats: usize,
    /// Beats issued so far, and the issue cycle of the last of them.
    issued: usize,
    last_issue: u64,
    /// Pop cycles of words `pops_base..popped`; older ones no future request waits on.
    pops: VecDeque<u64>,
    pops_base: usize,
    popped: usize,
}

impl StreamTiming {
    pub fn new(start: u64, latency: usize, cap_beats: usize, beats_per_word: usize, total_beats: usize) -> Self {
        assert!(cap_beats >= beats_per_word && beats_per_word > 0);
        StreamTiming {
            start,
            latency: latency as u64,
            cap: cap_beats,
            bpw: beats_per_word,
            total_beats,
            issued: 0,
            last_issue: 0,
            pops: VecDeque::new(),
            pops_base: 0,
            popped: 0,
        }
    }

    /// Pop cycle of word `w` (already popped, not yet dropped).
    fn pop_of(&self, w: usize) -> u64 {
        self.pops[w - self.pops_base]
    }

    /// Issue every beat up to and including `j`; returns the issue cycle of beat `j`.
    fn issue_through(&mut self, j: usize) -> u64 {
        assert!(j + 1 >= self.issued, "stream beats are issued in order");
        while self.issued <= j {
            let k = self.issued;
            let mut t = if k == 0 { self.start } else { self.last_issue + 1 };
            if k >= self.cap {
                t = t.max(self.pop_of((k - self.cap) / self.bpw) + 1);
            }
            // Whole words: beats k+1.. of this word wait on the same pop, so they follow one per cycle.
            let run = if self.cap.is_multiple_of(self.bpw) && k.is_multiple_of(self.bpw) {
                self.bpw.min(j + 1 - k)
            } else {
                1
            };
            self.last_issue = t + run as u64 - 1;
            self.issued += run;
        }
        self.last_issue
    }

    /// First cycle the next word could be popped.
    pub fn available(&mut self) -> u64 {
        let w = self.popped;
        let last = (w + 1) * self.bpw - 1;
        assert!(last < self.total_beats, "the exec queue read past the end of the constant stream");
        self.issue_through(last) + self.latency
    }

    /// Pop the next word no earlier than `earliest`; returns the pop cycle.
    pub fn pop(&mut self, earliest: u64) -> u64 {
        let t = self.available().max(earliest);
        self.pops.push_back(t);
        self.popped += 1;
        // Requests from beat `issued` on wait on words from (issued - cap) / bpw on.
        let oldest_needed = self.issued.saturating_sub(self.cap) / self.bpw;
        while self.pops_base < oldest_needed {
            self.pops.pop_front();
            self.pops_base += 1;
        }
        t
    }

    /// Cycle the last beat of the stream was requested (load-queue completion uses arrivals).
    pub fn last_arrival(&mut self) -> u64 {
        if self.total_beats == 0 {
            return self.start;
        }
        self.issue_through(self.total_beats - 1) + self.latency
    }

    pub fn words_popped(&self) -> usize {
        self.popped
    }

    /// Whether this state is `earlier` moved on by `words` popped words and `dt` cycles: every
    /// beat and word index later by `words` (in beats, `words * beats_per_word`), every issue
    /// and pop cycle later by `dt`. The recurrence refers to no absolute cycle once a beat has
    /// been issued, so two such states have the same future, shifted.
    pub fn is_shift_of(&self, earlier: &StreamTiming, words: usize, dt: u64) -> bool {
        self.popped == earlier.popped + words
            && self.issued == earlier.issued + words * self.bpw
            && earlier.issued > 0
            && self.last_issue == earlier.last_issue + dt
            && self.pops_base == earlier.pops_base + words
            && self.pops.len() == earlier.pops.len()
            && self.pops.iter().zip(&earlier.pops).all(|(&a, &b)| a == b + dt)
    }

    /// Move on by `periods` times (`words`, `dt`) at once: what popping `periods` more periods
    /// of `words` words gives when the last period was a shift of the one before
    /// (`is_shift_of`).
    pub fn skip_periods(&mut self, periods: u64, words: usize, dt: u64) {
        let n = periods as usize * words;
        self.popped += n;
        self.issued += n * self.bpw;
        self.pops_base += n;
        self.last_issue += periods * dt;
        for p in self.pops.iter_mut() {
            *p += periods * dt;
        }
        assert!(self.popped * self.bpw <= self.total_beats, "the exec queue read past the end of the constant stream");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recurrence as written in the module docs, one beat at a time, every cycle kept.
    fn reference(start: u64, lat: u64, cap: usize, bpw: usize, earliest: &[u64]) -> (Vec<u64>, u64) {
        let beats = earliest.len() * bpw;
        let (mut issue, mut pops): (Vec<u64>, Vec<u64>) = (Vec::new(), Vec::new());
        let issue_beat = |j: usize, pops: &Vec<u64>, issue: &mut Vec<u64>| {
            while issue.len() <= j {
                let k = issue.len();
                let mut t = issue.last().map_or(start, |&p| p + 1);
                if k >= cap {
                    t = t.max(pops[(k - cap) / bpw] + 1);
                }
                issue.push(t);
            }
            issue[j]
        };
        for (w, &e) in earliest.iter().enumerate() {
            let t = (issue_beat((w + 1) * bpw - 1, &pops, &mut issue) + lat).max(e);
            pops.push(t);
        }
        let last = issue_beat(beats - 1, &pops, &mut issue) + lat;
        (pops, last)
    }

    /// Pops of a consumer that asks for the next word `gap(w)` cycles after the previous pop.
    fn run(start: u64, lat: u64, cap: usize, bpw: usize, gaps: &[u64]) -> (Vec<u64>, u64) {
        let mut s = StreamTiming::new(start, lat as usize, cap, bpw, gaps.len() * bpw);
        let mut pops = Vec::new();
        let mut prev = 0;
        for &g in gaps {
            prev = s.pop(prev + g);
            pops.push(prev);
        }
        (pops, s.last_arrival())
    }

    #[test]
    fn equals_the_per_beat_recurrence() {
        // Deterministic pseudo-random consumers: bursts, stalls, whole and partial-word FIFOs.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for case in 0..400 {
            let mut next = || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let bpw = 1 + (next() % 4) as usize;
            let cap = bpw + (next() % 12) as usize;
            let lat = 1 + next() % 20;
            let start = next() % 9;
            let n = 1 + (next() % 60) as usize;
            let gaps: Vec<u64> = (0..n).map(|_| if next() % 3 == 0 { next() % 40 } else { next() % 3 }).collect();
            let (pops, last) = run(start, lat, cap, bpw, &gaps);
            let mut earliest = Vec::new();
            let mut prev = 0;
            for (i, &g) in gaps.iter().enumerate() {
                earliest.push(prev + g);
                prev = pops[i];
            }
            let (ref_pops, ref_last) = reference(start, lat, cap, bpw, &earliest);
            assert_eq!((pops, last), (ref_pops, ref_last), "case {case}: bpw {bpw} cap {cap} lat {lat}");
        }
    }

    #[test]
    fn keeps_only_the_pops_a_request_can_wait_on() {
        let (bpw, cap) = (2, 8);
        let mut s = StreamTiming::new(0, 5, cap, bpw, 20_000 * bpw);
        let mut t = 0;
        for _ in 0..20_000 {
            t = s.pop(t + 1);
        }
        assert!(s.pops.len() <= cap / bpw + 2, "{} pops kept", s.pops.len());
    }
}
