//! Cosine noise schedule (training) and a deterministic DDIM sampler (generation), both
//! seeded through host-side ChaCha noise so results do not depend on the backend's RNG.

use burn::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::denoiser::Denoiser;

/// Cosine schedule (Nichol & Dhariwal 2021) over `steps` discrete noise levels.
#[derive(Debug, Clone)]
pub struct CosineSchedule {
    /// ᾱ_t for t = 0..steps (t = 0 is the least noisy level).
    alpha_bar: Vec<f64>,
}

impl CosineSchedule {
    pub fn new(steps: usize) -> Self {
        let steps = steps.max(1);
        let s = 0.008;
        let f = |t: f64| ((t / steps as f64 + s) / (1.0 + s) * std::f64::consts::FRAC_PI_2).cos().powi(2);
        let f0 = f(0.0);
        // Betas are clipped at 0.999 as in the paper, which keeps ᾱ of the last step above 0.
        let mut alpha_bar = Vec::with_capacity(steps);
        let mut prod = 1.0;
        for t in 0..steps {
            let beta = (1.0 - (f(t as f64 + 1.0) / f0) / (f(t as f64) / f0)).clamp(0.0, 0.999);
            prod *= 1.0 - beta;
            alpha_bar.push(prod);
        }
        Self { alpha_bar }
    }

    pub fn steps(&self) -> usize {
        self.alpha_bar.len()
    }

    pub fn alpha_bar(&self, t: usize) -> f64 {
        self.alpha_bar[t.min(self.alpha_bar.len() - 1)]
    }

    /// x_t = √ᾱ x0 + √(1-ᾱ) ε, per sample.
    pub fn q_sample(&self, x0: Tensor<3>, noise: Tensor<3>, t: &[usize]) -> Tensor<3> {
        let [b, _, _] = x0.dims();
        let device = x0.device();
        let a: Vec<f32> = t.iter().map(|&t| self.alpha_bar(t).sqrt() as f32).collect();
        let s: Vec<f32> = t.iter().map(|&t| (1.0 - self.alpha_bar(t)).sqrt() as f32).collect();
        let a = Tensor::<3>::from_data(TensorData::new(a, [b, 1, 1]), &device);
        let s = Tensor::<3>::from_data(TensorData::new(s, [b, 1, 1]), &device);
        x0 * a + noise * s
    }
}

/// One deterministic DDIM step (η = 0) per sample: from `x` at ᾱ = `ab[i]` to ᾱ = `ab_next[i]`,
/// given the predicted clean motion `x0`. The noise is the one `x` implies for that `x0`, so an
/// exact `x0` lands exactly on `q_sample` at the lower level.
pub fn ddim_step(x: Tensor<3>, x0: Tensor<3>, ab: &[f64], ab_next: &[f64]) -> Tensor<3> {
    let [b, _, _] = x.dims();
    let device = x.device();
    let column = |v: &[f64], f: fn(f64) -> f64| {
        Tensor::<3>::from_data(TensorData::new(v.iter().map(|&a| f(a) as f32).collect::<Vec<_>>(), [b, 1, 1]), &device)
    };
    let eps = (x - x0.clone() * column(ab, f64::sqrt)) / column(ab, |a| (1.0 - a).sqrt());
    x0 * column(ab_next, f64::sqrt) + eps * column(ab_next, |a| (1.0 - a).sqrt())
}

/// Standard normal values from a seeded ChaCha stream (Box–Muller).
pub fn gaussian(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(n + 1);
    while out.len() < n {
        let u1: f64 = rng.random::<f64>().max(1e-12);
        let u2: f64 = rng.random::<f64>();
        let r = (-2.0 * u1.ln()).sqrt();
        out.push((r * (std::f64::consts::TAU * u2).cos()) as f32);
        out.push((r * (std::f64::consts::TAU * u2).sin()) as f32);
    }
    out.truncate(n);
    out
}

