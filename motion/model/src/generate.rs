//! Loading a shipped model directory and sampling de-normalised feature frames from it.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use motion::features::FEATURE_DIM;

use crate::denoiser::Denoiser;
use crate::diffusion::{CosineSchedule, DEFAULT_DDIM_STEPS, DEFAULT_GUIDANCE, DEFAULT_GUIDANCE_INTERVAL, DdimSampler, SampleRequest};
use crate::evaluator::eval::Frames;
use crate::rerank::{Critic, DEFAULT_BEST_OF, DEFAULT_FULLY_GUIDED, MAX_BEST_OF};
use crate::text_encoder::EMBEDDING_DIM;
use crate::train::{MODEL_CONFIG, MODEL_STATS, MODEL_WEIGHTS, Stats, TrainConfig, TrainError, load_weights};

/// Frames per second of the features the model was trained on.
pub const FPS: f32 = 20.0;
pub const MIN_SECONDS: f32 = 1.0;
pub const MAX_SECONDS: f32 = 10.0;
pub const MAX_SAMPLES: usize = 16;
pub const MAX_STEPS: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("model directory {dir} not found or incomplete: missing {file} (train one with `motion train`, or pass --model DIR)")]
    MissingModel { dir: PathBuf, file: &'static str },
    #[error("{path}: {message}")]
    BadModel { path: PathBuf, message: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("--best-of {0} needs the critic model (models/critic, or pass --critic DIR); use --best-of 1 to sample without it")]
    NoCritic(usize),
    #[error(transparent)]
    Weights(#[from] TrainError),
}

/// User-facing request, checked by [`GenerateOptions::check`] before anything heavy happens.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub seconds: f32,
    pub samples: usize,
    pub guidance: f32,
    pub steps: usize,
    pub seed: u64,
    /// Shift the sampler's token grid every other step ([`DdimSampler::shifted_grid`]).
    pub shifted_grid: bool,
    /// DDIM η ([`DdimSampler::eta`]); 0 = deterministic.
    pub eta: f32,
    /// Guidance rescale φ ([`DdimSampler::guidance_rescale`]); 0 = off.
    pub guidance_rescale: f32,
    /// Noise levels `[lo, hi]` with guidance ([`DdimSampler::guidance_interval`]); `[0, 1]` = all.
    pub guidance_interval: [f32; 2],
    /// Candidates drawn per requested motion by [`Generator::generate_best`], which keeps the
    /// one the critic scores closest to the text; 1 = no choice. [`Generator::generate`]
    /// ignores it.
    pub best_of: usize,
    /// How many of the `best_of` candidates are guided at every noise level; the others use
    /// `guidance_interval`. A mixed pool lets the critic choose between the two kinds per
    /// text: guidance from the first step keeps loosely worded prompts on their action,
    /// unguided first steps give plain walks straighter paths. 0 = every candidate follows
    /// `guidance_interval`; `best_of` or more = every candidate is fully guided.
    pub fully_guided: usize,
}

impl Default for GenerateOptions {
    /// The shipped defaults: 6 s, one sample, guidance [`DEFAULT_GUIDANCE`] at the noise levels
    /// [`DEFAULT_GUIDANCE_INTERVAL`], [`DEFAULT_DDIM_STEPS`] deterministic DDIM steps, seed 0,
    /// best of [`DEFAULT_BEST_OF`] candidates of which [`DEFAULT_FULLY_GUIDED`] are guided at
    /// every step.
    fn default() -> Self {
        Self {
            seconds: 6.0,
            samples: 1,
            guidance: DEFAULT_GUIDANCE,
            steps: DEFAULT_DDIM_STEPS,
            seed: 0,
            shifted_grid: false,
            eta: 0.0,
            guidance_rescale: 0.0,
            guidance_interval: DEFAULT_GUIDANCE_INTERVAL,
            best_of: DEFAULT_BEST_OF,
            fully_guided: DEFAULT_FULLY_GUIDED,
        }
    }
}

