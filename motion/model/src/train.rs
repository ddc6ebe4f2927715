//! Training loop for the denoiser: batches from the dataset cache, cosine-schedule noising,
//! x0 + geometric losses, Adam, validation, atomic checkpoints with resume, f16 export.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::{ModuleMapper, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::prelude::*;
use burn::store::ModuleRecord;
use motion::dataset::{DatasetCache, Split};
use motion::features::{CONTACTS, FEATURE_DIM, JOINT_POS, ROOT_HEIGHT, ROOT_VEL_XZ, ROOT_YAW_VEL, ROT_6D};
use motion::skeleton::Skeleton;
use motion::skeleton::joint;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::denoiser::{Denoiser, DenoiserConfig};
use motion_datasets::captions::training_paraphrases;
use crate::diffusion::{CosineSchedule, DEFAULT_GUIDANCE, ddim_step, gaussian};
use crate::text_encoder::EMBEDDING_DIM;

/// Everything that defines a training run; saved as `config.json` beside the weights.
#[derive(Config, Debug)]
pub struct TrainConfig {
    pub denoiser: DenoiserConfig,
    #[config(default = 2000)]
    pub steps: usize,
    #[config(default = 32)]
    pub batch: usize,
    #[config(default = 2e-4)]
    pub lr: f64,
    /// Cosine cool-down: over the last this-many of `steps` the learning rate falls from `lr`
    /// to `lr * LR_FLOOR`; none or 0 keeps it constant. Lowering the step noise at the end of a
    /// run lowers the loss the last checkpoint ships with. (An `Option` so that configs written
    /// before it existed still load.)
    pub cooldown_steps: Option<usize>,
    #[config(default = 42)]
    pub seed: u64,
    /// Length of the cosine schedule the model is trained on.
    #[config(default = 1000)]
    pub diffusion_steps: usize,
    /// Fraction of samples whose text is dropped (classifier-free guidance).
    #[config(default = 0.1)]
    pub text_drop: f64,
    /// Loss weights. x0 MSE is in normalised units (≈1 at start); positions are in m², velocities
    /// in (m/frame)², hence the larger weights to make them count.
    #[config(default = 10.0)]
    pub w_pos: f64,
    #[config(default = 100.0)]
    pub w_vel: f64,
    #[config(default = 1.0)]
    pub w_contact: f64,
    /// Root-path losses, integrated over the clip the way decoding does: heading error in rad²
    /// and world XZ position error in m². The per-frame yaw velocity is one of 203 features, so
    /// without them a small bias adds up to a walk that drifts round a bend. None = 0 (configs
    /// written before they existed).
    pub w_heading: Option<f64>,
    pub w_path: Option<f64>,
    /// Foot-contact loss (MDM's): squared world-frame speed, (m/frame)², of each foot joint on
    /// the frames where the real clip has it planted. It ties the legs' stride to the root's
    /// speed, which the per-channel losses do not. None = 0.
    pub w_foot: Option<f64>,
    /// Extra weight on the wrists' velocity error ((m/frame)², both wrists): gestures (waving,
    /// pointing, clapping) live in small, fast hand motion that the all-joint velocity mean
    /// counts as 2 joints of 21. None = 0.
    pub w_hand_vel: Option<f64>,
    /// Wrist speed loss: squared difference, (m/frame)², between the predicted and the real
    /// clip's mean wrist speed (per sample, both wrists). Unlike the velocity error it does not
    /// care about the phase of a wave, which the model cannot know at high noise: the velocity
    /// error is lowest for the average of all phases, a hand held still (measured: generated
    /// wrists wave at 1.9–2.5 cm/frame, real 2.5–3.0). None = 0.
    pub w_hand_speed: Option<f64>,
    /// Root sway loss: squared difference, (m/frame)², between the predicted and the real
    /// clip's mean sideways root speed (per sample, in the heading frame). A walk's pelvis
    /// sways left and right with every step; the phase of that sway is unknowable at high
    /// noise, so the velocity losses flatten it to the average, no sway, and the evaluator
    /// reads walks without sway as turns (model card, "What tells a walk from a turn").
    /// None = 0.
    pub w_root_sway: Option<f64>,
    /// Apply the joint-position losses (positions, velocities, wrists, foot contact) to forward
    /// kinematics of the predicted rotations — the skeleton `features::decode` builds — instead
    /// of the predicted joint-position channels, which decoding ignores. Without it the decoded
    /// feet slide although the position channels are trained to stay planted. None = false.
    pub fk_losses: Option<bool>,
    /// Exposure-bias correction: each batch draws k in 0..=this, starts k default DDIM steps
    /// above its noise levels and walks down with the model's own guided steps (no gradient),
    /// so the denoiser learns from the inputs the sampler actually feeds it, errors included;
    /// the target is still the real clip. Generated motion showed seams at token boundaries
    /// that one-step predictions from real noised clips do not have. None or 0 = off.
    /// Measured (model card): over the whole noise range it froze the legs of walks within 500
    /// fine-tuning steps (the real target is ambiguous once the model's own high-noise guess
    /// took another stride phase); below level 400 it left the seams as they were.
    pub unroll_steps: Option<usize>,
    /// Highest noise level an unrolled input starts from (None = the top of the schedule).
    /// Samples already above it are noised directly.
    pub unroll_max_t: Option<usize>,
    /// Caption augmentation: half of the training samples take a caption from
    /// `motion_datasets::captions::training_paraphrases` (more verbs, subjects and word orders)
    /// instead of the dataset's own captions, so that prompts phrased unlike the captions still
    /// land near what the model learned. Validation and evaluation keep the dataset's captions.
    /// None = false. Measured (model card): no change on the held-out prompt sets.
    pub caption_paraphrases: Option<bool>,
    /// Draw training clips in proportion to their length in frames instead of uniformly per
    /// clip, so every second of data is seen equally often. The Bandai Namco clips differ
    /// 3× in length by action (raise-ups ≈ 2.6 s, waves ≈ 6.9 s, walks ≈ 8.2 s), so uniform
    /// per-clip draws spend 43 % of training on raise-ups and 7 % on walks. None = false.
    /// Measured together with `caption_paraphrases` (model card): figures within their intervals.
    pub sample_by_frames: Option<bool>,
    /// Draw each training clip with weight 1/√(clips of its action), so that an action's share
    /// of the draws grows with the square root of its clip count rather than the count: the 14
    /// Bandai Namco actions with 1–11 clips each get 4–5× more draws. Combines with
    /// `sample_by_frames` (the weights multiply). None = false.
    pub balance_actions: Option<bool>,
    /// Also train on a mirror image of every training clip, its action and captions mirrored
    /// too (`DatasetCache::with_mirrored_train_clips`): twice the data, and each lateral action
    /// (walk-left/right: 11 clips each) learns from its mirror twin. None = false.
    pub mirror_train: Option<bool>,
    /// Model folder (f16 `model.bpk` + `config.json`) whose weights start a new run instead of
    /// random ones: fine-tuning. Ignored when resuming from a checkpoint.
    pub init_from: Option<String>,
    #[config(default = 250)]
    pub val_every: usize,
    #[config(default = 250)]
    pub checkpoint_every: usize,
    /// Validation batches (fixed seed, fixed noise levels) per evaluation.
    #[config(default = 4)]
    pub val_batches: usize,
}

/// Where the cool-down ends, as a fraction of `lr`.
pub const LR_FLOOR: f64 = 0.1;