/// What to sample: `samples` motions of `frames` frames for one text embedding.
#[derive(Debug, Clone)]
pub struct SampleRequest {
    pub text: Vec<f32>,
    pub frames: usize,
    pub samples: usize,
    pub guidance: f32,
    pub seed: u64,
}

/// DDIM (η = 0) over an evenly spaced subset of the schedule's steps.
#[derive(Debug, Clone)]
pub struct DdimSampler {
    pub steps: usize,
    /// Every other step, shift the frames-to-tokens grid by half a token (the clip's first
    /// frame repeated in front, cut off again after the step). The denoiser makes each token's
    /// frames coherent but may put neighbouring tokens at different phases of a gait; with a
    /// fixed grid those seams stay at the same frames to the end (measured on walks: toes jump
    /// 3× more across token boundaries than within tokens). Shifting puts every seam inside a
    /// token at the next step: jerk falls by 40 %, but the evaluator recognises fewer actions
    /// (waves), so it is off by default (docs/model-card.md). Costs at most one token more.
    pub shifted_grid: bool,
    /// DDIM's η: 0 is the deterministic sampler; 1 adds fresh noise at every step as DDPM
    /// does (drawn from the request's seed, so still reproducible).
    pub eta: f32,
    /// Guidance rescale φ (Lin et al. 2024, "Common diffusion noise schedules and sample steps
    /// are flawed", §3.4): the guided clean-motion estimate is scaled per sample to the
    /// standard deviation of the conditional one, and mixed with the unscaled estimate by φ.
    /// Guidance pushes the estimate beyond the data's spread (measured: faster walks); 0 = off.
    pub guidance_rescale: f32,
    /// Noise levels `[lo, hi]` (t / T, 1 = pure noise) at which guidance is applied
    /// (Kynkäänniemi et al. 2024, "Applying guidance in a limited interval"); the other steps
    /// use the text-conditioned estimate alone and skip the unconditional pass. Guidance at
    /// the noisiest levels decides a clip's overall speed and path before the text has any
    /// detail to add, which is where it exaggerates; `[0, 1]` = every step.
    pub guidance_interval: [f32; 2],
    /// The last this-many rows of the batch are guided at every step whatever
    /// `guidance_interval` says (a mixed pool of candidates for `--best-of`); 0 = none.
    pub fully_guided_rows: usize,
}

/// Six steps: with `--best-of 3` they match ten on every measured figure (model card, "Best of
/// K candidates") and leave the time for three candidates inside the 0.5 s budget of a 6 s clip.
pub const DEFAULT_DDIM_STEPS: usize = 6;

/// Classifier-free guidance scale, re-measured for each shipped model (model card): for the
/// overlapping-token model 2, 2.5, 3 and 4 give the same text agreement within the intervals,
/// while stronger guidance exaggerates motion (straight walks 40–80 % too fast at 4) and loses
/// waves; 2.5 had the best free-form prompts and FID near the best.
pub const DEFAULT_GUIDANCE: f32 = 2.5;

/// Noise levels with guidance for `motion generate`'s candidates that are not fully guided:
/// the two noisiest of six steps stay unguided. Guidance there fixes a clip's speed and path
/// before the text has detail to add (straight walks came out as runs and turns); with it off,
/// candidates vary where walks go wrong and the critic finds the straight one. The fully guided
/// candidate of each pool keeps loosely worded prompts on their action (model card, "Best of
/// K candidates").
pub const DEFAULT_GUIDANCE_INTERVAL: [f32; 2] = [0.0, 0.8];

impl DdimSampler {
    pub fn new(steps: usize) -> Self {
        Self { steps: steps.max(1), shifted_grid: false, eta: 0.0, guidance_rescale: 0.0, guidance_interval: [0.0, 1.0], fully_guided_rows: 0 }
    }

    /// Time steps visited, from noisiest to cleanest.
    pub fn timesteps(&self, schedule: &CosineSchedule) -> Vec<usize> {
        let n = schedule.steps();
        let k = self.steps.min(n);
        (0..k).rev().map(|i| ((i as f64 + 1.0) * n as f64 / k as f64).round() as usize - 1).collect()
    }

