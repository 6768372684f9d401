//! A model as the worker holds it: the tokenizer plus either a masked-LM (fill-mask works) or a bare
//! encoder (internals only), built from the three files of a model folder.

use candle_core::Device;

use bertlab_core::folder::ModelFolder;
use bertlab_core::masking::{masking_grid, Sequence};
use bertlab_core::model::{component_of, Encoder, EncoderConfig, MaskedLm, ModelError};
use bertlab_core::text::tokenizer::{EncodeOptions, Tokenizer};
use bertlab_core::train::pretrain::masker_for;
use bertlab_protocol::masking::{MaskingConfig, MaskingGrid};
use bertlab_protocol::messages::ModelSummary;
use bertlab_protocol::model_key::ModelKey;
use bertlab_protocol::views::{AttentionView, ContextSide, EmbeddingView};

use crate::views::attention::attention_view;
use crate::views::embeddings::embedding_view;
use crate::views::fill_mask::FillMaskQuery;

/// The weights of a loaded model.
pub enum Weights {
    /// An encoder with its masked-LM head.
    MaskedLm(MaskedLm),
    /// An encoder without an MLM head (e.g. a sentence-embedding checkpoint).
    EncoderOnly(Encoder),
}

impl Weights {
    pub fn encoder(&self) -> &Encoder {
        match self {
            Weights::MaskedLm(m) => &m.encoder,
            Weights::EncoderOnly(e) => e,
        }
    }
}

pub struct LabModel {
    pub name: String,
    pub config: EncoderConfig,
    pub tokenizer: Tokenizer,
    pub weights: Weights,
    parameters: usize,
}

impl LabModel {
    /// Build from a model folder's files, checked against each other first. Loads the masked-LM
    /// head when the checkpoint has one, the bare encoder otherwise.
    /// Messages name the model by its label (a URL's last segments, a folder's name).
    pub fn from_folder(name: &str, folder: &ModelFolder) -> Result<LabModel, String> {
        let label = ModelKey::parse(name).label();
        let (checkpoint, tokenizer) = folder.open().map_err(|e| format!("{label}: {e}"))?;
        let device = Device::Cpu;
        let (weights, parameters) = match checkpoint.load::<MaskedLm>(&device) {
            Ok(loaded) => {
                let parameters = loaded.parameter_count();
                (Weights::MaskedLm(loaded.model), parameters)
            }
            Err(ModelError::MissingTensor { .. }) => {
                let loaded = checkpoint
                    .load::<Encoder>(&device)
                    .map_err(|e| format!("{label}: {e}"))?;
                let parameters = loaded.parameter_count();
                (Weights::EncoderOnly(loaded.model), parameters)
            }
            Err(e) => return Err(format!("{label}: {e}")),
        };
        Ok(LabModel {
            name: name.to_string(),
            config: checkpoint.config.clone(),
            tokenizer,
            weights,
            parameters,
        })
    }

    pub fn summary(&self) -> ModelSummary {
        describe(
            &self.name,
            &self.config,
            self.parameters,
            matches!(self.weights, Weights::MaskedLm(_)),
        )
    }
}

impl LabModel {
    /// The masked-LM and a fill-mask query for it (see [`FillMaskQuery`]); models without an MLM
    /// head say so.
    pub fn fill_mask_query(
        &self,
        text: &str,
        top_k: usize,
        side: ContextSide,
    ) -> Result<(&MaskedLm, FillMaskQuery), String> {
        let model = self.masked_lm()?;
        Ok((
            model,
            FillMaskQuery::new(model, &self.tokenizer, text, top_k, side)?,
        ))
    }

    /// The masked-LM; models without an MLM head say so.
    pub fn masked_lm(&self) -> Result<&MaskedLm, String> {
        match &self.weights {
            Weights::MaskedLm(model) => Ok(model),
            Weights::EncoderOnly(_) => Err(format!(
                "{} has no masked-LM head, so it cannot guess what [MASK] hides: pick a model trained with one",
                self.name
            )),
        }
    }

    /// Embedding parts (see [`embedding_view`]).
    pub fn embeddings(
        &self,
        text: &str,
        pair: Option<&str>,
        segments: Option<&[u32]>,
    ) -> Result<EmbeddingView, String> {
        embedding_view(
            self.weights.encoder(),
            &self.tokenizer,
            text,
            pair,
            segments,
        )
    }

    /// Attention of every layer and head (see [`attention_view`]).
    pub fn attention(&self, text: &str, pair: Option<&str>) -> Result<AttentionView, String> {
        attention_view(self.weights.encoder(), &self.tokenizer, text, pair)
    }

