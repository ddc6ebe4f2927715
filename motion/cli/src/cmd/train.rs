use anyhow::bail;
use motion_model::denoiser::DenoiserConfig;
use motion_model::train::{TrainConfig, TrainData, export_model, train};
use std::path::PathBuf;

use super::dataset::{create_out_dir, open_cache};
use super::minilm::{LazyMiniLm, MiniLmArgs};
use super::progress::TrainProgress;

/// Train the text-to-motion denoiser on a dataset cache (see `motion dataset build`).
///
/// Writes into OUT: config.json, stats.json (feature mean/std), captions.json/.f32 (MiniLM
/// caption embeddings, computed once), loss.csv (train loss every 10 steps, validation loss on
/// the val split every --val-every steps), checkpoint/ (f32 weights + Adam state, replaced
/// atomically) and model/ (compact f16 copy for `motion generate --model OUT/model`).
/// Kill it at any time and continue with --resume.
#[derive(clap::Args)]
pub struct TrainArgs {
    /// Dataset cache folder (or its dataset.safetensors).
    #[arg(long)]
    pub data: PathBuf,
    /// Run folder (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Total optimiser steps (a resumed run continues up to this number).
    #[arg(long, default_value_t = 2000)]
    pub steps: usize,
    /// Clips per batch.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Seed of initialisation, batches, noise and dropout.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Adam learning rate.
    #[arg(long, default_value_t = 2e-4)]
    pub lr: f64,
    /// Cosine learning-rate cool-down over the last this-many steps, down to a tenth of --lr
    /// (0 = constant). A resumed run may set it to wind down a long run.
    #[arg(long, default_value_t = 0)]
    pub cooldown_steps: usize,
    /// Weight of the root heading loss (rad², integrated over the clip like decoding does);
    /// keeps a "walk forward" from drifting into a turn.
    #[arg(long, default_value_t = 0.3)]
    pub w_heading: f64,
    /// Weight of the root path loss (world XZ pelvis position, m², integrated likewise).
    #[arg(long, default_value_t = 0.05)]
    pub w_path: f64,
    /// Extra weight on the wrists' velocity error ((m/frame)²): hand gestures such as waving
    /// are fast but small, and an even mean over 21 joints under-counts them.
    #[arg(long, default_value_t = 50.0)]
    pub w_hand_vel: f64,
    /// Weight of the wrist-speed loss ((m/frame)²): the predicted clip's mean wrist speed
    /// against the real one's, blind to the phase of a wave, so that waves keep their size
    /// where the velocity error would flatten them to the average of all phases. 0 = off.
    #[arg(long, default_value_t = 0.0)]
    pub w_hand_speed: f64,
    /// Weight of the root-sway loss ((m/frame)²): the predicted clip's mean sideways root
    /// speed against the real one's, blind to the phase of the pelvis's step-by-step sway,
    /// which the velocity errors flatten to none. 0 = off.
    #[arg(long, default_value_t = 0.0)]
    pub w_root_sway: f64,
    /// Weight of the foot-contact loss: squared world speed (m/frame)² of feet the real clip
    /// has planted; ties the stride to the root's speed, so feet skate less.
    #[arg(long, default_value_t = 100.0)]
    pub w_foot: f64,
    /// Put the joint-position losses (positions, velocities, wrists, foot contact) on forward
    /// kinematics of the predicted rotations, the skeleton the user gets, instead of the
    /// separate joint-position channels (which decoding ignores). Slower per step; planted
    /// feet of the decoded motion slide less.
    #[arg(long)]
    pub fk_losses: bool,
    /// Train on the sampler's own inputs: each batch starts up to this many default DDIM steps
    /// noisier and is brought down by the model's own guided steps (no gradient), so that
    /// errors the sampler makes along the way are in training too (exposure bias; generated
    /// clips had seams at token boundaries). Each step costs up to this many extra forward
    /// passes. Experimental: it did not remove the seams in our runs (docs/model-card.md).
    /// 0 = off.
    #[arg(long, default_value_t = 0)]
    pub unroll_steps: usize,
    /// Highest noise level (0–999) an unrolled input starts from; samples noisier than this are
    /// noised directly. Default: the top of the schedule.
    #[arg(long)]
    pub unroll_max_t: Option<usize>,
    /// Caption augmentation: half of the training samples use one of many more phrasings of
    /// their (action, style) labels (other verbs, subjects, word orders) instead of the
    /// dataset's captions, so that prompts written unlike the captions still work. Measured on
    /// a 3,500-step fine-tune: no change on the held-out prompt sets (docs/model-card.md).
    #[arg(long)]
    pub caption_paraphrases: bool,
    /// Draw training clips in proportion to their length instead of one clip as likely as
    /// another, so that every second of data counts the same (short raise-up clips otherwise
    /// take 43 % of the draws, long walks 7 %). Measured with --caption-paraphrases on a
    /// 3,500-step fine-tune: the evaluator's figures stayed within their intervals.
    #[arg(long)]
    pub sample_by_frames: bool,
    /// Draw each clip with weight 1/√(clips of its action), so that actions with few clips
    /// (11 or fewer for 14 of the Bandai Namco actions) are seen 4–5× more often. Combines with
    /// --sample-by-frames.
    #[arg(long)]
    pub balance_actions: bool,
    /// Also train on the mirror image of every training clip (left and right swapped in the
    /// motion, its action label and its captions): twice the data, and each left-side action
    /// learns from its right-side twin. Validation and test clips are not mirrored.
    #[arg(long)]
    pub mirror: bool,
    /// Start from this model folder's weights (e.g. models/default) instead of random ones:
    /// fine-tuning. The model shape must match. Ignored with --resume once OUT has a checkpoint.
    #[arg(long)]
    pub init_from: Option<PathBuf>,
    /// cpu (burn flex) or wgpu (needs a build with `--features wgpu`).
    #[arg(long, default_value = "cpu")]
    pub backend: String,
    /// Continue from OUT/checkpoint (same model shape required).
    #[arg(long)]
    pub resume: bool,
    /// Transformer width.
    #[arg(long, default_value_t = 256)]
    pub d_model: usize,
    /// Transformer layers.
    #[arg(long, default_value_t = 4)]
    pub layers: usize,
    /// Attention heads.
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
    /// Frames merged into one token (1–4; more is cheaper).
    #[arg(long, default_value_t = 4)]
    pub frames_per_token: usize,
    /// Overlapping tokens: one token every frames-per-token / 2 frames, the two predictions of
    /// each frame blended, so no frame sits on a seam of every token grid (token seams: see
    /// docs/model-card.md). Twice the tokens; weights of a model trained without it fit
    /// (--init-from). Needs an even --frames-per-token.
    #[arg(long)]
    pub overlapping_tokens: bool,
    /// Validate (and log val loss) every this many steps.
    #[arg(long, default_value_t = 250)]
    pub val_every: usize,
    /// Checkpoint every this many steps.
    #[arg(long, default_value_t = 250)]
    pub checkpoint_every: usize,
    /// Stop cleanly (checkpoint + f16 model) after this many minutes of training.
    #[arg(long)]
    pub max_minutes: Option<f64>,
    #[command(flatten)]
    pub minilm: MiniLmArgs,
}