    /// Returns normalised motion `[samples, frames, feature_dim]` (padding frames beyond `frames`
    /// are cut off). `on_step(i, total)` is called after each step. Same seed, same output.
    pub fn sample(
        &self,
        model: &Denoiser,
        schedule: &CosineSchedule,
        req: &SampleRequest,
        device: &Device,
        on_step: &mut dyn FnMut(usize, usize),
    ) -> Tensor<3> {
        let g = model.frames_per_token();
        let frames = req.frames.clamp(1, model.max_frames());
        let k = req.samples.max(1);
        let f = req.text.len().max(1);
        let feat = model_feature_dim(model);
        let mut rng = ChaCha8Rng::seed_from_u64(req.seed);
        let padded = frames.div_ceil(g) * g;
        let noise = Tensor::<3>::from_data(TensorData::new(gaussian(&mut rng, k * padded * feat), [k, padded, feat]), device);
        // The state holds the real frames only; each step pads it to whole tokens.
        let mut x = noise.slice([0..k, 0..frames]);

        // Conditional rows (all k) and unconditional ones (the guided rows: all k at a step
        // inside the guidance interval, else only the last `full` rows) go through one forward
        // pass.
        let cfg_any = (req.guidance - 1.0).abs() > 1e-6;
        let full = if cfg_any { self.fully_guided_rows.min(k) } else { 0 };
        let all_rows = 2 * k;
        let text: Vec<f32> = (0..all_rows).flat_map(|_| req.text.iter().copied()).collect();
        let text = Tensor::<2>::from_data(TensorData::new(text, [all_rows, f]), device);
        let keep: Vec<f32> = (0..all_rows).map(|r| if r < k { 1.0 } else { 0.0 }).collect();
        let keep = Tensor::<1>::from_data(TensorData::new(keep, [all_rows]), device);
        let [lo, hi] = self.guidance_interval;

        let ts = self.timesteps(schedule);
        for (i, &t) in ts.iter().enumerate() {
            // Rows guided at this noise level (t / T): the last `guided` of the k.
            let level = (t + 1) as f32 / schedule.steps() as f32;
            let in_interval = cfg_any && level >= lo - 1e-6 && level <= hi + 1e-6;
            let guided = if in_interval { k } else { full };
            let rows = k + guided;
            // Frames put in front of the clip at this step (a shifted grid), if it still fits.
            let lead = if self.shifted_grid && i % 2 == 1 && g > 1 && frames + g / 2 <= model.max_frames() { g / 2 } else { 0 };
            let total = (lead + frames).div_ceil(g) * g;
            let tokens = total / g;
            let real_tokens = (lead + frames).div_ceil(g);
            let mut parts = Vec::with_capacity(3);
            if lead > 0 {
                parts.push(x.clone().slice([0..k, 0..1]).repeat_dim(1, lead));
            }
            parts.push(x.clone());
            if total > lead + frames {
                parts.push(Tensor::<3>::zeros([k, total - lead - frames, feat], device));
            }
            let xp = Tensor::cat(parts, 1);
            let pad: Vec<bool> = (0..rows).flat_map(|_| (0..tokens).map(|j| j >= real_tokens)).collect();
            let pad = Tensor::<2, Bool>::from_data(TensorData::new(pad, [rows, tokens]), device);
            let input = if guided > 0 { Tensor::cat(vec![xp.clone(), xp.slice([k - guided..k])], 0) } else { xp };
            // Every text row is the same text, so the first `rows` serve; `keep` is 1 for the
            // k conditional rows and 0 for the unconditional ones after them.
            let pred = model.forward(input, &vec![t as f32; rows], text.clone().slice([0..rows]), keep.clone().slice([0..rows]), pad);
            let pred = pred.slice([0..rows, lead..lead + frames]);
            let x0 = if guided > 0 {
                let c = pred.clone().slice([k - guided..k]);
                let u = pred.clone().slice([k..k + guided]);
                let mixed = u.clone() + (c.clone() - u) * req.guidance;
                let mixed = if self.guidance_rescale > 0.0 { rescale_guided(mixed, c, self.guidance_rescale) } else { mixed };
                if guided == k { mixed } else { Tensor::cat(vec![pred.slice([0..k - guided]), mixed], 0) }
            } else {
                pred
            };
            let ab = schedule.alpha_bar(t);
            let ab_prev = ts.get(i + 1).map(|&tp| schedule.alpha_bar(tp)).unwrap_or(1.0);
            if ab_prev >= 1.0 {
                x = x0;
            } else {
                // DDIM (scalar ᾱ: every row is at the same level; `ddim_step` is the per-sample
                // form for training). σ is eq. 16 of the DDIM paper, 0 for η = 0.
                let sigma = self.eta as f64 * ((1.0 - ab_prev) / (1.0 - ab)).sqrt() * (1.0 - ab / ab_prev).max(0.0).sqrt();
                let eps = (x - x0.clone() * ab.sqrt() as f32) / (1.0 - ab).sqrt() as f32;
                x = x0 * ab_prev.sqrt() as f32 + eps * (1.0 - ab_prev - sigma * sigma).max(0.0).sqrt() as f32;
                if sigma > 0.0 {
                    let z = Tensor::<3>::from_data(TensorData::new(gaussian(&mut rng, k * frames * feat), [k, frames, feat]), device);
                    x = x + z * sigma as f32;
                }
            }
            on_step(i + 1, ts.len());
        }
        x
    }
}