impl GenerateOptions {
    /// Number of frames, or an error naming the bad value. Seconds outside 1–10 are refused
    /// rather than clamped so a typo does not silently give a different length.
    pub fn check(&self) -> Result<usize, GenerateError> {
        if !self.seconds.is_finite() || !(MIN_SECONDS..=MAX_SECONDS).contains(&self.seconds) {
            return Err(GenerateError::BadRequest(format!(
                "--seconds {} is outside {MIN_SECONDS}–{MAX_SECONDS} s (the model was trained on clips up to 10 s)",
                self.seconds
            )));
        }
        if self.samples == 0 || self.samples > MAX_SAMPLES {
            return Err(GenerateError::BadRequest(format!("--samples {} must be 1–{MAX_SAMPLES}", self.samples)));
        }
        if !self.guidance.is_finite() || !(0.0..=20.0).contains(&self.guidance) {
            return Err(GenerateError::BadRequest(format!("--guidance {} must be between 0 and 20 (1 = no guidance)", self.guidance)));
        }
        if !self.eta.is_finite() || !(0.0..=1.0).contains(&self.eta) {
            return Err(GenerateError::BadRequest(format!("--eta {} must be between 0 and 1", self.eta)));
        }
        if !self.guidance_rescale.is_finite() || !(0.0..=1.0).contains(&self.guidance_rescale) {
            return Err(GenerateError::BadRequest(format!("--guidance-rescale {} must be between 0 and 1", self.guidance_rescale)));
        }
        let [lo, hi] = self.guidance_interval;
        if !lo.is_finite() || !hi.is_finite() || !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo > hi {
            return Err(GenerateError::BadRequest(format!(
                "--guidance-interval {lo},{hi} must be two noise levels 0 ≤ LO ≤ HI ≤ 1 (1 = pure noise)"
            )));
        }
        if self.best_of == 0 || self.best_of > MAX_BEST_OF {
            return Err(GenerateError::BadRequest(format!("--best-of {} must be 1–{MAX_BEST_OF}", self.best_of)));
        }
        if self.fully_guided > self.best_of {
            return Err(GenerateError::BadRequest(format!(
                "--fully-guided {} is more than the {} candidates of --best-of",
                self.fully_guided, self.best_of
            )));
        }
        if self.steps == 0 || self.steps > MAX_STEPS {
            return Err(GenerateError::BadRequest(format!("--steps {} must be 1–{MAX_STEPS}", self.steps)));
        }
        Ok(((self.seconds * FPS).round() as usize).max(1))
    }
}

/// Rejects texts the encoder would accept but that cannot describe a motion.
pub fn check_text(text: &str) -> Result<&str, GenerateError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(GenerateError::BadRequest("the text is empty: describe the motion, e.g. \"a person walks forward\"".into()));
    }
    Ok(t)
}

/// A loaded denoiser with its normalisation and training config.
#[derive(Debug)]
pub struct Generator {
    pub model: Denoiser,
    pub config: TrainConfig,
    pub stats: Stats,
    device: Device,
}

impl Generator {
    pub fn load(dir: &Path, device: &Device) -> Result<Self, GenerateError> {
        for file in [MODEL_WEIGHTS, MODEL_CONFIG, MODEL_STATS] {
            if !dir.join(file).is_file() {
                return Err(GenerateError::MissingModel { dir: dir.to_path_buf(), file });
            }
        }
        let cp = dir.join(MODEL_CONFIG);
        let config = TrainConfig::load(&cp).map_err(|e| GenerateError::BadModel { path: cp.clone(), message: e.to_string() })?;
        config.denoiser.check().map_err(|message| GenerateError::BadModel { path: cp.clone(), message })?;
        if config.denoiser.feature_dim != FEATURE_DIM || config.denoiser.text_dim != EMBEDDING_DIM {
            return Err(GenerateError::BadModel { path: cp, message: format!("feature/text sizes {}/{} do not match {FEATURE_DIM}/{EMBEDDING_DIM}", config.denoiser.feature_dim, config.denoiser.text_dim) });
        }
        let sp = dir.join(MODEL_STATS);
        let bytes = std::fs::read(&sp).map_err(|e| GenerateError::BadModel { path: sp.clone(), message: e.to_string() })?;
        let stats: Stats = serde_json::from_slice(&bytes).map_err(|e| GenerateError::BadModel { path: sp.clone(), message: e.to_string() })?;
        if stats.mean.len() != FEATURE_DIM || stats.std.len() != FEATURE_DIM {
            return Err(GenerateError::BadModel { path: sp, message: format!("mean/std must have {FEATURE_DIM} values") });
        }
        let model = load_weights(config.denoiser.init(device), &dir.join(MODEL_WEIGHTS), true)?;
        Ok(Self { model, config, stats, device: device.clone() })
    }

    /// Wraps an in-memory model (tests, freshly trained runs).
    pub fn from_parts(model: Denoiser, config: TrainConfig, stats: Stats, device: &Device) -> Self {
        Self { model, config, stats, device: device.clone() }
    }

