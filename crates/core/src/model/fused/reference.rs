//! The candle ops each kernel replaces, composed as before the kernels existed: the reference a
//! fixed-seed training run is checked against (`with_composed_ops`), and nothing else.

use std::cell::Cell;

use candle_core::{DType, Result, Tensor, D};

thread_local! {
    static COMPOSED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with every kernel of [`super`] replaced by the candle ops it fuses, on this thread.
pub fn with_composed_ops<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            COMPOSED.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(COMPOSED.with(|c| c.replace(true)));
    f()
}

pub(super) fn active() -> bool {
    COMPOSED.with(Cell::get)
}

pub(super) fn layer_norm(xs: &Tensor, w: &Tensor, b: &Tensor, eps: f64) -> Result<Tensor> {
    let mean = xs.mean_keepdim(D::Minus1)?;
    let centered = xs.broadcast_sub(&mean)?;
    let var = centered.sqr()?.mean_keepdim(D::Minus1)?;
    centered
        .broadcast_div(&(var + eps)?.sqrt()?)?
        .broadcast_mul(w)?
        .broadcast_add(b)
}

pub(super) fn attention_softmax(
    scores: &Tensor,
    mask: Option<&Tensor>,
    scale: f64,
) -> Result<Tensor> {
    let scores = (scores * scale)?;
    let scores = match mask {
        Some(m) => scores.broadcast_add(m)?,
        None => scores,
    };
    candle_nn::ops::softmax(&scores, D::Minus1)
}

pub(super) fn linear(xs: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    xs.broadcast_matmul(&w.t()?)?.broadcast_add(b)
}

pub(super) fn cross_entropy(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    candle_nn::loss::cross_entropy(logits, &targets.to_dtype(DType::U32)?)
}