    /// `text`, tokenized as this model reads it (cut to its length), masked for `epochs` epochs
    /// with the masker pretraining uses: this tokenizer's `[MASK]`, random replacements drawn from
    /// its ordinary tokens, whole words from its word ids.
    pub fn mask_epochs(
        &self,
        text: &str,
        config: MaskingConfig,
        epochs: usize,
    ) -> Result<MaskingGrid, String> {
        let options = EncodeOptions {
            add_special_tokens: true,
            max_len: Some(self.config.max_input_len()),
            position_offset: self.config.position_offset(),
        };
        let enc = self
            .tokenizer
            .encode(text, None, &options)
            .map_err(|e| e.to_string())?;
        let masker = masker_for(&self.tokenizer, config).map_err(|e| e.to_string())?;
        let word_ids: Vec<Option<usize>> =
            enc.word_ids.iter().map(|w| w.map(|w| w as usize)).collect();
        let sequence = Sequence {
            ids: &enc.ids,
            special: &enc.special_tokens_mask,
            word_ids: Some(&word_ids),
        };
        masking_grid(&masker, &enc.pieces, &sequence, epochs, |id| {
            self.tokenizer
                .id_to_token(id)
                .unwrap_or_else(|| format!("[{id}]"))
        })
        .map_err(|e| e.to_string())
    }
}

/// Length of a safetensors file's JSON header, from the file's first 8 bytes (its little-endian
/// size); the header itself spans bytes `8..8 + len`.
pub fn safetensors_header_len(first_bytes: &[u8]) -> Result<usize, String> {
    let size: [u8; 8] = first_bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or("model.safetensors is shorter than its 8-byte header size")?;
    let len = u64::from_le_bytes(size);
    // The format caps headers at 100 MB; anything larger is not a safetensors file.
    if len > 100_000_000 {
        return Err(format!(
            "model.safetensors declares a {len}-byte header: not a safetensors file"
        ));
    }
    Ok(len as usize)
}

/// Describes a model from its `config.json` and the JSON header of its `model.safetensors` (tensor
/// names and shapes), without downloading the weights: what the model picker lists. The parameter
/// count is that of the weights [`LabModel::from_folder`] loads: encoder (with pooler) and MLM head,
/// without other task heads, buffers or a tied decoder copy.
pub fn summary_from_header(
    name: &str,
    config_json: &[u8],
    header_json: &[u8],
) -> Result<ModelSummary, String> {
    let config = EncoderConfig::from_hf_json(config_json).map_err(|e| format!("{name}: {e}"))?;
    let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(header_json)
        .map_err(|e| format!("{name}: the model.safetensors header is malformed: {e}"))?;
    let embedding_shape = [config.vocab_size as u64, config.embedding_size as u64];
    let mut has_mlm_head = false;
    let mut parameters: usize = 0;
    for (tensor, info) in header.iter().filter(|(k, _)| *k != "__metadata__") {
        let dtype = info.get("dtype").and_then(|d| d.as_str()).unwrap_or("");
        let shape: Vec<u64> = info
            .get("shape")
            .and_then(|s| s.as_array())
            .map(|dims| dims.iter().filter_map(|d| d.as_u64()).collect())
            .ok_or_else(|| format!("{name}: tensor {tensor} has no shape in the header"))?;
        let component = component_of(config.family, tensor);
        let mlm = component == "MLM head";
        has_mlm_head |= mlm;
        let weight = matches!(dtype, "F16" | "BF16" | "F32" | "F64");
        let counted = weight
            && !matches!(
                component.as_str(),
                "NSP head" | "SOP head" | "classifier head" | "QA head" | "other"
            )
            // The decoder is the only MLM-head tensor shaped like the word embeddings.
            && !(mlm && config.tie_word_embeddings && shape == embedding_shape);
        if counted {
            // A header may claim any shape: one past u64 is no real tensor.
            let elements = shape
                .iter()
                .try_fold(1u64, |n, &d| n.checked_mul(d))
                .and_then(|n| usize::try_from(n).ok())
                .and_then(|n| parameters.checked_add(n))
                .ok_or_else(|| {
                    format!("{name}: tensor {tensor} has an impossible shape {shape:?}")
                })?;
            parameters = elements;
        }
    }
    Ok(describe(name, &config, parameters, has_mlm_head))
}