impl TrainConfig {
    /// Learning rate of optimiser step `step` (1-based): constant, then the cosine cool-down.
    pub fn lr_at(&self, step: usize) -> f64 {
        let cool = self.cooldown_steps.unwrap_or(0).min(self.steps);
        let start = self.steps - cool;
        if cool == 0 || step <= start {
            return self.lr;
        }
        let x = ((step - start) as f64 / cool as f64).min(1.0);
        let floor = self.lr * LR_FLOOR;
        floor + 0.5 * (self.lr - floor) * (1.0 + (std::f64::consts::PI * x).cos())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Data(String),
    #[error("bad config: {0}")]
    Config(String),
    #[error("{path}: cannot read/write weights: {message}")]
    Record { path: PathBuf, message: String },
    #[error("text encoder: {0}")]
    Text(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io { path: path.to_path_buf(), source }
}

/// Per-feature normalisation, needed to decode what the model generates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stats {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

#[derive(Debug, Clone)]
struct ClipRef {
    start: usize,
    frames: usize,
    captions: Vec<usize>,
    /// Augmented captions (empty unless `caption_paraphrases`).
    paraphrases: Vec<usize>,
}

/// Normalised features plus caption embeddings, ready for batching.
pub struct TrainData {
    norm: Vec<f32>,
    stats: Stats,
    train: Vec<ClipRef>,
    val: Vec<ClipRef>,
    /// Per training clip, how many training clips share its action (for balanced draws).
    train_action_clips: Vec<u32>,
    embeddings: Vec<f32>,
}

#[derive(Serialize, Deserialize)]
struct CaptionCache {
    dim: usize,
    captions: Vec<String>,
}

impl TrainData {
    /// `embed` maps captions to 384-d vectors (MiniLM in the CLI, anything in tests). They are
    /// cached in `cache_dir` (captions.json + captions.f32) and reused when the captions match.
    pub fn new(
        cache: &DatasetCache,
        cache_dir: Option<&Path>,
        embed: &mut dyn FnMut(&[&str]) -> Result<Vec<[f32; EMBEDDING_DIM]>, String>,
    ) -> Result<Self, TrainError> {
        Self::with_paraphrases(cache, cache_dir, embed, false)
    }

    /// As [`TrainData::new`]; with `paraphrases`, training clips also carry the augmented
    /// captions of their (action, style) labels (see `TrainConfig::caption_paraphrases`).
    pub fn with_paraphrases(
        cache: &DatasetCache,
        cache_dir: Option<&Path>,
        embed: &mut dyn FnMut(&[&str]) -> Result<Vec<[f32; EMBEDDING_DIM]>, String>,
        paraphrases: bool,
    ) -> Result<Self, TrainError> {
        if cache.mean.len() != FEATURE_DIM || cache.std.len() != FEATURE_DIM {
            return Err(TrainError::Data(format!("dataset has {} features per frame, expected {FEATURE_DIM}", cache.mean.len())));
        }
        let mut captions: Vec<String> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let (mut train, mut val) = (Vec::new(), Vec::new());
        let mut train_actions: Vec<&str> = Vec::new();
        for clip in &cache.clips {
            if clip.split == Split::Test || clip.frames == 0 {
                continue;
            }
            let mut intern = |c: &String| {
                *index.entry(c.clone()).or_insert_with(|| {
                    captions.push(c.clone());
                    captions.len() - 1
                })
            };
            let ids: Vec<usize> = clip.captions.iter().map(&mut intern).collect();
            if ids.is_empty() {
                continue;
            }
            let extra: Vec<usize> = if paraphrases && clip.split == Split::Train {
                training_paraphrases(&clip.action, &clip.style).iter().filter(|c| !clip.captions.contains(c)).map(&mut intern).collect()
            } else {
                Vec::new()
            };
            let r = ClipRef { start: clip.start, frames: clip.frames, captions: ids, paraphrases: extra };
            if clip.split == Split::Train {
                train.push(r);
                train_actions.push(clip.action.as_str());
            } else {
                val.push(r);
            }
        }
        if train.is_empty() || val.is_empty() {
            return Err(TrainError::Data(format!("need train and val clips with captions, found {} / {}", train.len(), val.len())));
        }
        let mut per_action = std::collections::HashMap::new();
        for a in &train_actions {
            *per_action.entry(*a).or_insert(0u32) += 1;
        }
        let train_action_clips = train_actions.iter().map(|a| per_action[a]).collect();
        let embeddings = caption_embeddings(&captions, cache_dir, embed)?;
        let std: Vec<f32> = cache.std.iter().map(|s| s.max(1e-6)).collect();
        let norm = cache
            .features
            .chunks_exact(FEATURE_DIM)
            .flat_map(|row| row.iter().zip(&cache.mean).zip(&std).map(|((x, m), s)| (x - m) / s))
            .collect();
        Ok(Self { norm, stats: Stats { mean: cache.mean.clone(), std }, train, val, train_action_clips, embeddings })
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    pub fn train_clips(&self) -> usize {
        self.train.len()
    }

    /// Running sums of the training clips' draw weights under `cfg` (`sample_by_frames`,
    /// `balance_actions`), or None for one clip as likely as another. Integer weights keep the
    /// draws exact and reproducible: the action factor is 10⁶/√n rounded.
    fn train_draw_cumulative(&self, cfg: &TrainConfig) -> Option<Vec<u64>> {
        let (by_frames, balance) = (cfg.sample_by_frames.unwrap_or(false), cfg.balance_actions.unwrap_or(false));
        if !by_frames && !balance {
            return None;
        }
        let mut sum = 0u64;
        Some(
            self.train
                .iter()
                .zip(&self.train_action_clips)
                .map(|(c, &n)| {
                    let frames = if by_frames { c.frames as u64 } else { 1 };
                    let action = if balance { (1e6 / (n.max(1) as f64).sqrt()).round() as u64 } else { 1 };
                    sum += frames * action;
                    sum
                })
                .collect(),
        )
    }
}

pub(crate) fn caption_embeddings(
    captions: &[String],
    dir: Option<&Path>,
    embed: &mut dyn FnMut(&[&str]) -> Result<Vec<[f32; EMBEDDING_DIM]>, String>,
) -> Result<Vec<f32>, TrainError> {
    let paths = dir.map(|d| (d.join("captions.json"), d.join("captions.f32")));
    if let Some((meta, bin)) = &paths {
        if let (Ok(m), Ok(b)) = (std::fs::read(meta), std::fs::read(bin)) {
            if let Ok(m) = serde_json::from_slice::<CaptionCache>(&m) {
                if m.dim == EMBEDDING_DIM && m.captions == captions && b.len() == captions.len() * EMBEDDING_DIM * 4 {
                    return Ok(b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect());
                }
            }
        }
    }
    let refs: Vec<&str> = captions.iter().map(String::as_str).collect();
    let vecs = embed(&refs).map_err(TrainError::Text)?;
    if vecs.len() != captions.len() {
        return Err(TrainError::Text(format!("{} embeddings for {} captions", vecs.len(), captions.len())));
    }
    let flat: Vec<f32> = vecs.iter().flatten().copied().collect();
    if let Some((meta, bin)) = &paths {
        let m = serde_json::to_vec(&CaptionCache { dim: EMBEDDING_DIM, captions: captions.to_vec() })
            .map_err(|e| TrainError::Data(e.to_string()))?;
        write_atomic(bin, &flat.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>())?;
        write_atomic(meta, &m)?;
    }
    Ok(flat)
}

/// Write to a temporary file in the same folder, then rename over the target (the motion
/// core's helper, with this crate's error type).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    motion::write_atomic(path, bytes).map_err(|e| TrainError::Io { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) })
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Host-side batch.
struct Batch {
    x0: Vec<f32>,
    mask: Vec<f32>,
    pad: Vec<bool>,
    text: Vec<f32>,
    keep: Vec<f32>,
    t: Vec<usize>,
    noise: Vec<f32>,
    b: usize,
    frames: usize,
}

/// `draw_weights`: running sums of `clips`' draw weights (see `train_draw_cumulative`); None
/// draws uniformly per clip.
fn make_batch(
    data: &TrainData,
    clips: &[ClipRef],
    draw_weights: Option<&[u64]>,
    cfg: &TrainConfig,
    rng: &mut ChaCha8Rng,
    fixed_t: Option<&[usize]>,
) -> Batch {
    let g = cfg.denoiser.frames_per_token;
    let max = cfg.denoiser.max_tokens() * g;
    let b = cfg.batch.max(1);
    let mut picks = Vec::with_capacity(b);
    for _ in 0..b {
        let pick = match draw_weights {
            Some(cum) if cum.len() == clips.len() && cum.last().is_some_and(|&t| t > 0) => {
                let r = rng.random_range(0..cum[cum.len() - 1]);
                cum.partition_point(|&c| c <= r)
            }
            _ => rng.random_range(0..clips.len()),
        };
        let clip = &clips[pick];
        let len = clip.frames.min(max);
        let off = rng.random_range(0..=clip.frames - len);
        // The extra draw only happens with augmentation, so older runs keep their batch stream.
        let cap = if !clip.paraphrases.is_empty() && rng.random_bool(0.5) {
            clip.paraphrases[rng.random_range(0..clip.paraphrases.len())]
        } else {
            clip.captions[rng.random_range(0..clip.captions.len())]
        };
        picks.push((clip.start + off, len, cap));
    }
    let frames = picks.iter().map(|p| p.1).max().unwrap_or(g).div_ceil(g) * g;
    let tokens = frames / g;
    let mut x0 = vec![0f32; b * frames * FEATURE_DIM];
    let mut mask = vec![0f32; b * frames];
    let mut pad = vec![true; b * tokens];
    let mut text = Vec::with_capacity(b * EMBEDDING_DIM);
    let mut keep = Vec::with_capacity(b);
    let mut t = Vec::with_capacity(b);
    for (i, &(start, len, cap)) in picks.iter().enumerate() {
        let src = &data.norm[start * FEATURE_DIM..(start + len) * FEATURE_DIM];
        x0[i * frames * FEATURE_DIM..][..len * FEATURE_DIM].copy_from_slice(src);
        mask[i * frames..][..len].fill(1.0);
        pad[i * tokens..][..len.div_ceil(g)].fill(false);
        text.extend_from_slice(&data.embeddings[cap * EMBEDDING_DIM..(cap + 1) * EMBEDDING_DIM]);
        keep.push(if fixed_t.is_none() && rng.random::<f64>() < cfg.text_drop { 0.0 } else { 1.0 });
        t.push(match fixed_t {
            Some(ts) => ts[i % ts.len()],
            None => rng.random_range(0..cfg.diffusion_steps.max(1)),
        });
    }
    let noise = gaussian(rng, b * frames * FEATURE_DIM);
    Batch { x0, mask, pad, text, keep, t, noise, b, frames }
}

/// Loss terms of one batch (scalars read back to the host after `backward`).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct LossParts {
    pub total: f32,
    pub x0: f32,
    pub pos: f32,
    pub vel: f32,
    pub contact: f32,
    pub heading: f32,
    pub path: f32,
    pub hand: f32,
    pub foot: f32,
    pub hand_speed: f32,
    pub root_sway: f32,
}

struct Losses {
    total: Tensor<1>,
    parts: [Tensor<1>; 10],
}

/// Turns heading-frame (x, z) into the world frame for a heading of angle θ given as (cos θ,
/// sin θ): the yaw rotation `features::decode` applies.
fn heading_to_world(x: Tensor<3>, z: Tensor<3>, c: &Tensor<3>, s: &Tensor<3>) -> (Tensor<3>, Tensor<3>) {
    let wx = x.clone() * c.clone() + z.clone() * s.clone();
    let wz = z * c.clone() - x * s.clone();
    (wx, wz)
}

/// Squared horizontal speed in the world frame ((m/frame)², [b, n-1, 4]) of the
/// [`joint::FEET`] joints between frames t and t+1, from the heading-frame joint positions
/// (`[b, n, 63]`, metres) placed on the root path from [`root_path`].
fn foot_speed_sq(joint_pos: Tensor<3>, heading: Tensor<3>, root_xz: Tensor<3>) -> Tensor<3> {
    let [b, n, _] = joint_pos.dims();
    let (c, s) = (heading.clone().cos(), heading.sin());
    let rx = root_xz.clone().slice([0..b, 0..n, 0..1]);
    let rz = root_xz.slice([0..b, 0..n, 1..2]);
    let speeds = joint::FEET
        .iter()
        .map(|&j| {
            let k = (j - 1) * 3;
            let x = joint_pos.clone().slice([0..b, 0..n, k..k + 1]);
            let z = joint_pos.clone().slice([0..b, 0..n, k + 2..k + 3]);
            let (wx, wz) = heading_to_world(x, z, &c, &s);
            let (wx, wz) = (wx + rx.clone(), wz + rz.clone());
            let dx = wx.clone().slice([0..b, 1..n]) - wx.slice([0..b, 0..n - 1]);
            let dz = wz.clone().slice([0..b, 1..n]) - wz.slice([0..b, 0..n - 1]);
            dx.powf_scalar(2.0) + dz.powf_scalar(2.0)
        })
        .collect();
    Tensor::cat(speeds, 2)
}

/// Both wrists' columns within the joint-position block (joints 20 and 21, x y z each; the
/// root is not in the block).
const WRISTS: std::ops::Range<usize> = (joint::L_WRIST - 1) * 3..joint::R_WRIST * 3;

/// World heading (rad, [b, n, 1]) and pelvis XZ position (m, [b, n, 2]) at each frame,
/// integrated from the per-frame yaw and heading-frame velocity exactly as
/// `motion::features::decode` does (frame 0 at the origin, heading 0). Padded frames must be
/// zeroed by `mask`; valid frames are a prefix, so they never feed a valid one.
fn root_path(yaw: Tensor<3>, vel_xz: Tensor<3>, mask: Tensor<3>) -> (Tensor<3>, Tensor<3>) {
    let [b, n, _] = yaw.dims();
    let yaw = yaw * mask.clone();
    let vel = vel_xz * mask;
    // Exclusive cumulative sums: frame t sees the steps of frames 0..t-1.
    let heading = yaw.clone().cumsum(1) - yaw;
    let (c, s) = (heading.clone().cos(), heading.clone().sin());
    let vx = vel.clone().slice([0..b, 0..n, 0..1]);
    let vz = vel.slice([0..b, 0..n, 1..2]);
    let (wx, wz) = heading_to_world(vx, vz, &c, &s);
    let px = wx.clone().cumsum(1) - wx;
    let pz = wz.clone().cumsum(1) - wz;
    (heading, Tensor::cat(vec![px, pz], 2))
}

/// `xt`: the noised input if not the batch's own `q_sample` (see `unrolled_input`).
fn losses(
    model: &Denoiser,
    schedule: &CosineSchedule,
    batch: &Batch,
    stats: &Stats,
    cfg: &TrainConfig,
    device: &Device,
    xt: Option<Tensor<3>>,
) -> Losses {
    let (b, n, f) = (batch.b, batch.frames, FEATURE_DIM);
    let tokens = n / cfg.denoiser.frames_per_token;
    let x0 = Tensor::<3>::from_data(TensorData::new(batch.x0.clone(), [b, n, f]), device);
    let noise = Tensor::<3>::from_data(TensorData::new(batch.noise.clone(), [b, n, f]), device);
    let mask = Tensor::<3>::from_data(TensorData::new(batch.mask.clone(), [b, n, 1]), device);
    let pad = Tensor::<2, Bool>::from_data(TensorData::new(batch.pad.clone(), [b, tokens]), device);
    let text = Tensor::<2>::from_data(TensorData::new(batch.text.clone(), [b, EMBEDDING_DIM]), device);
    let keep = Tensor::<1>::from_data(TensorData::new(batch.keep.clone(), [b]), device);
    let xt = xt.unwrap_or_else(|| schedule.q_sample(x0.clone(), noise, &batch.t));
    let t: Vec<f32> = batch.t.iter().map(|&t| t as f32).collect();
    let pred = model.forward(xt, &t, text, keep, pad);

    let count = mask.clone().sum() + 1e-6;
    let x0_loss = ((pred.clone() - x0.clone()).powf_scalar(2.0) * mask.clone()).sum() / (count.clone() * f as f32);

    // De-normalise a slice: geometric losses are meant in metres.
    let denorm = |x: Tensor<3>, r: std::ops::Range<usize>| {
        let m = Tensor::<3>::from_data(TensorData::new(stats.mean[r.clone()].to_vec(), [1, 1, r.len()]), device);
        let s = Tensor::<3>::from_data(TensorData::new(stats.std[r.clone()].to_vec(), [1, 1, r.len()]), device);
        x.slice([0..b, 0..n, r]) * s + m
    };
    let pp = if cfg.fk_losses.unwrap_or(false) {
        crate::kinematics::joint_positions(denorm(pred.clone(), ROT_6D), denorm(pred.clone(), ROOT_HEIGHT), &Skeleton::canonical())
    } else {
        denorm(pred.clone(), JOINT_POS)
    };
    let tp = denorm(x0.clone(), JOINT_POS);
    let root_sway_loss = if cfg.w_root_sway.unwrap_or(0.0) > 0.0 {
        let sideways = |x: Tensor<3>| denorm(x, ROOT_VEL_XZ).slice([0..b, 0..n, 0..1]);
        mean_abs_speed(sideways(pred.clone()), mask.clone()).sub(mean_abs_speed(sideways(x0.clone()), mask.clone())).powf_scalar(2.0).mean()
    } else {
        Tensor::<1>::zeros([1], device)
    };
    let jp = JOINT_POS.len() as f32;
    let pos_loss = ((pp.clone() - tp.clone()).powf_scalar(2.0) * mask.clone()).sum() / (count.clone() * jp);
    // Frame pairs (t, t+1) that are both real: the velocity and foot-contact losses' mask.
    let pair_mask = (n > 1).then(|| mask.clone().slice([0..b, 1..n]) * mask.clone().slice([0..b, 0..n - 1]));
    let (vel_loss, hand_loss, hand_speed_loss) = if let Some(vm) = pair_mask.clone() {
        let vp = pp.clone().slice([0..b, 1..n]) - pp.clone().slice([0..b, 0..n - 1]);
        let vt = tp.clone().slice([0..b, 1..n]) - tp.slice([0..b, 0..n - 1]);
        let vc = vm.clone().sum() + 1e-6;
        let speed = if cfg.w_hand_speed.unwrap_or(0.0) > 0.0 {
            mean_wrist_speed(vp.clone(), vm.clone()).sub(mean_wrist_speed(vt.clone(), vm.clone())).powf_scalar(2.0).mean()
        } else {
            Tensor::<1>::zeros([1], device)
        };
        let err = (vp - vt).powf_scalar(2.0) * vm;
        let hand = err.clone().slice([0..b, 0..n - 1, WRISTS]).sum() / (vc.clone() * WRISTS.len() as f32);
        (err.sum() / (vc * jp), hand, speed)
    } else {
        (Tensor::<1>::zeros([1], device), Tensor::<1>::zeros([1], device), Tensor::<1>::zeros([1], device))
    };
    let cp = denorm(pred.clone(), CONTACTS);
    let ct = denorm(x0.clone(), CONTACTS);
    let contact_loss = ((cp - ct).powf_scalar(2.0) * mask.clone()).sum() / (count.clone() * CONTACTS.len() as f32);
    let (hp, rp) = root_path(denorm(pred.clone(), ROOT_YAW_VEL), denorm(pred.clone(), ROOT_VEL_XZ), mask.clone());
    let (ht, rt) = root_path(denorm(x0.clone(), ROOT_YAW_VEL), denorm(x0.clone(), ROOT_VEL_XZ), mask.clone());
    let foot_loss = if let Some(vm) = pair_mask {
        let speed2 = foot_speed_sq(pp, hp.clone(), rp.clone()); // [b, n-1, 4]
        let planted = denorm(x0, CONTACTS).slice([0..b, 0..n - 1]).clamp(0.0, 1.0) * vm;
        (speed2 * planted.clone()).sum() / (planted.sum() + 1e-6)
    } else {
        Tensor::<1>::zeros([1], device)
    };
    let heading_loss = ((hp - ht).powf_scalar(2.0) * mask.clone()).sum() / count.clone();
    let path_loss = ((rp - rt).powf_scalar(2.0) * mask).sum() / count;
    let total = x0_loss.clone()
        + pos_loss.clone() * cfg.w_pos as f32
        + vel_loss.clone() * cfg.w_vel as f32
        + contact_loss.clone() * cfg.w_contact as f32
        + heading_loss.clone() * cfg.w_heading.unwrap_or(0.0) as f32
        + path_loss.clone() * cfg.w_path.unwrap_or(0.0) as f32
        + hand_loss.clone() * cfg.w_hand_vel.unwrap_or(0.0) as f32
        + foot_loss.clone() * cfg.w_foot.unwrap_or(0.0) as f32
        + hand_speed_loss.clone() * cfg.w_hand_speed.unwrap_or(0.0) as f32
        + root_sway_loss.clone() * cfg.w_root_sway.unwrap_or(0.0) as f32;
    Losses { total, parts: [x0_loss, pos_loss, vel_loss, contact_loss, heading_loss, path_loss, hand_loss, foot_loss, hand_speed_loss, root_sway_loss] }
}

/// Per sample, the mean absolute value of a one-channel signal `v` (`[b, n, 1]`) over the
/// frames `mask` (`[b, n, 1]`) marks real: `[b]`.
fn mean_abs_speed(v: Tensor<3>, mask: Tensor<3>) -> Tensor<1> {
    let [b, _, _] = v.dims();
    let speed = (v.powf_scalar(2.0) + 1e-8).sqrt() * mask.clone();
    speed.sum_dim(1).reshape([b]) / (mask.sum_dim(1).reshape([b]) + 1e-6)
}

/// Per sample, the mean speed (m/frame) of both wrists over the real frame pairs: `v` is
/// `[b, n−1, joints × 3]` joint velocities, `pairs` `[b, n−1, 1]` the pair mask. Returns `[b]`.
fn mean_wrist_speed(v: Tensor<3>, pairs: Tensor<3>) -> Tensor<1> {
    let [b, m, _] = v.dims();
    let w = v.slice([0..b, 0..m, WRISTS]).reshape([b, m, 2, 3]);
    let speed = (w.powf_scalar(2.0).sum_dim(3) + 1e-8).sqrt().reshape([b, m, 2]) * pairs.clone();
    speed.sum_dim(2).sum_dim(1).reshape([b]) / (pairs.sum_dim(1).reshape([b]) * 2.0 + 1e-6)
}

/// Sampler steps whose spacing `unrolled_input` steps by: 10, the sampler default when unrolled
/// training was measured, kept fixed so that a training config means the same run whatever
/// `motion generate`'s default becomes.
const UNROLL_SAMPLER_STEPS: usize = 10;

/// The input the sampler would hand the denoiser at the batch's noise levels: each sample is
/// noised `k` DDIM steps (of [`UNROLL_SAMPLER_STEPS`]) higher (capped at the top level) and brought down by `k` of the
/// model's own guided DDIM steps, computed without autodiff on `device`. Padding samples of
/// dropped text come out unguided (their conditional and unconditional rows are equal).
fn unrolled_input(
    model: &Denoiser,
    schedule: &CosineSchedule,
    batch: &Batch,
    cfg: &TrainConfig,
    k: usize,
    device: &Device,
    ad: &Device,
) -> Tensor<3> {
    let inner = model.valid();
    let (b, n, f) = (batch.b, batch.frames, FEATURE_DIM);
    let tokens = n / cfg.denoiser.frames_per_token;
    let top = cfg.unroll_max_t.unwrap_or(usize::MAX).min(schedule.steps() - 1);
    let delta = (schedule.steps() / UNROLL_SAMPLER_STEPS).max(1);
    let level = |j: usize| -> Vec<usize> { batch.t.iter().map(|&t| (t + j * delta).min(top.max(t))).collect() };
    let x0 = Tensor::<3>::from_data(TensorData::new(batch.x0.clone(), [b, n, f]), device);
    let noise = Tensor::<3>::from_data(TensorData::new(batch.noise.clone(), [b, n, f]), device);
    let text = Tensor::<2>::from_data(TensorData::new(batch.text.clone(), [b, EMBEDDING_DIM]), device);
    let keep = Tensor::<1>::from_data(TensorData::new(batch.keep.clone(), [b]), device);
    let pad = Tensor::<2, Bool>::from_data(TensorData::new(batch.pad.clone(), [b, tokens]), device);
    // Conditional rows, then unconditional ones, in one forward pass as the sampler does.
    let text2 = Tensor::cat(vec![text.clone(), text], 0);
    let keep2 = Tensor::cat(vec![keep, Tensor::<1>::zeros([b], device)], 0);
    let pad2 = Tensor::cat(vec![pad.clone(), pad], 0);
    let mut cur = level(k);
    let mut x = schedule.q_sample(x0, noise, &cur);
    for j in (0..k).rev() {
        let next = level(j);
        let rows: Vec<f32> = cur.iter().chain(cur.iter()).map(|&t| t as f32).collect();
        let pred = inner.forward(Tensor::cat(vec![x.clone(), x.clone()], 0), &rows, text2.clone(), keep2.clone(), pad2.clone());
        let c = pred.clone().slice([0..b]);
        let u = pred.slice([b..2 * b]);
        let x0_hat = u.clone() + (c - u) * DEFAULT_GUIDANCE;
        let ab: Vec<f64> = cur.iter().map(|&t| schedule.alpha_bar(t)).collect();
        let ab_next: Vec<f64> = next.iter().map(|&t| schedule.alpha_bar(t)).collect();
        x = ddim_step(x, x0_hat, &ab, &ab_next);
        cur = next;
    }
    Tensor::<3>::from_data(x.into_data(), ad)
}

fn read_parts(l: &Losses) -> LossParts {
    let s = |t: &Tensor<1>| t.clone().into_scalar::<f32>();
    let [x0, pos, vel, contact, heading, path, hand, foot, hand_speed, root_sway] = l.parts.each_ref().map(s);
    LossParts { total: s(&l.total), x0, pos, vel, contact, heading, path, hand, foot, hand_speed, root_sway }
}

/// Mean validation loss over fixed batches (same clips, noise and noise levels every time).
pub fn validate(model: &Denoiser, data: &TrainData, cfg: &TrainConfig, device: &Device) -> LossParts {
    let model = model.valid();
    let schedule = CosineSchedule::new(cfg.diffusion_steps);
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5eed_7a1d);
    let n = cfg.diffusion_steps.max(1);
    let levels: Vec<usize> = (0..cfg.batch.max(1)).map(|i| (i * n) / cfg.batch.max(1)).collect();
    let mut acc = LossParts::default();
    let k = cfg.val_batches.max(1);
    for _ in 0..k {
        let batch = make_batch(data, &data.val, None, cfg, &mut rng, Some(&levels));
        let p = read_parts(&losses(&model, &schedule, &batch, &data.stats, cfg, device, None));
        acc.total += p.total / k as f32;
        acc.x0 += p.x0 / k as f32;
        acc.pos += p.pos / k as f32;
        acc.vel += p.vel / k as f32;
        acc.contact += p.contact / k as f32;
        acc.heading += p.heading / k as f32;
        acc.path += p.path / k as f32;
        acc.hand += p.hand / k as f32;
        acc.foot += p.foot / k as f32;
        acc.hand_speed += p.hand_speed / k as f32;
        acc.root_sway += p.root_sway / k as f32;
    }
    acc
}

/// Progress report after each step.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub step: usize,
    pub steps: usize,
    pub loss: LossParts,
    pub val: Option<LossParts>,
    pub samples_per_s: f64,
}

