//! The quantisation file: a global default, then overrides per layer group, per layer type and
//! per layer name (hls4ml's Model / LayerType / LayerName), most specific first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vitfpga_graph::{Graph, LayerGroup, LayerType, OpKind};

use crate::QuantError;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalibMethod {
    /// Largest |x| seen over all calibration images.
    Minmax,
    /// Per image, the given percentile of |x|; averaged over images.
    Percentile,
}

/// Bits for one layer; unset fields fall through to the next less specific level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerQuant {
    pub w_bits: Option<u32>,
    pub a_bits: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelDefaults {
    #[serde(default = "eight")]
    pub w_bits: u32,
    #[serde(default = "eight")]
    pub a_bits: u32,
    #[serde(default = "default_method")]
    pub calibration: CalibMethod,
    #[serde(default = "default_percentile")]
    pub percentile: f64,
}

fn eight() -> u32 {
    8
}
fn default_method() -> CalibMethod {
    CalibMethod::Percentile
}
fn default_percentile() -> f64 {
    99.99
}

impl Default for ModelDefaults {
    fn default() -> Self {
        ModelDefaults { w_bits: 8, a_bits: 8, calibration: default_method(), percentile: default_percentile() }
    }
}

/// A whole quantisation file. `layer_type` keys are layer types (`fc1`, `qkv`, `softmax`, ...)
/// or groups (`attention`, `mlp`, `embed_head`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantConfig {
    #[serde(default)]
    pub model: ModelDefaults,
    #[serde(default)]
    pub layer_type: BTreeMap<String, LayerQuant>,
    #[serde(default)]
    pub layer_name: BTreeMap<String, LayerQuant>,
}

/// Bits a node ends up with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub w_bits: u32,
    pub a_bits: u32,
}

fn group_name(g: LayerGroup) -> &'static str {
    match g {
        LayerGroup::Attention => "attention",
        LayerGroup::Mlp => "mlp",
        LayerGroup::EmbedHead => "embed_head",
        LayerGroup::Other => "other",
    }
}

impl QuantConfig {
    pub fn uniform(w_bits: u32, a_bits: u32) -> Self {
        QuantConfig { model: ModelDefaults { w_bits, a_bits, ..Default::default() }, ..Default::default() }
    }

    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, QuantError> {
        let cfg: QuantConfig = toml::from_str(text)
            .map_err(|e| QuantError::Toml { origin: origin.into(), message: e.message().to_string() })?;
        cfg.check_bits()?;
        Ok(cfg)
    }

    pub fn check_bits(&self) -> Result<(), QuantError> {
        check_w("model.w_bits", self.model.w_bits)?;
        check_a("model.a_bits", self.model.a_bits)?;
        if !(self.model.percentile > 50.0 && self.model.percentile <= 100.0) {
            return Err(QuantError::Percentile(self.model.percentile));
        }
        for (section, map) in [("layer_type", &self.layer_type), ("layer_name", &self.layer_name)] {
            for (k, v) in map {
                if let Some(b) = v.w_bits {
                    check_w(&format!("{section}.{k}.w_bits"), b)?;
                }
                if let Some(b) = v.a_bits {
                    check_a(&format!("{section}.{k}.a_bits"), b)?;
                }
            }
        }
        Ok(())
    }

    /// Every override must name something that exists in this graph.
    pub fn check_names(&self, g: &Graph) -> Result<(), QuantError> {
        let types: Vec<String> = LayerType::ALL.iter().map(|t| t.name()).collect();
        for k in self.layer_type.keys() {
            let is_group = ["attention", "mlp", "embed_head", "other"].contains(&k.as_str());
            if !is_group && !types.contains(k) {
                return Err(QuantError::UnknownLayerType { name: k.clone(), types: types.join(", ") });
            }
        }
        for k in self.layer_name.keys() {
            if g.find(k).is_none() {
                return Err(QuantError::UnknownLayer(k.clone()));
            }
        }
        Ok(())
    }

    /// Most specific first: layer name, layer type, layer group, model default.
    pub fn resolve(&self, name: &str, t: LayerType) -> Resolved {
        let levels =
            [self.layer_name.get(name), self.layer_type.get(&t.name()), self.layer_type.get(group_name(t.group()))];
        let pick = |f: fn(&LayerQuant) -> Option<u32>, default: u32| {
            levels.iter().flatten().find_map(|l| f(l)).unwrap_or(default)
        };
        Resolved { w_bits: pick(|l| l.w_bits, self.model.w_bits), a_bits: pick(|l| l.a_bits, self.model.a_bits) }
    }

    /// A readable record of every node's bits, for the `.vq` provenance.
    pub fn describe(&self, g: &Graph) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        m.insert("calibration".into(), format!("{:?} (percentile {})", self.model.calibration, self.model.percentile));
        for id in g.topo_order().expect("acyclic") {
            let n = g.node(id);
            let r = self.resolve(&n.name, n.layer_type);
            let v = match n.kind {
                OpKind::Linear { .. } => format!("w{} a{}", r.w_bits, r.a_bits),
                _ => format!("a{}", r.a_bits),
            };
            m.insert(format!("bits.{}", n.name), v);
        }
        m
    }
}

fn check_w(what: &str, v: u32) -> Result<(), QuantError> {
    if (1..=8).contains(&v) {
        Ok(())
    } else {
        Err(QuantError::Bits { what: what.into(), value: v, range: "weights take 1..=8 bits (1 = binary)" })
    }
}

fn check_a(what: &str, v: u32) -> Result<(), QuantError> {
    if (2..=8).contains(&v) {
        Ok(())
    } else {
        Err(QuantError::Bits { what: what.into(), value: v, range: "activations take 2..=8 bits" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_name_type_group_default() {
        let q = QuantConfig::from_toml_str(
            r#"
            [model]
            w_bits = 8
            a_bits = 8
            [layer_type.mlp]
            a_bits = 6
            [layer_type.fc1]
            w_bits = 4
            [layer_name."blocks.0.mlp.fc1"]
            w_bits = 2
            "#,
            "q.toml",
        )
        .unwrap();
        assert_eq!(q.resolve("blocks.0.mlp.fc1", LayerType::Fc1), Resolved { w_bits: 2, a_bits: 6 });
        assert_eq!(q.resolve("blocks.1.mlp.fc1", LayerType::Fc1), Resolved { w_bits: 4, a_bits: 6 });
        assert_eq!(q.resolve("blocks.1.mlp.fc2", LayerType::Fc2), Resolved { w_bits: 8, a_bits: 6 });
        assert_eq!(q.resolve("blocks.1.attn.qkv", LayerType::Qkv), Resolved { w_bits: 8, a_bits: 8 });
    }

    #[test]
    fn bad_bits_and_toml_are_errors() {
        for (text, needle) in [
            ("[model]\nw_bits = 9", "model.w_bits = 9"),
            ("[model]\nw_bits = 0", "model.w_bits = 0"),
            ("[model]\na_bits = 1", "model.a_bits = 1"),
            ("[layer_type.fc1]\na_bits = 9", "layer_type.fc1.a_bits = 9"),
            ("[model]\nw_bits = \"eight\"", "malformed"),
            ("[model]\nbits = 8", "malformed"),
            ("[model]\npercentile = 20.0", "percentile"),
        ] {
            let e = QuantConfig::from_toml_str(text, "q.toml").unwrap_err().to_string();
            assert!(e.contains(needle), "{e} lacks {needle}");
        }
    }
}
