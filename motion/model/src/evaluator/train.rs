//! Contrastive training of the evaluator (TMR / Guo et al. style) plus its action classifier,
//! and the evaluator folder format (weights, config, normalisation, action list).

use std::path::{Path, PathBuf};

use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::activation::{log_softmax, softmax};
use motion::dataset::Split;
use motion::features::FEATURE_DIM;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::data::{LabelledClips, pad_batch, random_crop};
use super::model::{Evaluator, EvaluatorConfig};
use crate::text_encoder::EMBEDDING_DIM;
use crate::train::{Stats, TrainError, write_atomic};

/// Everything that defines an evaluator training run; saved as `train.json` beside the weights.
#[derive(Config, Debug)]
pub struct EvaluatorTrainConfig {
    pub model: EvaluatorConfig,
    #[config(default = 1500)]
    pub steps: usize,
    #[config(default = 64)]
    pub batch: usize,
    #[config(default = 5e-4)]
    pub lr: f64,
    #[config(default = 42)]
    pub seed: u64,
    /// Softmax temperature of the contrastive loss.
    #[config(default = 0.1)]
    pub temperature: f64,
    /// Weight of the action cross-entropy next to the contrastive loss.
    #[config(default = 1.0)]
    pub w_action: f64,
}

/// Files of an evaluator folder.
pub const EVAL_WEIGHTS: &str = "evaluator.bpk";
pub const EVAL_CONFIG: &str = "config.json";
pub const EVAL_TRAIN: &str = "train.json";
pub const EVAL_STATS: &str = "stats.json";
pub const EVAL_ACTIONS: &str = "actions.json";

/// Progress after each step.
#[derive(Debug, Clone, Copy)]
pub struct EvalTrainProgress {
    pub step: usize,
    pub steps: usize,
    pub contrastive: f32,
    pub action: f32,
    pub batch_accuracy: f32,
}

/// A loaded evaluator with what it needs to read motions.
#[derive(Debug)]
pub struct LoadedEvaluator {
    pub model: Evaluator,
    pub config: EvaluatorConfig,
    pub stats: Stats,
    pub actions: Vec<String>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io { path: path.to_path_buf(), source }
}

/// Trains on the train split and writes the evaluator folder `out`. Returns the model.
pub fn train_evaluator(
    cfg: &EvaluatorTrainConfig,
    data: &LabelledClips,
    out: &Path,
    device: &Device,
    on_progress: &mut dyn FnMut(&EvalTrainProgress) -> bool,
) -> Result<LoadedEvaluator, TrainError> {
    cfg.model.check().map_err(TrainError::Config)?;
    if cfg.model.n_actions != data.actions.len() {
        return Err(TrainError::Config(format!("{} action classes in the config, {} in the data", cfg.model.n_actions, data.actions.len())));
    }
    if cfg.batch < 2 {
        return Err(TrainError::Config("batch must be at least 2 (contrastive loss)".into()));
    }
    let train = data.split(Split::Train);
    if train.is_empty() {
        return Err(TrainError::Data("no train clips".into()));
    }
    std::fs::create_dir_all(out).map_err(io(out))?;
    let stats = data.train_stats();
    let ad = device.clone().autodiff();
    ad.seed(cfg.seed);
    let mut model = cfg.model.init(&ad);
    let mut optim = AdamConfig::new().with_grad_clipping(Some(GradientClippingConfig::Norm(1.0))).init();
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let g = cfg.model.frames_per_token;
    let b = cfg.batch;
    for step in 1..=cfg.steps {
        // Batch: random clips, random crops, one random caption each.
        let picks: Vec<usize> = (0..b).map(|_| train[rng.random_range(0..train.len())]).collect();
        let crops: Vec<Vec<[f32; FEATURE_DIM]>> = picks
            .iter()
            .map(|&c| {
                let all = data.frames(c);
                let (off, len) = random_crop(all.len(), cfg.model.max_frames, &mut rng);
                all[off..off + len].to_vec()
            })
            .collect();
        let refs: Vec<&[[f32; FEATURE_DIM]]> = crops.iter().map(Vec::as_slice).collect();
        let mb = pad_batch(&refs, &stats, g, cfg.model.max_frames);
        let mut text = Vec::with_capacity(b * EMBEDDING_DIM);
        for &c in &picks {
            let caps = &data.clips[c].captions;
            text.extend_from_slice(&data.embedding(caps[rng.random_range(0..caps.len())]));
        }
        // Clips of the same (action, style) share captions: they are positives of each other,
        // not negatives (otherwise the loss asks for the impossible).
        let mut positive = vec![0f32; b * b];
        let mut onehot = vec![0f32; b * data.actions.len()];
        for i in 0..b {
            for j in 0..b {
                positive[i * b + j] = (data.clips[picks[i]].group == data.clips[picks[j]].group) as u8 as f32;
            }
            onehot[i * data.actions.len() + data.clips[picks[i]].action] = 1.0;
        }
        let x = Tensor::<3>::from_data(TensorData::new(mb.x, [b, mb.frames, FEATURE_DIM]), &ad);
        let valid = Tensor::<2>::from_data(TensorData::new(mb.valid, [b, mb.tokens]), &ad);
        let text = Tensor::<2>::from_data(TensorData::new(text, [b, EMBEDDING_DIM]), &ad);
        let positive = Tensor::<2>::from_data(TensorData::new(positive, [b, b]), &ad);
        let onehot = Tensor::<2>::from_data(TensorData::new(onehot, [b, data.actions.len()]), &ad);

        let m = model.encode_motion(x, valid);
        let t = model.encode_text(text);
        let sim = m.embedding.matmul(t.transpose()) / cfg.temperature as f32;
        let m2t = -(softmax(sim.clone(), 1) * positive.clone()).sum_dim(1).clamp_min(1e-12).log().mean();
        let t2m = -(softmax(sim.transpose(), 1) * positive.transpose()).sum_dim(1).clamp_min(1e-12).log().mean();
        let contrastive = (m2t + t2m) / 2.0;
        let ce = -(log_softmax(m.logits.clone(), 1) * onehot.clone()).sum_dim(1).mean();
        let hits = m.logits.argmax(1).reshape([b]).equal(onehot.argmax(1).reshape([b])).int().sum().into_scalar::<i64>();
        let loss = contrastive.clone() + ce.clone() * cfg.w_action as f32;
        let (c, a) = (contrastive.into_scalar::<f32>(), ce.into_scalar::<f32>());
        if !(c.is_finite() && a.is_finite()) {
            return Err(TrainError::Data(format!("loss became non-finite at step {step}; lower --lr")));
        }
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        // Cosine decay to 10 % keeps the end of training stable.
        let lr = cfg.lr * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * step as f64 / cfg.steps as f64).cos()));
        model = optim.step(lr, model, grads);
        let go_on = on_progress(&EvalTrainProgress { step, steps: cfg.steps, contrastive: c, action: a, batch_accuracy: hits as f32 / b as f32 });
        if !go_on {
            break;
        }
    }
    let model = model.valid();
    save_evaluator(&model, cfg, &stats, &data.actions, out)?;
    Ok(LoadedEvaluator { model, config: cfg.model.clone(), stats, actions: data.actions.clone() })
}

