//! Models for pretraining and their checkpoints.
//!
//! - [`fresh_model`]: random init (transformers' scheme, seeded).
//! - [`model_from_checkpoint`]: weights from an HF checkpoint — a base encoder (`BertModel`, e.g.
//!   all-MiniLM-L6-v2) gets a freshly initialised MLM head tied to its word embeddings; a
//!   `*ForMaskedLM` / `*ForPreTraining` checkpoint (ours included) continues with its own heads.
//! - [`model_safetensors`]: the weights under transformers' names (`bert.*`, `cls.predictions.*`,
//!   `cls.seq_relationship.*`), F32 or F16, tied weights stored once as transformers saves them.
//! - [`RunFiles`]: the resume file set (`trainer_state.json` + `optimizer.safetensors`) as bytes;
//!   native `save_dir` / `load_dir` write and read a checkpoint directory.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;

use crate::model::{
    tensors_to_safetensors, varmap_safetensors, Checkpoint, EncoderConfig, ForPreTraining, Loaded,
    MaskedLm,
};

use super::data::PairTask;
use super::pretrain::{PretrainModel, ResumeState, Trainer};
use super::TrainError;

/// Which weights came from the checkpoint and which were freshly initialised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitReport {
    pub loaded: usize,
    pub fresh: Vec<String>,
}

fn build(
    config: &EncoderConfig,
    task: PairTask,
    seed: u64,
) -> Result<(PretrainModel, VarMap), TrainError> {
    let device = Device::Cpu;
    Ok(match task {
        PairTask::None => {
            let l = Loaded::<MaskedLm>::random(config, seed, &device)?;
            (PretrainModel::Mlm(l.model), l.varmap)
        }
        PairTask::Nsp | PairTask::Sop => {
            let l = Loaded::<ForPreTraining>::random(config, seed, &device)?;
            (PretrainModel::Pair(l.model), l.varmap)
        }
    })
}

/// A randomly initialised model for `task`, seeded.
pub fn fresh_model(
    config: &EncoderConfig,
    task: PairTask,
    seed: u64,
) -> Result<(PretrainModel, VarMap), TrainError> {
    build(config, task, seed)
}

/// The model for `task` with every weight the checkpoint has (see [`copy_checkpoint_weights`]);
/// the rest — typically the MLM head of a base encoder — keeps its seeded random init.
pub fn model_from_checkpoint(
    ckpt: &Checkpoint,
    task: PairTask,
    seed: u64,
) -> Result<(PretrainModel, VarMap, InitReport), TrainError> {
    let (model, varmap) = build(&ckpt.config, task, seed)?;
    let report = copy_checkpoint_weights(ckpt, &varmap)?;
    Ok((model, varmap, report))
}

/// Overwrites every weight of `varmap` that the checkpoint holds, matched by HF name whether the
/// checkpoint is a base model (`embeddings.…`) or a task model (`bert.embeddings.…`); the others
/// keep their values and are listed as fresh. Fails when nothing matches or a shape differs.
pub fn copy_checkpoint_weights(
    ckpt: &Checkpoint,
    varmap: &VarMap,
) -> Result<InitReport, TrainError> {
    copy_checkpoint_weights_where(ckpt, varmap, |_| true)
}

/// [`copy_checkpoint_weights`] for the weights whose name `wanted` accepts; the rest stay fresh
/// (a new task's head, even where the checkpoint has a head of the same name).
pub fn copy_checkpoint_weights_where(
    ckpt: &Checkpoint,
    varmap: &VarMap,
    wanted: impl Fn(&str) -> bool,
) -> Result<InitReport, TrainError> {
    let mut report = InitReport::default();
    let vars = varmap
        .data()
        .lock()
        .map_err(|_| TrainError::Config("weight store poisoned".into()))?;
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort();
    for name in names {
        if !wanted(name) {
            report.fresh.push(name.clone());
            continue;
        }
        match checkpoint_tensor(ckpt, name) {
            Some(t) => {
                let var = &vars[name];
                if t.dims() != var.dims() {
                    return Err(TrainError::Config(format!(
                        "checkpoint tensor for {name} has shape {:?}, the model needs {:?}",
                        t.dims(),
                        var.dims()
                    )));
                }
                var.set(&t.to_device(var.device())?)?;
                report.loaded += 1;
            }
            None => report.fresh.push(name.clone()),
        }
    }
    if report.loaded == 0 {
        return Err(TrainError::Config(
            "the checkpoint shares no weight name with the model".into(),
        ));
    }
    Ok(report)
}