#[derive(Debug, Serialize, Deserialize)]
struct RunState {
    step: usize,
    elapsed_s: f64,
}

/// Outcome of `train`.
#[derive(Debug)]
pub struct TrainSummary {
    pub steps_done: usize,
    pub resumed_from: usize,
    pub wall_s: f64,
    pub last_val: Option<LossParts>,
    pub model: Denoiser,
}

fn optimizer() -> ModuleOptimizer {
    AdamConfig::new().with_grad_clipping(Some(GradientClippingConfig::Norm(1.0))).init()
}

/// Trains in `run_dir` (checkpoint/, loss.csv, config.json). With `resume`, continues from the
/// last complete checkpoint; a resumed run re-seeds its batch RNG from (seed, step), so it is
/// reproducible but not bit-identical to an uninterrupted run. `on_progress` returns false to
/// stop early (a checkpoint and the f16 model are written first).
pub fn train(
    cfg: &TrainConfig,
    data: &TrainData,
    run_dir: &Path,
    device: &Device,
    resume: bool,
    on_progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<TrainSummary, TrainError> {
    cfg.denoiser.check().map_err(TrainError::Config)?;
    if cfg.batch == 0 {
        return Err(TrainError::Config("batch must be at least 1".into()));
    }
    std::fs::create_dir_all(run_dir).map_err(io(run_dir))?;
    let ad = device.clone().autodiff();
    ad.seed(cfg.seed);
    let mut model = cfg.denoiser.init(&ad);
    let mut optim = optimizer();
    let mut start = 0;
    let mut elapsed_before = 0.0;
    let ckpt = run_dir.join("checkpoint");
    if resume {
        if !ckpt.join("state.json").is_file() && run_dir.join("checkpoint.old").join("state.json").is_file() {
            // Killed between the two renames of a checkpoint swap: the previous one is complete.
            std::fs::rename(run_dir.join("checkpoint.old"), &ckpt).map_err(io(&ckpt))?;
        }
        let state_path = ckpt.join("state.json");
        if state_path.is_file() {
            let saved = TrainConfig::load(run_dir.join("config.json")).map_err(|e| TrainError::Config(format!("{}: {e}", run_dir.join("config.json").display())))?;
            if saved.denoiser != cfg.denoiser {
                return Err(TrainError::Config("--resume with a different model shape than the saved config.json".into()));
            }
            let st: RunState = serde_json::from_slice(&std::fs::read(&state_path).map_err(io(&state_path))?)
                .map_err(|e| TrainError::Data(format!("{}: {e}", state_path.display())))?;
            model = load_weights(model, &ckpt.join("model.bpk"), false)?;
            let op = ckpt.join("optim.bpk");
            optim = optim.load(&op).map_err(|e| TrainError::Record { path: op.clone(), message: e.to_string() })?;
            start = st.step;
            elapsed_before = st.elapsed_s;
        }
    }
    if start == 0 {
        if let Some(dir) = &cfg.init_from {
            model = init_from(model, cfg, Path::new(dir))?;
        }
    }
    let cfg_path = run_dir.join("config.json");
    write_atomic(&cfg_path, cfg.to_string().as_bytes())?;
    std::fs::write(run_dir.join("stats.json"), serde_json::to_vec(&data.stats).map_err(|e| TrainError::Data(e.to_string()))?)
        .map_err(io(run_dir))?;

    let schedule = CosineSchedule::new(cfg.diffusion_steps);
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_add((start as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)));
    let log_path = run_dir.join("loss.csv");
    let new_log = !log_path.is_file();
    let mut log = std::fs::OpenOptions::new().create(true).append(true).open(&log_path).map_err(io(&log_path))?;
    if new_log {
        writeln!(log, "step,elapsed_s,loss,x0,pos,vel,contact,val_loss,val_x0,val_pos,val_vel,val_contact,heading,path,hand,foot,val_heading,val_path,val_hand,val_foot,hand_speed,val_hand_speed,root_sway,val_root_sway").map_err(io(&log_path))?;
    }
    let t0 = Instant::now();
    let mut last_val = None;
    let mut window = (Instant::now(), 0usize);
    let mut sps = 0.0;
    let mut steps_done = 0;
    let draw = data.train_draw_cumulative(cfg);
    for step in start + 1..=cfg.steps {
        let batch = make_batch(data, &data.train, draw.as_deref(), cfg, &mut rng, None);
        let unroll = match cfg.unroll_steps.unwrap_or(0) {
            0 => 0,
            k => rng.random_range(0..=k),
        };
        let xt = (unroll > 0).then(|| unrolled_input(&model, &schedule, &batch, cfg, unroll, device, &ad));
        let l = losses(&model, &schedule, &batch, &data.stats, cfg, &ad, xt);
        let parts = read_parts(&l);
        if !parts.total.is_finite() {
            return Err(TrainError::Data(format!("loss became {} at step {step}; lower --lr", parts.total)));
        }
        let grads = GradientsParams::from_grads(l.total.backward(), &model);
        model = optim.step(cfg.lr_at(step), model, grads);
        window.1 += cfg.batch;
        let dt = window.0.elapsed().as_secs_f64();
        if dt > 5.0 {
            sps = window.1 as f64 / dt;
            window = (Instant::now(), 0);
        } else if sps == 0.0 && dt > 0.0 {
            sps = window.1 as f64 / dt;
        }
        let val = (step % cfg.val_every.max(1) == 0 || step == cfg.steps).then(|| validate(&model, data, cfg, &ad));
        if val.is_some() {
            last_val = val;
        }
        let elapsed = elapsed_before + t0.elapsed().as_secs_f64();
        if step % 10 == 0 || val.is_some() {
            // The heading/path/hand/foot columns, then the hand-speed and root-sway ones, come
            // last so that logs written before they existed keep their column positions.
            let v = val.map(|v| format!("{},{},{},{},{}", v.total, v.x0, v.pos, v.vel, v.contact)).unwrap_or_else(|| ",,,,".into());
            let vp = val.map(|v| format!("{},{},{},{}", v.heading, v.path, v.hand, v.foot)).unwrap_or_else(|| ",,,".into());
            let vs = val.map(|v| format!("{},", v.hand_speed)).unwrap_or_else(|| ",".into());
            let vr = val.map(|v| v.root_sway.to_string()).unwrap_or_default();
            writeln!(
                log,
                "{step},{elapsed:.1},{},{},{},{},{},{v},{},{},{},{},{vp},{},{vs}{},{vr}",
                parts.total, parts.x0, parts.pos, parts.vel, parts.contact, parts.heading, parts.path, parts.hand, parts.foot, parts.hand_speed, parts.root_sway
            )
            .map_err(io(&log_path))?;
        }
        let go_on = on_progress(&Progress { step, steps: cfg.steps, loss: parts, val, samples_per_s: sps });
        if step % cfg.checkpoint_every.max(1) == 0 || step == cfg.steps || !go_on {
            save_checkpoint(run_dir, &model, &optim, RunState { step, elapsed_s: elapsed })?;
            // A usable f16 model after every checkpoint, so a killed run still ships something.
            export_model(&model, cfg, &data.stats, &run_dir.join("model"))?;
        }
        steps_done = step - start;
        if !go_on {
            break;
        }
    }
    Ok(TrainSummary {
        steps_done,
        resumed_from: start,
        wall_s: t0.elapsed().as_secs_f64(),
        last_val,
        model,
    })
}

