//! The embedding tables' gradient, a scatter-add done deterministically
//! (`shaders/embedding_backward.wgsl`).

use std::collections::BTreeMap;

use super::super::context::{GpuContext, GpuError};
use super::super::kernels::At;
use super::launch::{check, word, Launch};
use super::BackwardKernels;

/// The kernel's index for the token ids `ids` of a batch (word, position or segment ids) into a
/// table of `rows` rows: `[touched, rows touched (ascending), starts (touched + 1), tokens grouped
/// by row]`, padded to `3 · ids.len() + 2` words (every row touched once) so one buffer, rewritten
/// each batch, fits every batch of the shape.
pub fn embedding_index(ids: &[u32], rows: usize) -> Result<Vec<u32>, GpuError> {
    if let Some(bad) = ids.iter().find(|&&id| id as usize >= rows) {
        return Err(GpuError::Model(format!(
            "id {bad} is outside the table's {rows} rows"
        )));
    }
    let mut by_row: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (t, &id) in ids.iter().enumerate() {
        by_row.entry(id).or_default().push(word("token", t)?);
    }
    let touched = word("rows", by_row.len())?;
    let mut index = vec![touched];
    index.extend(by_row.keys());
    let mut start = 0;
    index.push(0);
    for tokens in by_row.values() {
        start += tokens.len() as u32;
        index.push(start);
    }
    index.extend(by_row.into_values().flatten());
    index.resize(3 * ids.len() + 2, 0);
    Ok(index)
}

/// `table[ids[t]] += dx[t]` for the `tokens` rows of `dx` (`[tokens, dim]`), `index` from
/// [`embedding_index`] for a table of `rows` rows. Always adds: zero the table's gradient when an
/// accumulation round starts.
pub fn embedding_grad(
    ctx: &GpuContext,
    kernels: &BackwardKernels,
    (tokens, dim, rows): (usize, usize, usize),
    index: &wgpu::Buffer,
    dx: At,
    table: At,
) -> Result<Launch, GpuError> {
    if (index.size() as usize) < (3 * tokens + 2) * 4 {
        return Err(GpuError::Unsupported(format!(
            "an embedding index buffer of {} bytes; {tokens} tokens need {}",
            index.size(),
            (3 * tokens + 2) * 4
        )));
    }
    check("embedding output gradient", dx, tokens * dim)?;
    check("embedding table gradient", table, rows * dim)?;
    let params = [
        word("dim", dim)?,
        word("offset", dx.1)?,
        word("offset", table.1)?,
        0,
    ];
    Launch::new(
        ctx,
        &kernels.embedding,
        &params,
        &[index, dx.0, table.0],
        [dim.div_ceil(64), tokens, 1],
    )
}
