//! The evaluator on a synthetic dataset whose actions and styles are distinguishable by
//! construction: training must learn them, and the metrics must separate real from baselines.

use motion::dataset::{ClipEntry, DatasetCache, Split};
use motion::features::FEATURE_DIM;
use motion_model::evaluator::data::LabelledClips;
use motion_model::evaluator::eval::{ACCURACY, FID, R3, WALK_TURN, WALK_TURN_ABS, evaluate_set, mismatched_texts, noise_set, real_set, reference_embeddings};
use motion_model::evaluator::train::LoadEvaluatorError;
use motion_model::evaluator::{EvaluatorConfig, EvaluatorTrainConfig, load_evaluator, train_evaluator};

const ACTIONS: usize = 8;
const STYLES: usize = 4;

/// 8 actions × 4 styles; per group 3 train clips and 1 test clip. An action sets the
/// frequency of the features, a style their offset and amplitude; clips differ in phase.
fn synthetic_cache() -> DatasetCache {
    let (mut clips, mut features, mut start) = (Vec::new(), Vec::new(), 0);
    for a in 0..ACTIONS {
        for s in 0..STYLES {
            for take in 0..4 {
                let frames = 40 + 4 * take;
                for i in 0..frames {
                    for j in 0..FEATURE_DIM {
                        let w = 0.1 + 0.08 * a as f32;
                        // Test takes (3) sit between train takes in phase: held out, not out of range.
                        let phase = [0.0, 1.0, 2.0, 0.5][take] + j as f32 * 0.3;
                        features.push((i as f32 * w + phase).sin() * (0.5 + 0.2 * s as f32) + 0.3 * s as f32);
                    }
                }
                clips.push(ClipEntry {
                    name: format!("a{a}_s{s}_{take}"),
                    dataset: 1,
                    action: format!("action{a}"),
                    style: format!("style{s}"),
                    take: take.to_string(),
                    split: if take == 3 { Split::Test } else { Split::Train },
                    captions: vec![format!("a person does action {a} in style {s}"), format!("someone: action {a}, style {s}")],
                    start,
                    frames,
                });
                start += frames;
            }
        }
    }
    DatasetCache { clips, features, mean: vec![0.0; FEATURE_DIM], std: vec![1.0; FEATURE_DIM] }
}

/// Stand-in for MiniLM: a fixed pseudo-random unit vector per (action, style) read off the
/// caption, so both phrasings of a group get the same embedding.
fn fake_embed(texts: &[&str]) -> Result<Vec<[f32; 384]>, String> {
    Ok(texts
        .iter()
        .map(|t| {
            let digits: Vec<u64> = t.chars().filter_map(|c| c.to_digit(10).map(u64::from)).collect();
            let key = digits.iter().fold(7u64, |h, d| h.wrapping_mul(31).wrapping_add(*d));
            let mut v = [0f32; 384];
            let mut x = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            for e in v.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *e = (x % 2001) as f32 / 1000.0 - 1.0;
            }
            let n = v.iter().map(|e| e * e).sum::<f32>().sqrt();
            v.map(|e| e / n)
        })
        .collect())
}

#[test]
fn evaluator_learns_synthetic_actions_and_metrics_separate_baselines() {
    let cache = synthetic_cache();
    let data = LabelledClips::new(&cache, None, None, &mut fake_embed).expect("labelled clips");
    assert_eq!(data.actions.len(), ACTIONS);
    assert_eq!(data.groups.len(), ACTIONS * STYLES);
    let model = EvaluatorConfig::new(ACTIONS).with_d_model(32).with_n_heads(2).with_n_layers(1).with_embed_dim(32).with_max_frames(60).with_dropout(0.0);
    let cfg = EvaluatorTrainConfig::new(model).with_steps(400).with_batch(32).with_lr(2e-3);
    let dir = tempfile::tempdir().expect("tempdir");
    let device = motion_model::Device::flex();
    let ev = train_evaluator(&cfg, &data, dir.path(), &device, &mut |_| true).expect("trains");

    // What was written loads back and gives the same embeddings.
    let loaded = load_evaluator(dir.path(), &device).expect("loads");
    assert_eq!(loaded.actions, ev.actions);

    let reference = reference_embeddings(&loaded, &data, &device);
    let real = real_set(&data, Split::Test, 0, 10);
    assert_eq!(real.motions.len(), ACTIONS * STYLES);
    let r = evaluate_set(&loaded, &data, &real, &reference, 5, 0, &device);
    let shuffled = evaluate_set(&loaded, &data, &mismatched_texts(&real, 1), &reference, 5, 0, &device);
    let noise = evaluate_set(&loaded, &data, &noise_set(&real, &loaded, 2), &reference, 5, 0, &device);
    let v = |s: &motion_model::evaluator::SetReport, n: &str| s.get(n).expect(n).mean;
    let train_set = evaluate_set(&loaded, &data, &real_set(&data, Split::Train, 0, 10), &reference, 2, 0, &device);
    eprintln!("{}", motion_model::evaluator::report::table(&[r.clone(), train_set, shuffled.clone(), noise.clone()]));
    assert!(v(&r, ACCURACY) >= 0.5, "held-out action accuracy {}", v(&r, ACCURACY));
    assert!(v(&r, R3) >= 0.8, "R@3 on matched pairs {}", v(&r, R3));
    assert!(v(&shuffled, R3) < 0.3, "R@3 with shuffled texts {}", v(&shuffled, R3));
    assert!(v(&noise, FID) > 5.0 * v(&r, FID).max(1e-3), "FID real {} vs noise {}", v(&r, FID), v(&noise, FID));
    // No action is labelled "walk" here: the walk-turn figures are left out, not reported as 0.
    assert!(r.get(WALK_TURN).is_none() && r.get(WALK_TURN_ABS).is_none(), "walk-turn figures without walks");
}

#[test]
fn loading_a_broken_evaluator_folder_names_the_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = motion_model::Device::flex();
    match load_evaluator(dir.path(), &device) {
        Err(LoadEvaluatorError::Missing { file, .. }) => assert_eq!(file, "evaluator.bpk"),
        other => panic!("expected a missing-file error, got {other:?}"),
    }
    for f in ["evaluator.bpk", "config.json", "stats.json", "actions.json"] {
        std::fs::write(dir.path().join(f), b"not what it should be").expect("write");
    }
    let err = load_evaluator(dir.path(), &device).expect_err("garbage must not load");
    assert!(err.to_string().contains("config.json"), "{err}");
}
