//! The masking lab's grid: one sentence (or passage) masked over N epochs, a row per epoch, with the
//! counts and rates the lab charts. Pure data in and out, so the worker computes it and the page draws it.

use serde::{Deserialize, Serialize};

use super::{EpochStats, MaskingConfig};

/// What happened to one token in one epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GridCell {
    /// Not a target.
    Plain,
    /// Target shown as `[MASK]`.
    Mask,
    /// Target shown as this random piece.
    Random(String),
    /// Target shown as itself.
    Keep,
    /// `[CLS]`, `[SEP]`: never a target.
    Special,
}

/// The masking lab's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaskingGrid {
    pub pieces: Vec<String>,
    pub config: MaskingConfig,
    /// `rows[epoch][token]`.
    pub rows: Vec<Vec<GridCell>>,
    /// Per epoch: counts, and positions that were a target in this or an earlier epoch.
    pub epochs: Vec<EpochStats>,
    /// Tokens that can be targets (non-special).
    pub candidates: usize,
}
