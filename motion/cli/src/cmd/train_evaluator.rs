use anyhow::bail;
use motion::dataset::Split;
use motion_model::evaluator::data::LabelledClips;
use motion_model::evaluator::eval::{evaluate_set, real_set, reference_embeddings};
use motion_model::evaluator::report::table;
use motion_model::evaluator::{EvaluatorConfig, EvaluatorTrainConfig, train_evaluator};
use motion_model::rerank::{ACTION_TEXTS, ActionTexts};
use std::path::PathBuf;
use std::time::Instant;

use super::dataset::{create_out_dir, open_cache};
use super::minilm::{LazyMiniLm, MiniLmArgs};
use super::progress::TrainProgress;

/// Train the motion evaluator (text–motion embedding + action classifier) on a dataset cache.
///
/// The motion encoder and a text head over MiniLM sentence embeddings are trained contrastively
/// on the train split (clips of one action and style count as positives of each other), with an
/// action classifier on the same motion encoder. Writes OUT/evaluator.bpk, config.json,
/// train.json, stats.json, actions.json, action_texts.json (each action's mean caption
/// embedding, used when the model serves as the `--best-of` critic) and captions.json/.f32
/// (MiniLM cache), then reports the evaluator's accuracy on the held-out val split. The
/// shipped critic is trained the same way with its own seed and shape:
/// `motion train-evaluator --data CACHE --out models/critic --seed 7 --d-model 96 --layers 3`.
#[derive(clap::Args)]
pub struct TrainEvaluatorArgs {
    /// Dataset cache folder (or its dataset.safetensors).
    #[arg(long)]
    pub data: PathBuf,
    /// Evaluator folder to write (created if missing), e.g. models/evaluator.
    #[arg(long)]
    pub out: PathBuf,
    /// Optimiser steps.
    #[arg(long, default_value_t = 1500)]
    pub steps: usize,
    /// Clips per batch (also the number of texts each motion is contrasted with).
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Seed of initialisation, batches and crops.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Peak Adam learning rate (cosine decay to 10 %).
    #[arg(long, default_value_t = 5e-4)]
    pub lr: f64,
    /// Transformer width of the motion encoder.
    #[arg(long, default_value_t = 128)]
    pub d_model: usize,
    /// Transformer layers of the motion encoder.
    #[arg(long, default_value_t = 2)]
    pub layers: usize,
    /// Stop early (weights are still written) after this many minutes.
    #[arg(long)]
    pub max_minutes: Option<f64>,
    #[command(flatten)]
    pub minilm: MiniLmArgs,
}

pub fn run(a: TrainEvaluatorArgs) -> anyhow::Result<()> {
    if a.steps == 0 || a.batch < 2 {
        bail!("--steps must be at least 1 and --batch at least 2");
    }
    let cache = open_cache(&a.data)?;
    create_out_dir(&a.out)?;
    let mut minilm = LazyMiniLm::new(a.minilm.minilm_dir.clone());
    let data = LabelledClips::new(&cache, None, Some(&a.out), &mut |t| minilm.embed(t))?;
    drop(cache);
    let model = EvaluatorConfig::new(data.actions.len()).with_d_model(a.d_model).with_n_layers(a.layers);
    model.check().map_err(|e| anyhow::anyhow!("bad evaluator shape: {e}"))?;
    let cfg = EvaluatorTrainConfig::new(model).with_steps(a.steps).with_batch(a.batch).with_seed(a.seed).with_lr(a.lr);
    eprintln!(
        "{} train clips, {} actions, {} (action, style) groups, {} captions",
        data.split(Split::Train).len(),
        data.actions.len(),
        data.groups.len(),
        data.captions.len()
    );
    let device = motion_model::Device::flex();
    let t0 = Instant::now();
    let progress = TrainProgress::new(a.steps, a.max_minutes);
    let mut acc = 0.0f32;
    let ev = train_evaluator(&cfg, &data, &a.out, &device, &mut |p| {
        acc = 0.95 * acc + 0.05 * p.batch_accuracy;
        progress.update(p.step, format!("contrastive {:.3} action {:.3} batch acc ~{:.2}", p.contrastive, p.action, acc))
    })?;
    progress.finish();
    let wall = t0.elapsed().as_secs_f64();
    // Each action's mean caption embedding, for choosing among candidates when this model
    // serves as the critic of `--best-of` (motion_model::rerank).
    let action_texts = ActionTexts::from_train_captions(&ev, &data, &device);
    motion::write_atomic(&a.out.join(ACTION_TEXTS), &serde_json::to_vec(&action_texts)?)?;
    println!("trained in {wall:.0} s; evaluator written to {}", a.out.display());
    // Held-out check: the val split was never trained on.
    let val = real_set(&data, Split::Val, a.seed, 10);
    if val.motions.len() < 2 {
        println!("the val split has {} clips: no held-out check", val.motions.len());
        return Ok(());
    }
    let reference = reference_embeddings(&ev, &data, &device);
    let report = evaluate_set(&ev, &data, &val, &reference, 10, a.seed, &device);
    println!("held-out (val split):\n{}", table(&[report]));
    Ok(())
}
