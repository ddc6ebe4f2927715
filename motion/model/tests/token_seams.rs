//! Diagnostics, not part of the default test run; they print the figures quoted in
//! docs/model-card.md ("Token seams", "Foot lock"):
//! * one-step x0 predictions from noised *real* walks: seams at the 4-frame token boundaries?
//! * where along the sampler (from pure noise) the seams form, and whether the sampler's
//!   remaining steps from a real walk noised to a middle level make them;
//! * smoothing the early x0 predictions against the seams;
//! * resampling a first draw from a middle noise level (FreeInit-style);
//! * how far the default foot lock shortens *real* walks and runs.
//!
//! Toe speeds are relative to the pelvis, across token boundaries and within tokens.
//!
//!     MOTION_CACHE=~/.cache/motion-cache cargo test -p motion-model --test token_seams -- --ignored --nocapture
use std::path::PathBuf;

use burn::prelude::*;
use motion::dataset::{CACHE_FILE, DatasetCache, Split};
use motion::features::{FEATURE_DIM, decode};
use motion::skeleton::joint;
use motion_model::diffusion::{CosineSchedule, gaussian};
use motion_model::generate::Generator;
use rand::SeedableRng;

/// Mean toe speed relative to the pelvis (cm/frame, mean of both toes) across token boundaries
/// (frame pairs 3→4, 7→8, …) and within tokens.
fn boundary_and_within(frames: &[[f32; FEATURE_DIM]], frames_per_token: usize) -> (f32, f32) {
    let p = decode(frames).joint_positions();
    let (mut b, mut w, mut nb, mut nw) = (0.0, 0.0, 0, 0);
    for t in 0..p.len() - 1 {
        let s: f32 = [joint::L_FOOT, joint::R_FOOT]
            .iter()
            .map(|&j| ((p[t + 1][j] - p[t + 1][joint::PELVIS]) - (p[t][j] - p[t][joint::PELVIS])).norm() * 100.0 / 2.0)
            .sum();
        if t % frames_per_token == frames_per_token - 1 {
            (b, nb) = (b + s, nb + 1);
        } else {
            (w, nw) = (w + s, nw + 1);
        }
    }
    (b / nb.max(1) as f32, w / nw.max(1) as f32)
}

