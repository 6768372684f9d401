//! An attribution of a classifier's label to tokens, as the page shows it.

use bertlab_core::train::attribution::Attribution;
use bertlab_protocol::views::{AttributedPiece, AttributionView};

pub fn attribution_view(a: Attribution) -> AttributionView {
    let (completeness_gap, logit_change) = (a.completeness_gap(), a.logit_change());
    AttributionView {
        label: a.label,
        pieces: a
            .pieces
            .into_iter()
            .zip(a.integrated)
            .zip(a.gradient_x_input)
            .map(|((piece, integrated), gradient_x_input)| AttributedPiece {
                piece,
                integrated,
                gradient_x_input,
            })
            .collect(),
        steps: a.steps,
        logit_change,
        completeness_gap,
    }
}
