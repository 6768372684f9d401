//! What a checkpoint's tensor names say: which parts of a family are task heads, and which
//! component a tensor belongs to.

use crate::model::config::Family;
use crate::model::heads::MlmNames;

/// Top-level key prefixes of the heads transformers defines for a family.
pub(super) fn head_prefixes(family: Family) -> &'static [&'static str] {
    match family {
        Family::Bert => &["cls.", "classifier.", "qa_outputs."],
        Family::Roberta => &["lm_head.", "classifier.", "qa_outputs."],
        Family::Albert => &[
            "predictions.",
            "sop_classifier.",
            "classifier.",
            "qa_outputs.",
        ],
        Family::DistilBert => &[
            "vocab_transform.",
            "vocab_layer_norm.",
            "vocab_projector.",
            "pre_classifier.",
            "classifier.",
            "qa_outputs.",
        ],
    }
}

/// The component a tensor belongs to, for parameter counts: "embeddings", "layer 3",
/// "shared layer group 0", "embedding projection", "pooler", "MLM head", "NSP head", "SOP head",
/// "classifier head", "QA head", or "other".
pub fn component_of(family: Family, name: &str) -> String {
    let rel = name
        .strip_prefix(family.base_prefix())
        .and_then(|r| r.strip_prefix('.'))
        .unwrap_or(name);
    let index_after = |prefix: &str| -> Option<String> {
        rel.strip_prefix(prefix)
            .and_then(|r| r.split('.').next())
            .map(str::to_string)
    };
    if rel.starts_with("embeddings.") {
        return "embeddings".into();
    }
    if let Some(i) = index_after("encoder.layer.").or_else(|| index_after("transformer.layer.")) {
        return format!("layer {i}");
    }
    if let Some(g) = index_after("encoder.albert_layer_groups.") {
        return format!("shared layer group {g}");
    }
    if rel.starts_with("encoder.embedding_hidden_mapping_in.") {
        return "embedding projection".into();
    }
    if rel.starts_with("pooler") {
        return "pooler".into();
    }
    let mlm = MlmNames::of(family);
    let is_mlm = match family {
        Family::DistilBert => ["vocab_transform.", "vocab_layer_norm.", "vocab_projector."]
            .iter()
            .any(|p| name.starts_with(p)),
        _ => name.starts_with(&format!("{}.", mlm.root)),
    };
    if is_mlm {
        return "MLM head".into();
    }
    let head = if name.starts_with("cls.seq_relationship.") {
        "NSP head"
    } else if name.starts_with("sop_classifier.") {
        "SOP head"
    } else if name.starts_with("classifier.") || name.starts_with("pre_classifier.") {
        "classifier head"
    } else if name.starts_with("qa_outputs.") {
        "QA head"
    } else {
        "other"
    };
    head.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        assert_eq!(
            component_of(Family::Bert, "bert.encoder.layer.11.output.dense.weight"),
            "layer 11"
        );
        assert_eq!(
            component_of(Family::Bert, "embeddings.LayerNorm.weight"),
            "embeddings"
        );
        assert_eq!(
            component_of(Family::Bert, "cls.predictions.bias"),
            "MLM head"
        );
        assert_eq!(
            component_of(Family::Bert, "cls.seq_relationship.weight"),
            "NSP head"
        );
        assert_eq!(
            component_of(
                Family::Albert,
                "albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight"
            ),
            "shared layer group 0"
        );
        assert_eq!(
            component_of(Family::Albert, "albert.pooler.weight"),
            "pooler"
        );
        assert_eq!(
            component_of(Family::DistilBert, "vocab_projector.bias"),
            "MLM head"
        );
        assert_eq!(
            component_of(
                Family::DistilBert,
                "distilbert.transformer.layer.2.ffn.lin1.bias"
            ),
            "layer 2"
        );
    }
}