/// `guided` scaled per sample (over its frames and features) to the standard deviation of
/// `conditional`, mixed with the unscaled `guided` by `phi` ([`DdimSampler::guidance_rescale`]).
fn rescale_guided(guided: Tensor<3>, conditional: Tensor<3>, phi: f32) -> Tensor<3> {
    let [k, n, f] = guided.dims();
    let std = |x: Tensor<3>| x.reshape([k, n * f]).var(1).sqrt().reshape([k, 1, 1]);
    let ratio = std(conditional) / std(guided.clone()).clamp_min(1e-6);
    guided * (ratio * phi + (1.0 - phi))
}

fn model_feature_dim(model: &Denoiser) -> usize {
    model.feature_dim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std_of(x: &Tensor<3>, sample: usize) -> f32 {
        let [_, n, f] = x.dims();
        let v: Vec<f32> = x.clone().slice([sample..sample + 1]).reshape([n * f]).into_data().try_to_vec::<f32>().expect("f32");
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        (v.iter().map(|a| (a - mean).powi(2)).sum::<f32>() / (v.len() - 1) as f32).sqrt()
    }

    #[test]
    fn guidance_rescale_brings_each_sample_back_to_the_conditional_spread() {
        let device = Device::flex();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let cond = Tensor::<3>::from_data(TensorData::new(gaussian(&mut rng, 2 * 6 * 5), [2, 6, 5]), &device);
        // A guided estimate with three and five times the spread of its sample's conditional one.
        let scale = Tensor::<3>::from_data(TensorData::new(vec![3.0f32, 5.0], [2, 1, 1]), &device);
        let guided = cond.clone() * scale;
        let full = rescale_guided(guided.clone(), cond.clone(), 1.0);
        let partial = rescale_guided(guided.clone(), cond.clone(), 0.5);
        for s in 0..2 {
            let (c, g) = (std_of(&cond, s), std_of(&guided, s));
            assert!((std_of(&full, s) - c).abs() < 1e-4 * c, "φ 1 must match the conditional spread");
            assert!((std_of(&partial, s) - 0.5 * (c + g)).abs() < 1e-4 * g, "φ 0.5 mixes halfway");
        }
        let off = rescale_guided(guided.clone(), cond, 0.0);
        assert!(off.sub(guided).abs().max().into_scalar::<f32>() < 1e-6);
    }
}
