use thiserror::Error;

/// Why a masking configuration or input was rejected.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MaskingError {
    #[error("{name} must be a number between 0 and 1, got {value}")]
    RateOutOfRange { name: &'static str, value: f64 },
    #[error(
        "mask_fraction ({mask}) + random_fraction ({random}) = {} exceeds 1; the kept fraction is \
         what remains of 1",
        .mask + .random
    )]
    FractionsExceedOne { mask: f64, random: f64 },
    #[error("static masking needs at least 1 duplicate, got 0")]
    ZeroDuplicates,
    #[error("{what} has {got} entries but the sequence has {expected} tokens")]
    LengthMismatch {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("the grid shows between 1 and {max} epochs, not {epochs}")]
    EpochsOutOfRange { epochs: usize, max: usize },
    #[error("whole-word masking is on but the sequence came without word ids")]
    MissingWordIds,
    #[error(
        "random_fraction is {random_fraction} but the list of random replacement ids is empty"
    )]
    EmptyRandomPool { random_fraction: f64 },
}
