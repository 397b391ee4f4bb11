//! Table-lookup unit, used for GELU (hw/vf_lut.v): golden `kernels::requantize::lookup`.

use serde::{Deserialize, Serialize};
use vitfpga_cosim::Port;

use crate::resources::{linear, Family, Resources};
use crate::verilog::{leaf, Param, Rtl};
use crate::{check, HwError};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupUnit {
    pub lanes: usize,
    pub in_bits: u32,
    pub out_bits: u32,
}

impl LookupUnit {
    pub fn new(lanes: usize, in_bits: u32, out_bits: u32) -> Result<Self, HwError> {
        const U: &str = "lookup unit";
        check(U, (1..=256).contains(&lanes), || format!("lanes must lie in 1..=256, got {lanes}"))?;
        check(U, (2..=8).contains(&in_bits) && (2..=8).contains(&out_bits), || {
            format!("bits must lie in 2..=8, got {in_bits} -> {out_bits}")
        })?;
        Ok(LookupUnit { lanes, in_bits, out_bits })
    }
    pub fn latency(&self) -> usize {
        1
    }
    pub fn initiation_interval(&self) -> usize {
        1
    }
    /// Cycles to load a table: one entry per cycle.
    pub fn table_load_cycles(&self) -> usize {
        1 << self.in_bits
    }
    /// Yosys xcup resources: each lane's table is distributed RAM (counted as LUTs).
    pub fn resources(&self) -> Resources {
        self.resources_on(Family::Xcup)
    }

    pub fn resources_on(&self, family: Family) -> Resources {
        let l = self.lanes as f64;
        Resources {
            lut: linear(&LOOKUP_LUT[family.idx()], &[l, 1.0]),
            ff: linear(&LOOKUP_FF[family.idx()], &[l, 1.0]),
            dsp: 0,
            bram18: 0,
            uram: 0,
        }
    }

    pub fn top_name(&self) -> String {
        format!("vitfpga_lut_l{}_i{}_o{}", self.lanes, self.in_bits, self.out_bits)
    }
    pub fn inputs(&self) -> Vec<Port> {
        vec![
            Port::new("tbl_we", 1),
            Port::new("tbl_addr", self.in_bits),
            Port::new("tbl_data", self.out_bits),
            Port::new("x_in", self.lanes as u32 * self.in_bits),
            Port::new("in_valid", 1),
        ]
    }
    pub fn outputs(&self) -> Vec<Port> {
        vec![Port::new("y_out", self.lanes as u32 * self.out_bits), Port::new("out_valid", 1)]
    }
    pub fn rtl(&self) -> Rtl {
        let doc = format!(
            "Table lookup (GELU), {} lanes, {} -> {} bits, latency {}.",
            self.lanes,
            self.in_bits,
            self.out_bits,
            self.latency()
        );
        Rtl::shell(
            self.top_name(),
            &doc,
            leaf::LUT.0,
            &[
                ("L", Param::Int(self.lanes as i64)),
                ("IN_BITS", Param::Int(self.in_bits as i64)),
                ("OUT_BITS", Param::Int(self.out_bits as i64)),
            ],
            self.inputs(),
            self.outputs(),
            &[leaf::LUT],
        )
    }
}

/// Fitted coefficients, [xcup, xc7] (tools/fit_resources.py on hw/calibration/xcup.csv and xc7.csv).
const LOOKUP_LUT: [[f64; 2]; 2] = [[16.0, 4.0], [20.0, 4.0]];
const LOOKUP_FF: [[f64; 2]; 2] = [[8.0, 1.0], [8.0, 1.0]];
