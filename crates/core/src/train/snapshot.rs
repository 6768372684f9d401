//! A training run's resumable state as one safetensors file, for the lab's runs in the browser:
//! the trained weights (`w.NAME`), the AdamW moments (`m.NAME`, `v.NAME`) and, in the header's
//! metadata, the file's format and where the run stands. The trainers' data order, masking and
//! dropout follow from the seed and the update count, so a run restored from a snapshot makes
//! exactly the updates the uninterrupted run would have made.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};

use super::optimizer::AdamW;
use super::TrainError;

/// The metadata a snapshot carries besides its tensors.
pub(crate) type Fields = HashMap<String, String>;

fn bad(why: String) -> TrainError {
    TrainError::Resume(format!("the saved run {why}"))
}

/// The weights `opt` trains, its moments, and `fields` under `format`.
pub(crate) fn write(opt: &AdamW, format: &str, fields: Fields) -> Result<Vec<u8>, TrainError> {
    let (mut tensors, adam_steps) = opt.state()?;
    for (name, var) in opt.vars() {
        tensors.push((format!("w.{name}"), var.as_tensor().clone()));
    }
    let mut metadata = fields;
    metadata.insert("format".into(), format.into());
    metadata.insert("adam_steps".into(), adam_steps.to_string());
    safetensors::serialize(
        tensors.iter().map(|(name, t)| (name.as_str(), t)),
        Some(metadata),
    )
    .map_err(|e| TrainError::Resume(format!("cannot write the snapshot: {e}")))
}

/// A number of the snapshot's metadata.
pub(crate) fn number<T: std::str::FromStr>(fields: &Fields, key: &str) -> Result<T, TrainError> {
    fields
        .get(key)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| bad(format!("has no {key}")))
}

/// Puts the weights and moments of `bytes` (a [`write`] of `format`) into `opt`, once `accept`
/// has agreed to its metadata; returns the metadata. Anything refused leaves `opt` as it was.
pub(crate) fn restore(
    opt: &mut AdamW,
    format: &str,
    bytes: &[u8],
    accept: impl FnOnce(&Fields) -> Result<(), TrainError>,
) -> Result<Fields, TrainError> {
    let (_, header) = safetensors::SafeTensors::read_metadata(bytes)
        .map_err(|e| bad(format!("is unreadable ({e})")))?;
    let fields = header.metadata().clone().unwrap_or_default();
    if fields.get("format").map(String::as_str) != Some(format) {
        return Err(bad(format!("is not a {format} snapshot")));
    }
    let adam_steps: usize = number(&fields, "adam_steps")?;
    accept(&fields)?;
    let file = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("is unreadable ({e})")))?;
    let mut tensors = HashMap::new();
    for (name, view) in file.iter() {
        if view.dtype() != safetensors::Dtype::F32 {
            return Err(bad(format!("stores {name} as {:?}, not F32", view.dtype())));
        }
        let t = Tensor::from_raw_buffer(view.data(), DType::F32, view.shape(), &Device::Cpu)?;
        tensors.insert(name.to_string(), t);
    }
    // Every weight is checked before any changes.
    let mut weights = Vec::new();
    for (name, var) in opt.vars() {
        let key = format!("w.{name}");
        let t = tensors
            .get(&key)
            .ok_or_else(|| bad(format!("lacks {key}")))?;
        if t.dims() != var.dims() {
            return Err(bad(format!(
                "has {key} of shape {:?}, the model needs {:?}",
                t.dims(),
                var.dims()
            )));
        }
        weights.push((var.clone(), t.clone()));
    }
    opt.restore(&tensors, adam_steps)?;
    for (var, t) in weights {
        var.set(&t)?;
    }
    Ok(fields)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    /// A snapshot's metadata and tensors in name order (the header's key order varies).
    pub(crate) fn contents(bytes: &[u8]) -> (BTreeMap<String, String>, BTreeMap<String, Vec<u8>>) {
        let file = safetensors::SafeTensors::deserialize(bytes).expect("snapshot");
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes).expect("header");
        let meta = header.metadata().clone().unwrap_or_default();
        let tensors = file
            .iter()
            .map(|(name, view)| (name.to_string(), view.data().to_vec()))
            .collect();
        (meta.into_iter().collect(), tensors)
    }
}
