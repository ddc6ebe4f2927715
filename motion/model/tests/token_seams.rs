//! Diagnostic, not part of the default test run: are there seams at the 4-frame token boundaries
//! in the shipped model's one-step x0 predictions from noised *real* walks? (Generated walks have
//! them: docs/model-card.md, "Token seams".) Prints the toes' speed relative to the pelvis across
//! boundaries and within tokens, per noise level, for up to 8 test-split walks:
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