/// The checkpoint's tensor for the model weight `name`, whether the checkpoint is a base model
/// (`embeddings.…`) or a task model (`bert.embeddings.…`).
pub(crate) fn checkpoint_tensor<'c>(ckpt: &'c Checkpoint, name: &str) -> Option<&'c Tensor> {
    let prefix = format!("{}.", ckpt.config.family.base_prefix());
    let mut candidates = vec![name.to_string()];
    if ckpt.base_prefix().is_empty() {
        if let Some(rel) = name.strip_prefix(&prefix) {
            candidates.push(rel.to_string());
        }
    }
    // transformers ties `decoder.bias` to `bias`; a file may hold either.
    if let Some(root) = name
        .strip_suffix(".bias")
        .filter(|r| r.ends_with("predictions") || *r == "lm_head")
    {
        candidates.push(format!("{root}.decoder.bias"));
    }
    candidates.iter().find_map(|c| ckpt.tensor(c))
}

/// The weights as `model.safetensors` bytes under transformers' names, in F32 or F16.
pub fn model_safetensors(varmap: &VarMap, f16: bool) -> Result<Vec<u8>, TrainError> {
    let dtype = if f16 { DType::F16 } else { DType::F32 };
    Ok(varmap_safetensors(varmap, dtype)?)
}

/// `config.json` for the trained model, naming its transformers class.
pub fn model_config_json(trainer: &Trainer) -> Result<Vec<u8>, TrainError> {
    let mut cfg = trainer.model().encoder().config().clone();
    cfg.architectures = vec![trainer.model().architecture()];
    serde_json::to_vec_pretty(&cfg.to_hf_json()).map_err(|e| TrainError::Config(e.to_string()))
}

/// The resume files of a run, as bytes.
pub struct RunFiles {
    /// `trainer_state.json`: step, tokens seen, optimizer update count and the run's config.
    pub state_json: Vec<u8>,
    /// `optimizer.safetensors`: the AdamW moments.
    pub optimizer: Vec<u8>,
}

impl RunFiles {
    pub fn of(trainer: &Trainer) -> Result<RunFiles, TrainError> {
        let (state, moments) = trainer.resume_state()?;
        Ok(RunFiles {
            state_json: serde_json::to_vec_pretty(&state)
                .map_err(|e| TrainError::Config(e.to_string()))?,
            optimizer: tensors_to_safetensors(moments)?,
        })
    }

    /// Parses both files.
    pub fn parse(&self) -> Result<(ResumeState, HashMap<String, Tensor>), TrainError> {
        let state: ResumeState = serde_json::from_slice(&self.state_json)
            .map_err(|e| TrainError::Resume(format!("trainer_state.json: {e}")))?;
        let st = safetensors::SafeTensors::deserialize(&self.optimizer)
            .map_err(|e| TrainError::Resume(format!("optimizer.safetensors: {e}")))?;
        let mut moments = HashMap::new();
        for (name, view) in st.iter() {
            if view.dtype() != safetensors::Dtype::F32 {
                return Err(TrainError::Resume(format!(
                    "optimizer.safetensors: {name} is not F32"
                )));
            }
            let t = Tensor::from_raw_buffer(view.data(), DType::F32, view.shape(), &Device::Cpu)?;
            moments.insert(name.to_string(), t);
        }
        Ok((state, moments))
    }
}

/// Native: a checkpoint directory in the lab's model layout (config.json, model.safetensors,
/// tokenizer.json) plus the resume files.
#[cfg(not(target_arch = "wasm32"))]
pub mod dir {
    use std::path::Path;

    use super::*;

    fn io(path: &Path, e: std::io::Error) -> TrainError {
        TrainError::Data(format!("{}: {e}", path.display()))
    }

    /// Writes the checkpoint into `dir` (created if needed): each file goes to a temporary name
    /// first and is renamed, so an interrupted save never leaves a half-written checkpoint.
    pub fn save(
        dir: &Path,
        trainer: &Trainer,
        varmap: &VarMap,
        tokenizer_json: &[u8],
        f16: bool,
    ) -> Result<(), TrainError> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let run = RunFiles::of(trainer)?;
        let files: [(&str, Vec<u8>); 5] = [
            ("model.safetensors", model_safetensors(varmap, f16)?),
            ("config.json", model_config_json(trainer)?),
            ("tokenizer.json", tokenizer_json.to_vec()),
            ("optimizer.safetensors", run.optimizer),
            ("trainer_state.json", run.state_json),
        ];
        for (name, bytes) in files {
            let tmp = dir.join(format!(".{name}.tmp"));
            std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
            let path = dir.join(name);
            std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))?;
        }
        Ok(())
    }

    /// Reads the resume files of a checkpoint directory.
    pub fn load_run_files(dir: &Path) -> Result<RunFiles, TrainError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| TrainError::Resume(format!("{}: {e}", path.display())))
        };
        Ok(RunFiles {
            state_json: read("trainer_state.json")?,
            optimizer: read("optimizer.safetensors")?,
        })
    }
}
