//! Losses for the heads, with transformers' label conventions.

use candle_core::{DType, Device, Tensor, D};

use super::error::{ModelError, Result};

/// Mean cross-entropy over the positions whose label is not -100 (transformers' ignore index).
/// `logits` `[b, s, vocab]`, `labels` `[b, s]` of any integer dtype.
pub fn masked_lm_loss(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    let vocab = logits.dim(D::Minus1)?;
    let flat = logits.reshape(((), vocab))?;
    let labels = labels
        .to_dtype(DType::I64)?
        .flatten_all()?
        .to_vec1::<i64>()?;
    if labels.len() != flat.dim(0)? {
        return Err(ModelError::Input(format!(
            "labels hold {} positions, logits {}",
            labels.len(),
            flat.dim(0)?
        )));
    }
    let (positions, targets): (Vec<u32>, Vec<u32>) = labels
        .iter()
        .enumerate()
        .filter(|(_, &l)| l != -100)
        .map(|(i, &l)| match u32::try_from(l) {
            Ok(t) if (t as usize) < vocab => Ok((i as u32, t)),
            _ => Err(ModelError::Input(format!(
                "label {l} is neither -100 nor a token id below {vocab}"
            ))),
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    if positions.is_empty() {
        return Err(ModelError::Input("no labelled (masked) positions".into()));
    }
    let n = positions.len();
    let positions = Tensor::from_vec(positions, n, &Device::Cpu)?.to_device(logits.device())?;
    let targets = Tensor::from_vec(targets, n, &Device::Cpu)?.to_device(logits.device())?;
    Ok(crate::model::fused::cross_entropy(
        &flat.index_select(&positions, 0)?,
        &targets,
    )?)
}

/// Mean cross-entropy of `[n, classes]` logits against `[n]` class ids.
pub fn classification_loss(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    let (n, classes) = logits.dims2()?;
    let labels = labels.to_dtype(DType::U32)?;
    if labels.dims() != [n] {
        return Err(ModelError::Input(format!(
            "labels have shape {:?}, expected [{n}]",
            labels.dims()
        )));
    }
    if labels.max_all()?.to_scalar::<u32>()? as usize >= classes {
        return Err(ModelError::Input(format!(
            "a label is not below {classes} classes"
        )));
    }
    Ok(crate::model::fused::cross_entropy(logits, &labels)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_minus_100_and_matches_hand_computation() {
        let dev = Device::Cpu;
        // Two positions, vocab 3; only the second is labelled (class 2).
        let logits = Tensor::new(&[[[1f32, 2., 3.], [0., 0., 1.]]], &dev).unwrap();
        let labels = Tensor::new(&[[-100i64, 2]], &dev).unwrap();
        let loss = masked_lm_loss(&logits, &labels)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        let want = -(1f32.exp() / (2. + 1f32.exp())).ln();
        assert!((loss - want).abs() < 1e-6);
        let none = Tensor::new(&[[-100i64, -100]], &dev).unwrap();
        assert!(masked_lm_loss(&logits, &none).is_err());
        let bad = Tensor::new(&[[3i64, -100]], &dev).unwrap();
        assert!(masked_lm_loss(&logits, &bad)
            .unwrap_err()
            .to_string()
            .contains("label 3"));
    }
}