#[test]
#[ignore = "diagnostic: needs MOTION_CACHE (a `motion dataset build` folder); prints figures"]
fn one_step_predictions_from_real_walks_have_no_token_seams() {
    let cache_dir = PathBuf::from(std::env::var_os("MOTION_CACHE").expect("set MOTION_CACHE to a `motion dataset build` folder"));
    let device = Device::flex();
    let model_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/default");
    let g = Generator::load(&model_dir, &device).expect("shipped model");
    let cache = DatasetCache::read(&cache_dir.join(CACHE_FILE)).expect("dataset cache");
    let fpt = g.config.denoiser.frames_per_token;
    let n = 120;
    let clips: Vec<_> = cache.clips.iter().filter(|c| c.split == Split::Test && c.action == "walk" && c.frames >= n).take(8).collect();
    assert!(!clips.is_empty(), "no test-split walk of {n}+ frames in the cache");
    let schedule = CosineSchedule::new(g.config.diffusion_steps);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut worst = 0.0f32;
    for t in [999usize, 800, 600, 400, 200, 99, 20] {
        let (mut pred_b, mut pred_w, mut real_b, mut real_w) = (0.0, 0.0, 0.0, 0.0);
        for c in &clips {
            let rows = &cache.clip_rows(c)[..n * FEATURE_DIM];
            let norm: Vec<f32> = rows
                .chunks_exact(FEATURE_DIM)
                .flat_map(|r| r.iter().zip(&g.stats.mean).zip(&g.stats.std).map(|((x, m), s)| (x - m) / s))
                .collect();
            let x0 = Tensor::<3>::from_data(TensorData::new(norm, [1, n, FEATURE_DIM]), &device);
            let noise = Tensor::<3>::from_data(TensorData::new(gaussian(&mut rng, n * FEATURE_DIM), [1, n, FEATURE_DIM]), &device);
            let xt = schedule.q_sample(x0, noise, &[t]);
            // Unconditional (text dropped), so no text encoder is needed.
            let text = Tensor::<2>::zeros([1, g.config.denoiser.text_dim], &device);
            let keep = Tensor::<1>::zeros([1], &device);
            let pad = Tensor::<2, Bool>::from_data(TensorData::new(vec![false; n / fpt], [1, n / fpt]), &device);
            let pred: Vec<f32> = g.model.forward(xt, &[t as f32], text, keep, pad).into_data().try_to_vec::<f32>().expect("f32");
            let pred: Vec<[f32; FEATURE_DIM]> =
                pred.chunks_exact(FEATURE_DIM).map(|r| std::array::from_fn(|k| r[k] * g.stats.std[k] + g.stats.mean[k])).collect();
            let real: Vec<[f32; FEATURE_DIM]> = rows.chunks_exact(FEATURE_DIM).map(|r| std::array::from_fn(|k| r[k])).collect();
            let ((pb, pw), (rb, rw)) = (boundary_and_within(&pred, fpt), boundary_and_within(&real, fpt));
            (pred_b, pred_w, real_b, real_w) = (pred_b + pb, pred_w + pw, real_b + rb, real_w + rw);
        }
        let k = clips.len() as f32;
        println!(
            "noise level {t:4}: predicted x0 toes {:.1} cm/frame across token boundaries, {:.1} within | real {:.1} / {:.1} ({} walks)",
            pred_b / k, pred_w / k, real_b / k, real_w / k, clips.len()
        );
        if t < 999 {
            worst = worst.max((pred_b / pred_w).max(1.0));
        }
    }
    // Sampled walks show ~3.5× (28 vs 7.6 cm/frame); one-step predictions should not.
    assert!(worst < 1.5, "one-step predictions have token seams: boundary/within up to {worst:.2}");
}

/// Toe seams (boundary, within) of normalised predictions `[1, n, F]`.
fn seams_of(pred: Tensor<3>, g: &Generator) -> (f32, f32) {
    let v: Vec<f32> = pred.into_data().try_to_vec::<f32>().expect("f32");
    let frames: Vec<[f32; FEATURE_DIM]> = v.chunks_exact(FEATURE_DIM).map(|r| std::array::from_fn(|k| r[k] * g.stats.std[k] + g.stats.mean[k])).collect();
    boundary_and_within(&frames, g.config.denoiser.frames_per_token)
}

/// The shipped (or $MOTION_MODEL_DIR) model and "a person walks forward", 6 s.
struct WalkPrompt {
    device: Device,
    g: Generator,
    emb: Vec<f32>,
    n: usize,
}