/// Writes weights (f32, a few MB), configs, normalisation and the action list.
pub fn save_evaluator(model: &Evaluator, cfg: &EvaluatorTrainConfig, stats: &Stats, actions: &[String], out: &Path) -> Result<(), TrainError> {
    let wp = out.join(EVAL_WEIGHTS);
    let tmp = out.join(format!("{EVAL_WEIGHTS}.tmp"));
    model.clone().into_record().save(&tmp).map_err(|e| TrainError::Record { path: tmp.clone(), message: e.to_string() })?;
    std::fs::rename(&tmp, &wp).map_err(io(&wp))?;
    write_atomic(&out.join(EVAL_CONFIG), cfg.model.to_string().as_bytes())?;
    write_atomic(&out.join(EVAL_TRAIN), cfg.to_string().as_bytes())?;
    write_atomic(&out.join(EVAL_STATS), &to_json(stats)?)?;
    write_atomic(&out.join(EVAL_ACTIONS), &to_json(&actions)?)?;
    Ok(())
}

fn to_json<T: Serialize + ?Sized>(v: &T) -> Result<Vec<u8>, TrainError> {
    serde_json::to_vec_pretty(v).map_err(|e| TrainError::Data(e.to_string()))
}

#[derive(Debug, thiserror::Error)]
pub enum LoadEvaluatorError {
    #[error("evaluator folder {dir} is missing {file} (train one with `motion train-evaluator`, or pass --evaluator DIR)")]
    Missing { dir: PathBuf, file: &'static str },
    #[error("{path}: {message}")]
    Bad { path: PathBuf, message: String },
}

/// Loads an evaluator folder written by [`train_evaluator`].
pub fn load_evaluator(dir: &Path, device: &Device) -> Result<LoadedEvaluator, LoadEvaluatorError> {
    for file in [EVAL_WEIGHTS, EVAL_CONFIG, EVAL_STATS, EVAL_ACTIONS] {
        if !dir.join(file).is_file() {
            return Err(LoadEvaluatorError::Missing { dir: dir.to_path_buf(), file });
        }
    }
    let bad = |path: PathBuf, message: String| LoadEvaluatorError::Bad { path, message };
    let cp = dir.join(EVAL_CONFIG);
    let config = EvaluatorConfig::load(&cp).map_err(|e| bad(cp.clone(), e.to_string()))?;
    config.check().map_err(|m| bad(cp.clone(), m))?;
    if config.feature_dim != FEATURE_DIM || config.text_dim != EMBEDDING_DIM {
        return Err(bad(cp, format!("feature/text sizes {}/{} do not match {FEATURE_DIM}/{EMBEDDING_DIM}", config.feature_dim, config.text_dim)));
    }
    let read_json = |file: &str| -> Result<serde_json::Value, LoadEvaluatorError> {
        let p = dir.join(file);
        let bytes = std::fs::read(&p).map_err(|e| bad(p.clone(), e.to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| bad(p, e.to_string()))
    };
    let stats: Stats = serde_json::from_value(read_json(EVAL_STATS)?).map_err(|e| bad(dir.join(EVAL_STATS), e.to_string()))?;
    if stats.mean.len() != FEATURE_DIM || stats.std.len() != FEATURE_DIM || stats.std.iter().any(|s| !(*s > 0.0)) {
        return Err(bad(dir.join(EVAL_STATS), format!("need {FEATURE_DIM} means and positive stds")));
    }
    let actions: Vec<String> = serde_json::from_value(read_json(EVAL_ACTIONS)?).map_err(|e| bad(dir.join(EVAL_ACTIONS), e.to_string()))?;
    if actions.len() != config.n_actions {
        return Err(bad(dir.join(EVAL_ACTIONS), format!("{} actions listed, config says {}", actions.len(), config.n_actions)));
    }
    let wp = dir.join(EVAL_WEIGHTS);
    let rec = ModuleRecord::load(&wp).map_err(|e| bad(wp.clone(), e.to_string()))?;
    let model = config.init(device).try_load_record(rec).map_err(|e| bad(wp.clone(), e.to_string()))?;
    Ok(LoadedEvaluator { model, config, stats, actions })
}
