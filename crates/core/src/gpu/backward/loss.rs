//! Cross-entropy at labelled rows (`shaders/cross_entropy*.wgsl`): the MLM head at masked
//! positions, a tagger at labelled tokens, a sequence classifier with one row per sequence.

use super::super::context::{GpuContext, GpuError};
use super::super::kernels::At;
use super::launch::{check, word, Launch};
use super::BackwardKernels;

/// HF's label for a row without one.
const IGNORED: i64 = -100;

/// The labels as the kernels read them (i32 bits): each in `0..classes`, or −100 for none.
pub fn label_words(labels: &[i64], classes: usize) -> Result<Vec<u32>, GpuError> {
    labels
        .iter()
        .map(|&l| match l {
            IGNORED => Ok(IGNORED as i32 as u32),
            l if (0..classes as i64).contains(&l) => Ok(l as u32),
            l => Err(GpuError::Model(format!(
                "label {l}: neither one of {classes} classes nor {IGNORED}"
            ))),
        })
        .collect()
}

/// The mean cross-entropy over labelled rows of `logits` `[rows, classes]` and its gradient.
pub struct CrossEntropy<'a> {
    pub rows: usize,
    pub classes: usize,
    pub logits: At<'a>,
    /// From [`label_words`], one per row.
    pub labels: &'a wgpu::Buffer,
    /// `(softmax − onehot) / labelled rows`, `[rows, classes]`; zero on unlabelled rows.
    pub grad: At<'a>,
    /// Scratch: one float per row.
    pub row_loss: &'a wgpu::Buffer,
    /// The mean loss, one float (0 when no row is labelled).
    pub loss: At<'a>,
}

/// Two launches, in order: per-row losses and the gradient, then the mean.
pub fn cross_entropy(
    ctx: &GpuContext,
    kernels: &BackwardKernels,
    ce: &CrossEntropy,
) -> Result<[Launch; 2], GpuError> {
    let len = ce.rows * ce.classes;
    check("logits", ce.logits, len)?;
    check("labels", At(ce.labels, 0), ce.rows)?;
    check("logit gradient", ce.grad, len)?;
    check("row losses", At(ce.row_loss, 0), ce.rows)?;
    check("loss", ce.loss, 1)?;
    let params = [
        word("rows", ce.rows)?,
        word("classes", ce.classes)?,
        word("offset", ce.logits.1)?,
        word("offset", ce.grad.1)?,
        word("offset", ce.loss.1)?,
        0,
        0,
        0,
    ];
    let shared = [ce.labels, ce.row_loss];
    Ok([
        Launch::new(
            ctx,
            &kernels.loss_rows,
            &params,
            &[&shared[..], &[ce.logits.0, ce.grad.0]].concat(),
            [ce.rows, 1, 1],
        )?,
        Launch::new(
            ctx,
            &kernels.loss_total,
            &params,
            &[&shared[..], &[ce.loss.0]].concat(),
            [1, 1, 1],
        )?,
    ])
}