impl WalkPrompt {
    fn load() -> Self {
        let device = Device::flex();
        let model_dir = std::env::var_os("MOTION_MODEL_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/default"));
        let g = Generator::load(&model_dir, &device).expect("model");
        let enc = motion_model::text_encoder::TextEncoder::load(&motion_model::text_encoder::locate_model_dir(None).expect("MiniLM"), &device).expect("MiniLM");
        let emb = enc.encode(&["a person walks forward"]).expect("embedding")[0].to_vec();
        Self { device, g, emb, n: 120 }
    }

    /// Guided x0 prediction; a negative `guidance` gives the unconditional branch alone.
    fn predict(&self, x: Tensor<3>, t: usize, guidance: f32) -> Tensor<3> {
        let d = &self.device;
        let tokens = self.n / self.g.config.denoiser.frames_per_token;
        let pad = Tensor::<2, Bool>::from_data(TensorData::new(vec![false; tokens], [1, tokens]), d);
        let text = Tensor::<2>::from_data(TensorData::new(self.emb.clone(), [1, self.emb.len()]), d);
        let u = self.g.model.forward(x.clone(), &[t as f32], text.clone(), Tensor::<1>::zeros([1], d), pad.clone());
        if guidance < 0.0 {
            return u;
        }
        let c = self.g.model.forward(x, &[t as f32], text, Tensor::<1>::ones([1], d), pad);
        u.clone() + (c - u) * guidance
    }

    /// DDIM (η = 0) from `x` at `ts[from]` down the rest of `ts`; `on_x0(t, x0)` sees (and may
    /// replace) each step's x0 prediction. Returns the last x0.
    fn sample_from(
        &self,
        mut x: Tensor<3>,
        ts: &[usize],
        from: usize,
        guidance: f32,
        schedule: &CosineSchedule,
        on_x0: &mut dyn FnMut(usize, Tensor<3>) -> Tensor<3>,
    ) -> Tensor<3> {
        let mut last = x.clone();
        for (i, &t) in ts.iter().enumerate().skip(from) {
            let x0 = on_x0(t, self.predict(x.clone(), t, guidance));
            last = x0.clone();
            let next = ts.get(i + 1).map(|&tp| schedule.alpha_bar(tp)).unwrap_or(1.0);
            x = if next >= 1.0 { x0 } else { motion_model::diffusion::ddim_step(x, x0, &[schedule.alpha_bar(t)], &[next]) };
        }
        last
    }
}

#[test]
#[ignore = "diagnostic: needs MOTION_CACHE and MiniLM; prints figures"]
fn where_along_the_sampler_the_seams_form() {
    let cache_dir = PathBuf::from(std::env::var_os("MOTION_CACHE").expect("set MOTION_CACHE to a `motion dataset build` folder"));
    let w = WalkPrompt::load();
    let (device, g, n) = (w.device.clone(), &w.g, w.n);
    let schedule = CosineSchedule::new(g.config.diffusion_steps);
    let ts = motion_model::diffusion::DdimSampler::new(10).timesteps(&schedule);
    // Guidance < 0 stands for the unconditional branch alone.
    for guidance in [4.0f32, 1.0, -1.0] {
        let mut per_step = vec![(0.0f32, 0.0f32); ts.len()];
        let seeds = 3;
        for seed in 0..seeds {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let x = Tensor::<3>::from_data(TensorData::new(gaussian(&mut rng, n * FEATURE_DIM), [1, n, FEATURE_DIM]), &device);
            let mut i = 0;
            w.sample_from(x, &ts, 0, guidance, &schedule, &mut |_, x0| {
                let (b, wi) = seams_of(x0.clone(), g);
                per_step[i] = (per_step[i].0 + b / seeds as f32, per_step[i].1 + wi / seeds as f32);
                i += 1;
                x0
            });
        }
        let label = if guidance < 0.0 { "unconditional".to_string() } else { format!("guidance {guidance}") };
        let row: Vec<String> = ts.iter().zip(&per_step).map(|(t, (b, w))| format!("t{t}: {b:.1}/{w:.1}")).collect();
        println!("sampled walk, {label}: x0 toes boundary/within cm/frame per step: {}", row.join("  "));
    }
    // From a real walk noised to a middle level, the sampler's remaining steps (guidance 4).
    let cache = DatasetCache::read(&cache_dir.join(CACHE_FILE)).expect("dataset cache");
    let clips: Vec<_> = cache.clips.iter().filter(|c| c.split == Split::Test && c.action == "walk" && c.frames >= n).take(4).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    for start in [1usize, 3, 5] {
        let (mut sb, mut sw) = (0.0, 0.0);
        for c in &clips {
            let rows = &cache.clip_rows(c)[..n * FEATURE_DIM];
            let norm: Vec<f32> = rows.chunks_exact(FEATURE_DIM).flat_map(|r| r.iter().zip(&g.stats.mean).zip(&g.stats.std).map(|((x, m), s)| (x - m) / s)).collect();
            let x0 = Tensor::<3>::from_data(TensorData::new(norm, [1, n, FEATURE_DIM]), &device);
            let noise = Tensor::<3>::from_data(TensorData::new(gaussian(&mut rng, n * FEATURE_DIM), [1, n, FEATURE_DIM]), &device);
            let last = w.sample_from(schedule.q_sample(x0, noise, &[ts[start]]), &ts, start, 4.0, &schedule, &mut |_, x0| x0);
            let (b, wi) = seams_of(last, g);
            (sb, sw) = (sb + b / clips.len() as f32, sw + wi / clips.len() as f32);
        }
        println!("real walks noised to t{} then sampled (guidance 4): final toes boundary/within {sb:.1}/{sw:.1} cm/frame", ts[start]);
    }
}

