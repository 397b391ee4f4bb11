use serde::Serialize;
use vitfpga_graph::passes::cost::node_cost;

use crate::error::CliError;
use crate::output::Output;

#[derive(clap::Args)]
pub struct Args {
    /// Preset name or model TOML path
    #[arg(long)]
    model: String,
}

#[derive(Serialize)]
struct Op {
    name: String,
    op: &'static str,
    layer_type: String,
    shape: Vec<usize>,
    macs: u64,
    params: u64,
}

#[derive(Serialize)]
struct Info {
    model: vitfpga_model::ModelConfig,
    macs: u64,
    params: u64,
    ops: Vec<Op>,
}

pub fn run(a: Args, out: Output) -> Result<(), CliError> {
    let cfg = vitfpga_model::ModelConfig::resolve(&a.model)?;
    let g = vitfpga_graph::build_vit(&cfg)?;
    let ops: Vec<Op> = g
        .topo_order()?
        .into_iter()
        .map(|id| {
            let n = g.node(id);
            let c = node_cost(n);
            Op {
                name: n.name.clone(),
                op: n.kind.mnemonic(),
                layer_type: n.layer_type.name(),
                shape: n.shape.clone(),
                macs: c.macs,
                params: c.params,
            }
        })
        .collect();
    let info =
        Info { macs: ops.iter().map(|o| o.macs).sum(), params: ops.iter().map(|o| o.params).sum(), model: cfg, ops };
    out.data(&info, || {
        let mut t =
            format!("{:<24} {:<14} {:<13} {:<16} {:>14} {:>11}\n", "node", "op", "type", "shape", "MACs", "params");
        for o in &info.ops {
            t += &format!(
                "{:<24} {:<14} {:<13} {:<16} {:>14} {:>11}\n",
                o.name,
                o.op,
                o.layer_type,
                format!("{:?}", o.shape),
                o.macs,
                o.params
            );
        }
        t + &format!(
            "total: {:.3} GMAC, {:.2} M parameters ({} MACs, {} parameters)\n",
            info.macs as f64 / 1e9,
            info.params as f64 / 1e6,
            info.macs,
            info.params
        )
    });
    Ok(())
}