fn describe(
    name: &str,
    config: &EncoderConfig,
    parameters: usize,
    has_mlm_head: bool,
) -> ModelSummary {
    ModelSummary {
        name: name.to_string(),
        family: format!("{:?}", config.family),
        layers: config.num_hidden_layers,
        hidden_size: config.hidden_size,
        heads: config.num_attention_heads,
        vocab_size: config.vocab_size,
        max_len: config.max_input_len(),
        parameters,
        has_mlm_head,
        stored_bytes: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::test_models::repo_file;
    use bertlab_core::folder::TokenizerFiles;
    use bertlab_core::masking::GridCell;
    use bertlab_core::model::{Family, Internals, Loaded};

    fn tokenizer_json() -> Vec<u8> {
        std::fs::read(repo_file("models/all-minilm-l6-v2/tokenizer.json"))
            .expect("the embedded MiniLM tokenizer is committed")
    }

    /// A folder of these files with the MiniLM tokenizer.
    fn folder(config: &[u8], weights: &[u8]) -> ModelFolder {
        ModelFolder {
            config: config.to_vec(),
            weights: weights.to_vec(),
            tokenizer: TokenizerFiles::Json(tokenizer_json()),
        }
    }

    #[test]
    fn a_masked_lm_checkpoint_loads_with_its_head_and_a_bare_one_without() {
        let config = minilm_sized(Family::Bert);
        let config_json = serde_json::to_vec(&config.to_hf_json()).expect("config serializes");
        let mlm = Loaded::<MaskedLm>::random(&config, 1, &Device::Cpu).expect("random model");
        let bare = Loaded::<Encoder>::random(&config, 1, &Device::Cpu).expect("random model");

        let with_head = LabModel::from_folder(
            "mlm",
            &folder(&config_json, &mlm.to_safetensors().expect("save")),
        )
        .expect("loads");
        assert!(with_head.summary().has_mlm_head);
        assert_eq!(with_head.summary().parameters, mlm.parameter_count());

        let without = LabModel::from_folder(
            "bare",
            &folder(&config_json, &bare.to_safetensors().expect("save")),
        )
        .expect("loads");
        assert!(!without.summary().has_mlm_head);
        assert_eq!(without.summary().layers, config.num_hidden_layers);
    }

    #[test]
    fn broken_files_are_reported_with_the_model_name() {
        let err = LabModel::from_folder("broken", &folder(b"{}", b"not safetensors"))
            .err()
            .expect("must fail");
        assert!(err.starts_with("broken: "), "{err}");
    }

    /// A random model of `config` saved and loaded as the worker does, with the MiniLM tokenizer.
    fn lab_model<M: bertlab_core::model::Architecture>(
        name: &str,
        config: &EncoderConfig,
    ) -> LabModel {
        let config_json = serde_json::to_vec(&config.to_hf_json()).expect("config serializes");
        let weights = Loaded::<M>::random(config, 3, &Device::Cpu)
            .expect("random model")
            .to_safetensors()
            .expect("save");
        LabModel::from_folder(name, &folder(&config_json, &weights)).expect("loads")
    }

    /// A tiny config whose embeddings fit the MiniLM tokenizer.
    fn minilm_sized(family: Family) -> EncoderConfig {
        EncoderConfig {
            vocab_size: 30522,
            ..EncoderConfig::tiny(family)
        }
    }

    #[test]
    fn an_encoder_without_mlm_head_says_so_but_shows_its_internals() {
        let bare = lab_model::<Encoder>("sentence-encoder", &minilm_sized(Family::Bert));
        let Err(err) = bare.fill_mask_query("the [MASK] sat", 5, ContextSide::Both) else {
            panic!("an encoder without a head filled a mask");
        };
        assert!(
            err.starts_with("sentence-encoder has no masked-LM head"),
            "{err}"
        );
        let attention = bare.attention("the cat sat", None).expect("attends");
        assert_eq!(attention.layers, 2);
        let embeddings = bare.embeddings("the cat sat", None, None).expect("embeds");
        assert_eq!(embeddings.pieces, attention.pieces);
        let mlm = lab_model::<MaskedLm>("mlm", &minilm_sized(Family::Bert));
        let (model, query) = mlm
            .fill_mask_query("the [MASK] sat", 3, ContextSide::LeftOnly)
            .expect("a query");
        let mut pass = model
            .encoder
            .start(query.input(), &Internals::none())
            .expect("embeds");
        while pass.step().expect("a layer") {}
        let output = pass.finish().expect("an output");
        let view = query
            .answer(model, &mlm.tokenizer, &output.last_hidden_state)
            .expect("fills");
        assert_eq!(view.masks[0].candidates.len(), 3);
    }

    #[test]
    fn the_masking_grid_uses_the_models_tokenizer_and_whole_words() {
        let model = lab_model::<Encoder>("m", &minilm_sized(Family::Bert));
        let text = "Unbelievably, the tokenization of unaffable words is reproducible.";
        let config = MaskingConfig {
            selection_rate: 0.5,
            mask_fraction: 0.4,
            random_fraction: 0.4,
            whole_word: true,
            ..MaskingConfig::default()
        };
        let grid = model.mask_epochs(text, config.clone(), 20).expect("grid");
        assert_eq!(grid.pieces.first().map(String::as_str), Some("[CLS]"));
        assert_eq!(grid.config, config);
        assert_eq!(grid.rows.len(), 20);
        let specials: Vec<String> = model
            .tokenizer
            .special_ids()
            .iter()
            .filter_map(|&id| model.tokenizer.id_to_token(id))
            .collect();
        let is_target = |c: &GridCell| !matches!(c, GridCell::Plain | GridCell::Special);
        let mut randoms = 0;
        for row in &grid.rows {
            for i in 1..row.len() {
                // A `##` piece is always masked together with the piece before it.
                if grid.pieces[i].starts_with("##") {
                    assert_eq!(
                        is_target(&row[i]),
                        is_target(&row[i - 1]),
                        "{:?}",
                        grid.pieces
                    );
                }
                if let GridCell::Random(piece) = &row[i] {
                    randoms += 1;
                    assert!(!specials.contains(piece), "{piece}");
                    assert!(model.tokenizer.token_to_id(piece).is_some(), "{piece}");
                }
            }
        }
        assert!(randoms > 0);
        // Same request, same grid: the lab is reproducible.
        assert_eq!(
            model.mask_epochs(text, config.clone(), 20).expect("grid"),
            grid
        );
        let err = model.mask_epochs(text, config, 0).unwrap_err();
        assert!(err.contains("between 1 and 50"), "{err}");
    }

    /// The model picker's summary from config.json and the safetensors header equals the one of
    /// the loaded model, parameter count included.
    fn summary_matches_loaded(model: &LabModel, config_json: &[u8], safetensors: &[u8]) {
        let len = safetensors_header_len(safetensors).expect("header length");
        let described = summary_from_header(&model.name, config_json, &safetensors[8..8 + len])
            .expect("describes");
        assert_eq!(described, model.summary());
    }

    #[test]
    fn a_model_is_described_from_its_header_as_loading_it_would() {
        let config = minilm_sized(Family::Bert);
        let config_json = serde_json::to_vec(&config.to_hf_json()).expect("config serializes");
        for weights in [
            Loaded::<MaskedLm>::random(&config, 1, &Device::Cpu).and_then(|m| m.to_safetensors()),
            Loaded::<Encoder>::random(&config, 1, &Device::Cpu).and_then(|m| m.to_safetensors()),
            // NSP head and pooler besides the MLM head: the lab loads all but the NSP head.
            Loaded::<bertlab_core::model::ForPreTraining>::random(&config, 1, &Device::Cpu)
                .and_then(|m| m.to_safetensors()),
        ] {
            let weights = weights.expect("saves");
            let model = LabModel::from_folder("m", &folder(&config_json, &weights)).expect("loads");
            summary_matches_loaded(&model, &config_json, &weights);
        }
        let err = safetensors_header_len(b"short").unwrap_err();
        assert!(err.contains("8-byte"), "{err}");
        let err = summary_from_header("m", &config_json, b"{not json").unwrap_err();
        assert!(
            err.starts_with("m: the model.safetensors header is malformed"),
            "{err}"
        );
        // A header may claim a shape no tensor has: a message, not an overflow.
        let huge = br#"{"bert.encoder.layer.0.output.dense.weight": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}}"#;
        let err = summary_from_header("m", &config_json, huge).unwrap_err();
        assert!(err.contains("impossible shape"), "{err}");
    }

    #[test]
    fn the_shipped_model_is_described_from_its_header() {
        let read = |f: &str| {
            std::fs::read(repo_file(&format!("models/all-minilm-l6-v2/{f}")))
                .expect("committed model")
        };
        let (config, weights) = (read("config.json"), read("model.safetensors"));
        let model =
            LabModel::from_folder("all-minilm-l6-v2", &folder(&config, &weights)).expect("loads");
        summary_matches_loaded(&model, &config, &weights);
    }
}