    /// Samples `opts.samples` motions for one text embedding, all guided at the noise levels
    /// `opts.guidance_interval` (`opts.best_of` and `opts.fully_guided` are ignored); returns
    /// de-normalised feature frames per sample, ready for `motion::features::decode`.
    pub fn generate(
        &self,
        text_embedding: &[f32; EMBEDDING_DIM],
        opts: &GenerateOptions,
        on_step: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<Frames>, GenerateError> {
        let frames = opts.check()?;
        self.sample(text_embedding, opts, frames, opts.samples, 0, on_step)
    }

    /// Samples `opts.best_of` candidates per requested motion (all in one batch) and keeps,
    /// for each of the `opts.samples` motions, the candidate whose `finish`ed frames (what
    /// will be written: decoded, cleaned up, re-encoded) the critic scores closest to the
    /// text. Returns the chosen candidates' frames as [`Generator::generate`] does. With
    /// `best_of` 1 this is [`Generator::generate`] and the critic is not needed.
    pub fn generate_best(
        &self,
        text_embedding: &[f32; EMBEDDING_DIM],
        opts: &GenerateOptions,
        critic: Option<&Critic>,
        finish: &dyn Fn(&Frames) -> Frames,
        on_step: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<Frames>, GenerateError> {
        opts.check()?;
        if opts.best_of <= 1 {
            // One candidate per motion: nothing to choose.
            return self.candidates(text_embedding, opts, on_step);
        }
        let critic = critic.ok_or(GenerateError::NoCritic(opts.best_of))?;
        let mut candidates = self.candidates(text_embedding, opts, on_step)?;
        let finished: Vec<Frames> = candidates.iter().map(finish).collect();
        let chosen = critic.pick(text_embedding, &finished, opts.best_of);
        Ok(chosen.into_iter().map(|i| std::mem::take(&mut candidates[i])).collect())
    }

    /// The `opts.samples × opts.best_of` candidates of [`Generator::generate_best`] in groups
    /// (group g at g·K … g·K + K − 1), all sampled in one batch: in each group first those that
    /// follow `opts.guidance_interval`, then the `opts.fully_guided` ones guided at every step.
    pub fn candidates(
        &self,
        text_embedding: &[f32; EMBEDDING_DIM],
        opts: &GenerateOptions,
        on_step: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<Frames>, GenerateError> {
        let frames = opts.check()?;
        let (n, k) = (opts.samples, opts.best_of);
        let full = opts.fully_guided.min(k);
        let partial = k - full;
        // The sampler guides the batch's last rows at every step: the fully guided candidates
        // of all groups go last, and are put back into their groups afterwards.
        let mut rows = self.sample(text_embedding, opts, frames, n * k, n * full, on_step)?;
        let mut out = Vec::with_capacity(n * k);
        for g in 0..n {
            out.extend(rows[g * partial..(g + 1) * partial].iter_mut().map(std::mem::take));
            out.extend(rows[n * partial + g * full..n * partial + (g + 1) * full].iter_mut().map(std::mem::take));
        }
        Ok(out)
    }

    /// `rows` motions of `frames` frames from one seeded noise stream, guided at the noise
    /// levels `opts.guidance_interval` except the last `fully_guided_rows`, guided at every step.
    fn sample(
        &self,
        text_embedding: &[f32; EMBEDDING_DIM],
        opts: &GenerateOptions,
        frames: usize,
        rows: usize,
        fully_guided_rows: usize,
        on_step: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<Frames>, GenerateError> {
        let schedule = CosineSchedule::new(self.config.diffusion_steps);
        let req = SampleRequest {
            text: text_embedding.to_vec(),
            frames,
            samples: rows,
            guidance: opts.guidance,
            seed: opts.seed,
        };
        let sampler = DdimSampler { shifted_grid: opts.shifted_grid, eta: opts.eta, guidance_rescale: opts.guidance_rescale, guidance_interval: opts.guidance_interval, fully_guided_rows, ..DdimSampler::new(opts.steps) };
        let out = sampler.sample(&self.model, &schedule, &req, &self.device, on_step);
        let [k, n, f] = out.dims();
        let flat: Vec<f32> = out
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .map_err(|e| GenerateError::BadRequest(format!("reading samples back from the device failed: {e:?}")))?;
        if f != FEATURE_DIM {
            return Err(GenerateError::BadRequest(format!("model produced {f} features per frame")));
        }
        let mut samples = Vec::with_capacity(k);
        for s in 0..k {
            let mut frames_out = Vec::with_capacity(n);
            for i in 0..n {
                let row = &flat[(s * n + i) * f..][..f];
                let mut out = [0f32; FEATURE_DIM];
                for j in 0..f {
                    out[j] = row[j] * self.stats.std[j] + self.stats.mean[j];
                }
                frames_out.push(out);
            }
            samples.push(frames_out);
        }
        Ok(samples)
    }
}