pub fn run(a: TrainArgs) -> anyhow::Result<()> {
    if a.steps == 0 || a.batch == 0 {
        bail!("--steps and --batch must be at least 1");
    }
    for (name, w) in [("--w-heading", a.w_heading), ("--w-path", a.w_path), ("--w-hand-vel", a.w_hand_vel), ("--w-foot", a.w_foot), ("--w-hand-speed", a.w_hand_speed), ("--w-root-sway", a.w_root_sway)] {
        if !(w.is_finite() && w >= 0.0) {
            bail!("{name} must be a finite weight ≥ 0, got {w}");
        }
    }
    if !(1..=8).contains(&a.frames_per_token) {
        bail!("--frames-per-token must be 1–8");
    }
    let device = motion_model::backend_device(&a.backend).map_err(anyhow::Error::msg)?;
    let cache = open_cache(&a.data)?;
    create_out_dir(&a.out)?;

    let denoiser = DenoiserConfig::new()
        .with_d_model(a.d_model)
        .with_n_layers(a.layers)
        .with_n_heads(a.heads)
        .with_d_ff(a.d_model * 4)
        .with_frames_per_token(a.frames_per_token)
        .with_overlapping_tokens(a.overlapping_tokens.then_some(true));
    denoiser.check().map_err(|e| anyhow::anyhow!("bad model shape: {e}"))?;
    let cfg = TrainConfig::new(denoiser)
        .with_steps(a.steps)
        .with_batch(a.batch)
        .with_seed(a.seed)
        .with_lr(a.lr)
        .with_cooldown_steps((a.cooldown_steps > 0).then_some(a.cooldown_steps))
        .with_w_heading(Some(a.w_heading))
        .with_w_path(Some(a.w_path))
        .with_w_hand_vel(Some(a.w_hand_vel))
        .with_w_foot(Some(a.w_foot))
        .with_w_hand_speed((a.w_hand_speed > 0.0).then_some(a.w_hand_speed))
        .with_w_root_sway((a.w_root_sway > 0.0).then_some(a.w_root_sway))
        .with_fk_losses(a.fk_losses.then_some(true))
        .with_unroll_steps((a.unroll_steps > 0).then_some(a.unroll_steps))
        .with_unroll_max_t(a.unroll_max_t)
        .with_caption_paraphrases(a.caption_paraphrases.then_some(true))
        .with_sample_by_frames(a.sample_by_frames.then_some(true))
        .with_balance_actions(a.balance_actions.then_some(true))
        .with_mirror_train(a.mirror.then_some(true))
        .with_init_from(a.init_from.as_ref().map(|p| p.display().to_string()))
        .with_val_every(a.val_every)
        .with_checkpoint_every(a.checkpoint_every);

    // MiniLM is loaded only if the caption cache is missing or stale.
    let mut minilm = LazyMiniLm::new(a.minilm.minilm_dir.clone());
    let cache = if a.mirror { cache.with_mirrored_train_clips() } else { cache };
    let data = TrainData::with_paraphrases(&cache, Some(&a.out), &mut |t| minilm.embed(t), a.caption_paraphrases)?;
    drop(minilm);
    eprintln!("train clips: {}, steps {}, batch {}, backend {}", data.train_clips(), a.steps, a.batch, a.backend);

    let progress = TrainProgress::new(a.steps, a.max_minutes);
    let mut last_val = f32::NAN;
    let summary = train(&cfg, &data, &a.out, &device, a.resume, &mut |p| {
        if let Some(v) = p.val {
            last_val = v.total;
        }
        progress.update(p.step, format!("loss {:.4} val {:.4} {:.0} samples/s", p.loss.total, last_val, p.samples_per_s))
    })?;
    progress.finish();
    let model_dir = a.out.join("model");
    export_model(&summary.model, &cfg, data.stats(), &model_dir)?;
    println!(
        "trained steps {}..{} in {:.0} s; last val loss {}; f16 model in {}",
        summary.resumed_from,
        summary.resumed_from + summary.steps_done,
        summary.wall_s,
        summary.last_val.map(|v| format!("{:.4}", v.total)).unwrap_or_else(|| "-".into()),
        model_dir.display()
    );
    Ok(())
}
