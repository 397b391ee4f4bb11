//! The constant-stream FIFO between the load engine and the exec engine, in cycles.
//!
//! Beat `j` is requested at `issue[j] = max(issue[j-1] + 1, start, pop(beat j - cap) + 1)` (one
//! request per cycle, credit for a beat returns the cycle after the word holding it is popped)
//! and can be popped from `issue[j] + latency`. A word is `beats_per_word` beats. Issue times
//! are computed lazily: a word's beats depend only on pops of earlier words.

pub struct StreamTiming {
    start: u64,
    latency: u64,
    cap: usize,
    bpw: usize,
    total_beats: usize,
    issue: Vec<u64>,
    pops: Vec<u64>,
}

impl StreamTiming {
    pub fn new(start: u64, latency: usize, cap_beats: usize, beats_per_word: usize, total_beats: usize) -> Self {
        assert!(cap_beats >= beats_per_word);
        StreamTiming {
            start,
            latency: latency as u64,
            cap: cap_beats,
            bpw: beats_per_word,
            total_beats,
            issue: Vec::with_capacity(total_beats),
            pops: Vec::new(),
        }
    }

    fn issue_beat(&mut self, j: usize) -> u64 {
        while self.issue.len() <= j {
            let k = self.issue.len();
            let mut t = self.issue.last().map_or(self.start, |&p| p + 1);
            if k >= self.cap {
                let w = (k - self.cap) / self.bpw;
                t = t.max(self.pops[w] + 1);
            }
            self.issue.push(t);
        }
        self.issue[j]
    }

    /// First cycle the next word could be popped.
    pub fn available(&mut self) -> u64 {
        let w = self.pops.len();
        let last = (w + 1) * self.bpw - 1;
        assert!(last < self.total_beats, "the exec queue read past the end of the constant stream");
        self.issue_beat(last) + self.latency
    }

    /// Pop the next word no earlier than `earliest`; returns the pop cycle.
    pub fn pop(&mut self, earliest: u64) -> u64 {
        let t = self.available().max(earliest);
        self.pops.push(t);
        t
    }

    /// Cycle the last beat of the stream was requested (load-queue completion uses arrivals).
    pub fn last_arrival(&mut self) -> u64 {
        if self.total_beats == 0 {
            return self.start;
        }
        self.issue_beat(self.total_beats - 1) + self.latency
    }

    pub fn words_popped(&self) -> usize {
        self.pops.len()
    }
}
