/// An arbitrary-width bit vector (little-endian 64-bit words), as exchanged with simulators.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Value(pub Vec<u64>);

impl Value {
    pub fn from_u64(v: u64) -> Self {
        Value(vec![v])
    }

    pub fn bit(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| (w >> (i % 64)) & 1 == 1)
    }

    fn set_bit(&mut self, i: usize) {
        if self.0.len() <= i / 64 {
            self.0.resize(i / 64 + 1, 0);
        }
        self.0[i / 64] |= 1 << (i % 64);
    }

    /// Pack `lanes` of `lane_bits` each (two's complement, truncated), lane 0 at bit 0.
    pub fn from_lanes(lanes: &[i64], lane_bits: u32) -> Self {
        let mut v = Value(vec![0; (lanes.len() * lane_bits as usize).div_ceil(64).max(1)]);
        for (l, &x) in lanes.iter().enumerate() {
            for b in 0..lane_bits as usize {
                if (x >> b.min(63)) & 1 == 1 {
                    v.set_bit(l * lane_bits as usize + b);
                }
            }
        }
        v
    }

    /// Unpack `n` lanes of `lane_bits`, sign-extended when `signed`.
    pub fn lanes(&self, lane_bits: u32, n: usize, signed: bool) -> Vec<i64> {
        (0..n)
            .map(|l| {
                let mut x: i64 = 0;
                for b in 0..lane_bits as usize {
                    if self.bit(l * lane_bits as usize + b) {
                        x |= 1 << b;
                    }
                }
                if signed && lane_bits < 64 && (x >> (lane_bits - 1)) & 1 == 1 {
                    x -= 1 << lane_bits;
                }
                x
            })
            .collect()
    }

    /// Exactly `ceil(width/4)` lowercase hex digits, most significant first.
    pub fn to_hex(&self, width: u32) -> String {
        let digits = (width as usize).div_ceil(4).max(1);
        (0..digits)
            .rev()
            .map(|d| {
                let mut nib = 0;
                for b in 0..4 {
                    let i = d * 4 + b;
                    if i < width as usize && self.bit(i) {
                        nib |= 1 << b;
                    }
                }
                char::from_digit(nib, 16).unwrap()
            })
            .collect()
    }

    /// Parse hex; `None` for x/z or other non-hex characters.
    pub fn from_hex(s: &str, width: u32) -> Option<Self> {
        let mut v = Value(vec![0; (width as usize).div_ceil(64).max(1)]);
        for (d, c) in s.chars().rev().enumerate() {
            let nib = c.to_digit(16)?;
            for b in 0..4 {
                let i = d * 4 + b;
                if nib >> b & 1 == 1 {
                    if i >= width as usize {
                        return None;
                    }
                    v.set_bit(i);
                }
            }
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_round_trip() {
        let lanes = [-128, 127, 0, -1, 5];
        let v = Value::from_lanes(&lanes, 8);
        assert_eq!(v.lanes(8, 5, true), lanes);
        assert_eq!(v.to_hex(40), "05ff007f80");
        assert_eq!(Value::from_hex("05ff007f80", 40).unwrap(), v);
        let wide: Vec<i64> = (0..40).map(|i| (i * 977 % 65536) - 32768).collect();
        let w = Value::from_lanes(&wide, 17);
        assert_eq!(w.lanes(17, 40, true), wide);
        assert_eq!(Value::from_hex(&w.to_hex(680), 680).unwrap().lanes(17, 40, true), wide);
        assert!(Value::from_hex("x1", 8).is_none());
        assert_eq!(Value::from_hex("1f", 5).unwrap().lanes(5, 1, true), vec![-1]);
    }
}