/// Row-normalised Gaussian smoothing matrix over `n` frames, σ in frames.
fn smoothing_matrix(n: usize, sigma: f32, device: &Device) -> Tensor<3> {
    let mut m = vec![0f32; n * n];
    for i in 0..n {
        let row: Vec<f32> = (0..n).map(|j| (-0.5 * ((i as f32 - j as f32) / sigma).powi(2)).exp()).collect();
        let s: f32 = row.iter().sum();
        for j in 0..n {
            m[i * n + j] = row[j] / s;
        }
    }
    Tensor::<3>::from_data(TensorData::new(m, [1, n, n]), device)
}

#[test]
#[ignore = "diagnostic: needs MiniLM; prints figures"]
fn smoothing_early_predictions_against_seams() {
    let w = WalkPrompt::load();
    let (device, g, n) = (w.device.clone(), &w.g, w.n);
    let schedule = CosineSchedule::new(g.config.diffusion_steps);
    let ts = motion_model::diffusion::DdimSampler::new(10).timesteps(&schedule);
    for (sigma, above) in [(0.0f32, 1000usize), (2.0, 700), (2.0, 500), (4.0, 700), (4.0, 500), (2.0, 0)] {
        let s = (sigma > 0.0).then(|| smoothing_matrix(n, sigma, &device));
        let (mut sb, mut sw) = (0.0, 0.0);
        let seeds = 3;
        for seed in 0..seeds {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let x = Tensor::<3>::from_data(TensorData::new(gaussian(&mut rng, n * FEATURE_DIM), [1, n, FEATURE_DIM]), &device);
            let last = w.sample_from(x, &ts, 0, 4.0, &schedule, &mut |t, x0| match &s {
                Some(s) if t >= above => s.clone().matmul(x0),
                _ => x0,
            });
            let (b, wi) = seams_of(last, g);
            (sb, sw) = (sb + b / seeds as f32, sw + wi / seeds as f32);
        }
        println!("smooth x0 σ {sigma} at t ≥ {above}: final toes boundary/within {sb:.1}/{sw:.1} cm/frame");
    }
}

#[test]
#[ignore = "diagnostic: needs MOTION_CACHE; prints figures"]
fn foot_lock_on_real_walks() {
    let cache_dir = PathBuf::from(std::env::var_os("MOTION_CACHE").expect("set MOTION_CACHE to a `motion dataset build` folder"));
    let cache = DatasetCache::read(&cache_dir.join(CACHE_FILE)).expect("dataset cache");
    for action in ["walk", "run", "walk-turn-left"] {
        let clips: Vec<_> = cache.clips.iter().filter(|c| c.split == Split::Test && c.action == action && c.frames >= 120).take(6).collect();
        let (mut before, mut after, mut smoothed, mut all_low, mut lifted_frames) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for c in &clips {
            let rows = &cache.clip_rows(c)[..120 * FEATURE_DIM];
            let frames: Vec<[f32; FEATURE_DIM]> = rows.chunks_exact(FEATURE_DIM).map(|r| std::array::from_fn(|k| r[k])).collect();
            let m = decode(&frames);
            let net = |m: &motion::Motion| {
                let (a, b) = (m.poses[0].root_m, m.poses[m.poses.len() - 1].root_m);
                ((b.x - a.x).powi(2) + (b.z - a.z).powi(2)).sqrt()
            };
            before += net(&m) / clips.len() as f32;
            let cleaned = motion::cleanup::Cleanup::default().apply(&m);
            after += net(&cleaned) / clips.len() as f32;
            let old_default = motion::cleanup::Cleanup { foot_lock: motion::cleanup::FootLock::AllLowToes, ..Default::default() };
            all_low += net(&old_default.apply(&m)) / clips.len() as f32;
            // Share of toe frames the default lifts by more than 5 mm over the smoothed clip.
            let smooth = motion::cleanup::smooth(&m, 1.0);
            smoothed += net(&smooth) / clips.len() as f32;
            let (s, c) = (smooth.joint_positions(), cleaned.joint_positions());
            let toes = [motion::skeleton::joint::L_FOOT, motion::skeleton::joint::R_FOOT];
            let lifted = s.iter().zip(&c).map(|(a, b)| toes.iter().filter(|&&j| b[j].y - a[j].y > 0.005).count()).sum::<usize>();
            lifted_frames += lifted as f32 / (2 * s.len() * clips.len()) as f32;
        }
        println!(
            "real test {action} ({} clips, 6 s): net travel {before:.2} m, smoothed {smoothed:.2} m, default clean-up {after:.2} m \
             (toe frames lifted > 5 mm: {:.0} %), all-low lock {all_low:.2} m",
            clips.len(),
            100.0 * lifted_frames
        );
    }
}