/// Writes checkpoint.tmp/ completely, then swaps it in with renames (the old one is kept as
/// checkpoint.old/ until the new one is in place).
fn save_checkpoint(run_dir: &Path, model: &Denoiser, optim: &ModuleOptimizer, state: RunState) -> Result<(), TrainError> {
    let tmp = run_dir.join("checkpoint.tmp");
    let cur = run_dir.join("checkpoint");
    let old = run_dir.join("checkpoint.old");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let mp = tmp.join("model.bpk");
    model.clone().into_record().save(&mp).map_err(|e| TrainError::Record { path: mp.clone(), message: e.to_string() })?;
    let op = tmp.join("optim.bpk");
    optim.save(&op).map_err(|e| TrainError::Record { path: op.clone(), message: e.to_string() })?;
    let sp = tmp.join("state.json");
    std::fs::write(&sp, serde_json::to_vec(&state).map_err(|e| TrainError::Data(e.to_string()))?).map_err(io(&sp))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    if cur.exists() {
        std::fs::rename(&cur, &old).map_err(io(&cur))?;
    }
    std::fs::rename(&tmp, &cur).map_err(io(&cur))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    Ok(())
}

/// Loads burnpack weights (f32 or f16) into `model`, casting to the model's dtype.
pub fn load_weights(model: Denoiser, path: &Path, cast: bool) -> Result<Denoiser, TrainError> {
    let rec = ModuleRecord::load(path).map_err(|e| TrainError::Record { path: path.to_path_buf(), message: e.to_string() })?;
    let rec = if cast { rec.cast_to_module_dtype() } else { rec };
    model.try_load_record(rec).map_err(|e| TrainError::Record { path: path.to_path_buf(), message: e.to_string() })
}

/// Starts a run from a shipped model's weights (f16, cast up); its shape must match.
fn init_from(model: Denoiser, cfg: &TrainConfig, dir: &Path) -> Result<Denoiser, TrainError> {
    let cfg_path = dir.join(MODEL_CONFIG);
    let theirs = TrainConfig::load(&cfg_path).map_err(|e| TrainError::Config(format!("{}: {e}", cfg_path.display())))?;
    if !theirs.denoiser.same_weights_as(&cfg.denoiser) {
        return Err(TrainError::Config(format!("{}: initial weights have a different model shape than this run", dir.display())));
    }
    load_weights(model, &dir.join(MODEL_WEIGHTS), true)
}

struct ToHalf;
impl ModuleMapper for ToHalf {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|t| t.cast(burn::tensor::FloatDType::F16))
    }
}

/// Files of a shipped model directory.
pub const MODEL_WEIGHTS: &str = "model.bpk";
pub const MODEL_CONFIG: &str = "config.json";
pub const MODEL_STATS: &str = "stats.json";

/// Writes a compact model directory: f16 weights, config.json, stats.json (mean/std).
pub fn export_model(model: &Denoiser, cfg: &TrainConfig, stats: &Stats, dir: &Path) -> Result<(), TrainError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let half = model.valid().map(&mut ToHalf);
    let wp = dir.join(MODEL_WEIGHTS);
    let tmp = tmp_path(&wp);
    half.into_record().save(&tmp).map_err(|e| TrainError::Record { path: tmp.clone(), message: e.to_string() })?;
    std::fs::rename(&tmp, &wp).map_err(io(&wp))?;
    write_atomic(&dir.join(MODEL_CONFIG), cfg.to_string().as_bytes())?;
    write_atomic(&dir.join(MODEL_STATS), &serde_json::to_vec(stats).map_err(|e| TrainError::Data(e.to_string()))?)?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use motion::features::{ROOT_HEIGHT, ROT_6D};

    /// Feature columns `r` of `frames` as a [1, n + pad, |r|] tensor, padded with junk (3.0).
    /// Feature columns `r` of a clip as a `[1, frames + pad, r.len()]` tensor (padding filled with 3.0).
    pub(crate) fn column(frames: &[[f32; FEATURE_DIM]], r: std::ops::Range<usize>, pad: usize, device: &Device) -> Tensor<3> {
        let mut v: Vec<f32> = frames.iter().flat_map(|f| f[r.clone()].to_vec()).collect();
        v.extend(std::iter::repeat_n(3.0, pad * r.len()));
        Tensor::<3>::from_data(TensorData::new(v, [1, frames.len() + pad, r.len()]), device)
    }

    /// Joint velocities `[1, frames, 63]` of a wave: both wrists on a circle of radius 8 cm
    /// at 2.5 Hz (20 fps) starting at `phase`, every other joint still; the last `pad` frames
    /// are junk (padding).
    fn waving(phase: f32, frames: usize, pad: usize, device: &Device) -> Tensor<3> {
        let pos = |t: usize| {
            let a = phase + std::f32::consts::TAU * 2.5 * t as f32 / 20.0;
            (0.08 * a.cos(), 0.08 * a.sin())
        };
        let mut v = vec![0f32; (frames + pad) * 63];
        for t in 0..frames + pad {
            let ((x0, y0), (x1, y1)) = (pos(t), pos(t + 1));
            for c in [WRISTS.start, WRISTS.start + 3] {
                let row = &mut v[t * 63 + c..t * 63 + c + 3];
                row.copy_from_slice(&if t < frames { [x1 - x0, y1 - y0, 0.0] } else { [5.0, 5.0, 5.0] });
            }
        }
        Tensor::<3>::from_data(TensorData::new(v, [1, frames + pad, 63]), device)
    }

    #[test]
    fn wrist_speed_is_blind_to_the_phase_of_a_wave_and_sees_its_size() {
        let device = Device::flex();
        let (frames, pad) = (40, 6);
        let mask: Vec<f32> = (0..frames + pad).map(|t| if t < frames { 1.0 } else { 0.0 }).collect();
        let pairs = Tensor::<3>::from_data(TensorData::new(mask, [1, frames + pad, 1]), &device);
        let speed = |v: Tensor<3>| mean_wrist_speed(v, pairs.clone()).into_scalar::<f32>();
        let (a, b) = (waving(0.0, frames, pad, &device), waving(2.0, frames, pad, &device));
        // 2.5 Hz at 20 fps is π/4 per frame: a chord of 2 · 0.08 · sin(π/8) m per frame.
        let expected = 2.0 * 0.08 * (std::f32::consts::PI / 8.0).sin();
        assert!((speed(a.clone()) - expected).abs() < 1e-5, "{} vs {expected}", speed(a.clone()));
        assert!((speed(a.clone()) - speed(b.clone())).abs() < 1e-6, "another phase, the same speed");
        // The velocity error between the two phases is large (so it favours their average, a
        // still hand), while a still or smaller wave shows as slower here.
        let err = (a.clone() - b).slice([0..1, 0..frames, WRISTS]).powf_scalar(2.0).mean().into_scalar::<f32>();
        assert!(err > 1e-4, "{err}");
        assert!(speed(a.clone() * 0.5) < 0.51 * expected, "a smaller wave is slower");
        assert!(speed(Tensor::zeros([1, frames + pad, 63], &device)) < 1e-3);
    }

    #[test]
    fn root_sway_speed_is_blind_to_the_phase_of_the_sway_and_ignores_padding() {
        let device = Device::flex();
        let (frames, pad) = (40, 6);
        // Sideways root velocity of a pelvis swaying ±2 cm once per two steps (1 Hz at 20 fps),
        // starting at `phase`; padding frames hold junk.
        let sway = |phase: f32, size: f32| {
            let v: Vec<f32> = (0..frames + pad)
                .map(|t| if t < frames { size * 0.02 * ((phase + std::f32::consts::TAU * (t + 1) as f32 / 20.0).sin() - (phase + std::f32::consts::TAU * t as f32 / 20.0).sin()) } else { 7.0 })
                .collect();
            Tensor::<3>::from_data(TensorData::new(v, [1, frames + pad, 1]), &device)
        };
        let mask: Vec<f32> = (0..frames + pad).map(|t| if t < frames { 1.0 } else { 0.0 }).collect();
        let mask = Tensor::<3>::from_data(TensorData::new(mask, [1, frames + pad, 1]), &device);
        let speed = |v: Tensor<3>| mean_abs_speed(v, mask.clone()).into_scalar::<f32>();
        let (a, b) = (speed(sway(0.0, 1.0)), speed(sway(1.3, 1.0)));
        // Two whole periods: the mean |velocity| is 4 · amplitude per period of 20 frames.
        assert!((a - 4.0 * 0.02 / 20.0).abs() < 2e-4, "{a}");
        assert!((a - b).abs() < 2e-4, "another phase, the same speed: {a} vs {b}");
        assert!(speed(sway(0.0, 0.5)) < 0.51 * a, "a smaller sway is slower");
        assert!(speed(Tensor::zeros([1, frames + pad, 1], &device)) < 1e-3, "no sway, no speed (padding ignored)");
    }

    /// Training data of clips with these lengths, laid end to end, and these per-clip counts
    /// of clips sharing the action.
    fn clips_of(frames: &[usize], action_clips: Vec<u32>) -> TrainData {
        let mut start = 0;
        let train: Vec<ClipRef> = frames
            .iter()
            .map(|&f| {
                start += f;
                ClipRef { start: start - f, frames: f, captions: vec![0], paraphrases: Vec::new() }
            })
            .collect();
        TrainData {
            norm: vec![0.0; start * FEATURE_DIM],
            stats: Stats { mean: vec![0.0; FEATURE_DIM], std: vec![1.0; FEATURE_DIM] },
            train_action_clips: action_clips,
            val: train.clone(),
            train,
            embeddings: vec![0.0; EMBEDDING_DIM],
        }
    }

    /// Share of 40 batches of 64 whose sample is a clip of at most `short` frames.
    fn short_share(data: &TrainData, draw_weights: Option<&[u64]>, short: f32, seed: u64) -> f64 {
        let cfg = TrainConfig::new(DenoiserConfig::new().with_max_frames(200)).with_batch(64);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (mut hits, mut all) = (0usize, 0usize);
        for _ in 0..40 {
            let b = make_batch(data, &data.train, draw_weights, &cfg, &mut rng, None);
            for i in 0..b.b {
                hits += (b.mask[i * b.frames..(i + 1) * b.frames].iter().sum::<f32>() <= short) as usize;
                all += 1;
            }
        }
        hits as f64 / all as f64
    }

    /// Two training clips of 8 and 40 frames: per clip each is drawn half the time; by
    /// frames the long one 40 / 48 of the time.
    #[test]
    fn length_proportional_draws_follow_the_frames() {
        let data = clips_of(&[8, 40], vec![1, 1]);
        let cfg = TrainConfig::new(DenoiserConfig::new()).with_sample_by_frames(Some(true));
        let by_frames = data.train_draw_cumulative(&cfg);
        assert_eq!(by_frames.as_deref(), Some(&[8u64, 48][..]));
        let uniform = 1.0 - short_share(&data, None, 8.0, 3);
        let weighted = 1.0 - short_share(&data, by_frames.as_deref(), 8.0, 3);
        assert!((uniform - 0.5).abs() < 0.05, "per clip: {uniform}");
        assert!((weighted - 40.0 / 48.0).abs() < 0.04, "by frames: {weighted}");
    }

    /// One clip of a rare action and four of a common one: balanced, the rare clip is drawn
    /// with weight 1 against 4 × 1/√4 = 2, a third of the time instead of a fifth.
    #[test]
    fn action_balanced_draws_favour_rare_actions() {
        let data = clips_of(&[8, 40, 40, 40, 40], vec![1, 4, 4, 4, 4]);
        let cfg = TrainConfig::new(DenoiserConfig::new());
        assert_eq!(data.train_draw_cumulative(&cfg), None, "off by default");
        let balanced = data.train_draw_cumulative(&cfg.clone().with_balance_actions(Some(true))).expect("weights");
        assert_eq!(balanced, vec![1_000_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000]);
        let both = data.train_draw_cumulative(&cfg.clone().with_balance_actions(Some(true)).with_sample_by_frames(Some(true))).expect("weights");
        assert_eq!(both[0], 8_000_000, "the weights multiply");
        let share = short_share(&data, Some(&balanced), 8.0, 5);
        assert!((share - 1.0 / 3.0).abs() < 0.04, "rare share {share}");
    }

    #[test]
    fn cooldown_is_constant_then_falls_to_the_floor() {
        let cfg = TrainConfig::new(DenoiserConfig::new()).with_steps(1000).with_lr(1e-3).with_cooldown_steps(Some(400));
        assert_eq!(cfg.lr_at(1), 1e-3);
        assert_eq!(cfg.lr_at(600), 1e-3);
        let mid = cfg.lr_at(800);
        assert!((mid - 0.55e-3).abs() < 1e-9, "half-way is the mean of lr and floor: {mid}");
        assert!((cfg.lr_at(1000) - 1e-4).abs() < 1e-12);
        assert!(cfg.lr_at(700) > cfg.lr_at(701), "falls monotonically");
        // Beyond `steps` (a resumed run given fewer steps) it stays at the floor.
        assert!((cfg.lr_at(1200) - 1e-4).abs() < 1e-12);
    }

    #[test]
    fn no_cooldown_keeps_lr_and_longer_cooldown_than_steps_is_clamped() {
        let cfg = TrainConfig::new(DenoiserConfig::new()).with_steps(100).with_lr(2e-4);
        assert!((1..=100).all(|s| cfg.lr_at(s) == 2e-4));
        let long = cfg.with_cooldown_steps(Some(10_000));
        assert!(long.lr_at(1) < 2e-4 && long.lr_at(1) > long.lr_at(50));
    }

    #[test]
    fn config_without_cooldown_field_still_loads() {
        let cfg = TrainConfig::new(DenoiserConfig::new()).with_cooldown_steps(Some(7));
        let mut json: serde_json::Value = serde_json::from_str(&cfg.to_string()).unwrap();
        json.as_object_mut().unwrap().remove("cooldown_steps");
        let dir = std::env::temp_dir().join(format!("motion-cooldown-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.json");
        std::fs::write(&path, json.to_string()).unwrap();
        let old = TrainConfig::load(&path).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(old.cooldown_steps, None);
        assert_eq!(old.lr_at(old.steps), old.lr);
    }

    /// The root path the heading/path losses compare must be the one decoding produces, so it
    /// is checked against `motion::features::decode` (an independent, per-frame nalgebra
    /// implementation) on a curving walk with a padded tail.
    #[test]
    fn root_path_matches_decoding() {
        let n = 30;
        let frames: Vec<[f32; FEATURE_DIM]> = (0..n)
            .map(|t| {
                let mut f = [0.0f32; FEATURE_DIM];
                f[ROOT_YAW_VEL.start] = 0.05 + 0.01 * (t as f32 * 0.7).sin();
                f[ROOT_VEL_XZ.start] = 0.01 * (t as f32 * 0.3).cos();
                f[ROOT_VEL_XZ.start + 1] = 0.06 + 0.005 * t as f32;
                f[ROOT_HEIGHT.start] = 0.9;
                // Identity rotations in 6D (first two columns of I).
                for j in 0..22 {
                    f[ROT_6D.start + j * 6] = 1.0;
                    f[ROT_6D.start + j * 6 + 4] = 1.0;
                }
                f
            })
            .collect();
        let decoded = motion::features::decode(&frames);
        let device = Device::flex();
        let pad = 5;
        let col = |r| column(&frames, r, pad, &device);
        let mut m = vec![1.0f32; n];
        m.extend(std::iter::repeat_n(0.0, pad));
        let mask = Tensor::<3>::from_data(TensorData::new(m, [1, n + pad, 1]), &device);
        let (heading, xz) = root_path(col(ROOT_YAW_VEL), col(ROOT_VEL_XZ), mask);
        let heading: Vec<f32> = heading.into_data().try_to_vec::<f32>().unwrap();
        let xz: Vec<f32> = xz.into_data().try_to_vec::<f32>().unwrap();
        let mut yaw = 0.0f32;
        for t in 0..n {
            let root = decoded.poses[t].root_m;
            assert!((xz[t * 2] - root.x).abs() < 1e-4 && (xz[t * 2 + 1] - root.z).abs() < 1e-4, "frame {t}: {:?} vs {root:?}", &xz[t * 2..t * 2 + 2]);
            assert!((heading[t] - yaw).abs() < 1e-4, "frame {t}: heading {} vs {yaw}", heading[t]);
            yaw += frames[t][ROOT_YAW_VEL.start];
        }
        assert!(yaw > 1.0, "the test walk really turns");
    }

    /// The foot-contact loss measures world-frame foot speed; checked against forward kinematics
    /// of a decoded clip that turns while its legs swing.
    #[test]
    fn foot_speed_matches_world_positions() {
        use motion::rotation::Quat;
        use nalgebra::Vector3;
        let n = 24;
        let frames: Vec<[f32; FEATURE_DIM]> = (0..n)
            .map(|t| {
                let mut f = [0.0f32; FEATURE_DIM];
                f[ROOT_YAW_VEL.start] = 0.08;
                f[ROOT_VEL_XZ.start + 1] = 0.05;
                f[ROOT_HEIGHT.start] = 0.9;
                for j in 0..22 {
                    let swing = if j == joint::L_HIP || j == joint::R_KNEE { 0.4 * (t as f32 * 0.5).sin() } else { 0.0 };
                    let q = Quat::from_axis_angle(&Vector3::x_axis(), swing);
                    f[ROT_6D.start + j * 6..ROT_6D.start + j * 6 + 6].copy_from_slice(&motion::rotation::quat_to_6d(&q));
                }
                f
            })
            .collect();
        let motion = motion::features::decode(&frames);
        // Re-encode so the joint-position block is the one the model would be trained on.
        let feats = motion::features::encode(&motion);
        let world = motion.joint_positions();
        let device = Device::flex();
        let col = |r| column(&feats, r, 0, &device);
        let mask = Tensor::<3>::ones([1, n, 1], &device);
        let (heading, xz) = root_path(col(ROOT_YAW_VEL), col(ROOT_VEL_XZ), mask);
        let speed: Vec<f32> = foot_speed_sq(col(JOINT_POS), heading, xz).into_data().try_to_vec::<f32>().unwrap();
        let mut moving = 0.0f32;
        for t in 0..n - 1 {
            for (k, &j) in joint::FEET.iter().enumerate() {
                let d = world[t + 1][j] - world[t][j];
                let want = d.x * d.x + d.z * d.z;
                let got = speed[t * 4 + k];
                assert!((got - want).abs() < 1e-5 + 1e-3 * want, "frame {t} joint {j}: {got} vs {want}");
                moving += want;
            }
        }
        assert!(moving > 1e-2, "the fixture's feet really move");
    }
}