/// FreeInit-style resampling: draw once, (optionally) smooth the result over time, noise it
/// back to a middle level with fresh noise and run the sampler's remaining steps. Real walks
/// noised to 699 come out seam-free; does a first draw's coarse motion carry a coherent phase?
#[test]
#[ignore = "diagnostic: needs MiniLM; prints figures"]
fn resampling_a_first_draw_from_a_middle_level() {
    let w = WalkPrompt::load();
    let (device, g, n) = (w.device.clone(), &w.g, w.n);
    let schedule = CosineSchedule::new(g.config.diffusion_steps);
    let ts = motion_model::diffusion::DdimSampler::new(10).timesteps(&schedule);
    let run = |x: Tensor<3>, from: usize| w.sample_from(x, &ts, from, 4.0, &schedule, &mut |_, x0| x0);
    let seeds = 3;
    let firsts: Vec<Tensor<3>> = (0..seeds)
        .map(|seed| {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            run(Tensor::<3>::from_data(TensorData::new(gaussian(&mut rng, n * FEATURE_DIM), [1, n, FEATURE_DIM]), &device), 0)
        })
        .collect();
    let (mut fb, mut fw) = (0.0, 0.0);
    for f in &firsts {
        let (b, w) = seams_of(f.clone(), g);
        (fb, fw) = (fb + b / seeds as f32, fw + w / seeds as f32);
    }
    println!("first draw: toes boundary/within {fb:.1}/{fw:.1} cm/frame");
    for (from, sigma, rounds) in [(3usize, 0.0f32, 1usize), (3, 2.0, 1), (3, 4.0, 1), (1, 2.0, 1), (3, 2.0, 3), (5, 2.0, 1)] {
        let s = (sigma > 0.0).then(|| smoothing_matrix(n, sigma, &device));
        let (mut sb, mut sw) = (0.0, 0.0);
        for (seed, first) in firsts.iter().enumerate() {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(100 + seed as u64);
            let mut x0 = first.clone();
            for _ in 0..rounds {
                let coarse = match &s {
                    Some(s) => s.clone().matmul(x0),
                    None => x0,
                };
                let noise = Tensor::<3>::from_data(TensorData::new(gaussian(&mut rng, n * FEATURE_DIM), [1, n, FEATURE_DIM]), &device);
                x0 = run(schedule.q_sample(coarse, noise, &[ts[from]]), from);
            }
            let (b, w) = seams_of(x0, g);
            (sb, sw) = (sb + b / seeds as f32, sw + w / seeds as f32);
        }
        println!("resampled from t{} (σ {sigma}, {rounds}×): toes boundary/within {sb:.1}/{sw:.1} cm/frame", ts[from]);
    }
}
