//! Fast checks of the denoiser, sampler, training loop and generation on a tiny model and a
//! synthetic dataset (no MiniLM, no trained weights needed).

use burn::prelude::*;
use motion::dataset::{ClipEntry, DatasetCache, Split};
use motion::features::{FEATURE_DIM, decode};
use motion_model::denoiser::DenoiserConfig;
use motion_model::diffusion::{CosineSchedule, DdimSampler, SampleRequest, ddim_step, gaussian};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use motion_model::generate::{GenerateError, GenerateOptions, Generator, check_text};
use motion_model::train::{TrainConfig, TrainData, export_model, train, validate};

fn tiny() -> DenoiserConfig {
    DenoiserConfig::new()
        .with_d_model(32)
        .with_n_layers(1)
        .with_n_heads(2)
        .with_d_ff(64)
        .with_frames_per_token(4)
        .with_max_frames(40)
        .with_dropout(0.0)
}

/// Smooth synthetic clips: each feature a sinusoid whose phase depends on the clip.
fn synthetic_cache() -> DatasetCache {
    let mut clips = Vec::new();
    let mut features = Vec::new();
    let mut start = 0;
    for c in 0..12 {
        let frames = 20 + (c * 7) % 30;
        for i in 0..frames {
            for j in 0..FEATURE_DIM {
                features.push(((i as f32) * 0.2 + j as f32 * 0.1 + c as f32).sin() * 0.5);
            }
        }
        clips.push(ClipEntry {
            name: format!("clip{c}"),
            dataset: 1,
            action: "walk".into(),
            style: "normal".into(),
            take: format!("{c}"),
            split: if c < 9 { Split::Train } else { Split::Val },
            captions: vec![format!("caption {}", c % 3), "a person moves".into()],
            start,
            frames,
        });
        start += frames;
    }
    DatasetCache { clips, features, mean: vec![0.0; FEATURE_DIM], std: vec![0.5; FEATURE_DIM] }
}

/// Stand-in for MiniLM: a deterministic unit vector per caption.
fn fake_embed(texts: &[&str]) -> Result<Vec<[f32; 384]>, String> {
    Ok(texts
        .iter()
        .map(|t| {
            let h = t.bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
            let mut v = [0f32; 384];
            for (i, x) in v.iter_mut().enumerate() {
                *x = ((h as f32) * 0.001 + i as f32).sin() / (384f32).sqrt();
            }
            v
        })
        .collect())
}

fn data() -> TrainData {
    TrainData::new(&synthetic_cache(), None, &mut |t| fake_embed(t)).expect("synthetic data")
}

/// Trains `cfg` on the synthetic data and checks that the validation loss fell by 20 %.
fn assert_loss_falls(cfg: &TrainConfig) -> tempfile::TempDir {
    let device = Device::flex();
    let paraphrases = cfg.caption_paraphrases.unwrap_or(false);
    let data = TrainData::with_paraphrases(&synthetic_cache(), None, &mut |t| fake_embed(t), paraphrases).expect("synthetic data");
    device.seed(42);
    let before = validate(&cfg.denoiser.init(&device), &data, cfg, &device);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = train(cfg, &data, dir.path(), &device, false, &mut |_| true).expect("train");
    let after = out.last_val.expect("validated at the last step");
    assert!(after.total.is_finite() && after.total < 0.8 * before.total, "val loss {} -> {}", before.total, after.total);
    dir
}

fn quick_run() -> TrainConfig {
    TrainConfig::new(tiny()).with_steps(40).with_batch(8).with_lr(2e-3).with_val_every(1000).with_checkpoint_every(1000)
}

#[test]
fn tiny_model_loss_decreases() {
    let dir = assert_loss_falls(&quick_run());
    assert!(dir.path().join("loss.csv").is_file());
    assert!(dir.path().join("checkpoint/model.bpk").is_file());
    assert!(dir.path().join("model/model.bpk").is_file());
}

#[test]
fn caption_paraphrases_reach_the_text_encoder_only_when_asked() {
    let embedded = |paraphrases: bool| {
        let mut seen: Vec<String> = Vec::new();
        TrainData::with_paraphrases(&synthetic_cache(), None, &mut |t| {
            seen.extend(t.iter().map(|s| s.to_string()));
            fake_embed(t)
        }, paraphrases)
        .expect("synthetic data");
        seen
    };
    let plain = embedded(false);
    assert_eq!(plain.len(), 4, "{plain:?}");
    let augmented = embedded(true);
    let extra = motion_datasets::captions::training_paraphrases("walk", "normal");
    assert!(augmented.len() > plain.len() + 10, "{augmented:?}");
    assert!(plain.iter().all(|c| augmented.contains(c)));
    assert!(extra.iter().all(|c| augmented.contains(c)), "every paraphrase of walk/normal is embedded");
}

#[test]
fn training_with_caption_paraphrases_learns_and_is_recorded() {
    let dir = assert_loss_falls(&quick_run().with_caption_paraphrases(Some(true)));
    let saved = TrainConfig::load(dir.path().join("config.json")).expect("config");
    assert_eq!(saved.caption_paraphrases, Some(true));
}

#[test]
fn overlapping_tokens_train_and_the_export_keeps_the_layout() {
    let dir = assert_loss_falls(&TrainConfig::new(tiny().with_overlapping_tokens(Some(true))).with_steps(40).with_batch(8).with_lr(2e-3).with_val_every(1000).with_checkpoint_every(1000));
    let saved = TrainConfig::load(dir.path().join("model/config.json")).expect("exported config");
    assert_eq!(saved.denoiser.overlapping_tokens, Some(true));
    // The exported model samples with that layout (29 frames: a padded last token).
    let device = Device::flex();
    let g = Generator::load(&dir.path().join("model"), &device).expect("load f16 model");
    let emb = fake_embed(&["a person walks"]).expect("embed")[0];
    let opts = GenerateOptions { seconds: 1.45, samples: 1, guidance: 2.0, steps: 3, seed: 3, ..GenerateOptions::default() };
    let out = g.generate(&emb, &opts, &mut |_, _| {}).expect("generate");
    assert_eq!(out[0].len(), 29);
    assert!(out[0].iter().flatten().all(|v| v.is_finite()));
}

#[test]
fn unrolled_training_inputs_train_too() {
    // The model's own (no-gradient) DDIM steps build the input; the loss must still fall.
    let dir = assert_loss_falls(&quick_run().with_unroll_steps(Some(2)).with_unroll_max_t(Some(600)));
    let saved = TrainConfig::load(dir.path().join("config.json")).expect("config");
    assert_eq!((saved.unroll_steps, saved.unroll_max_t), (Some(2), Some(600)));
}

#[test]
fn ddim_step_with_the_true_clean_motion_lands_on_the_lower_noise_level() {
    let device = Device::flex();
    let s = CosineSchedule::new(1000);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let shape = [2, 8, 5];
    let x0 = Tensor::<3>::from_data(TensorData::new(gaussian(&mut rng, 80), shape), &device);
    let noise = Tensor::<3>::from_data(TensorData::new(gaussian(&mut rng, 80), shape), &device);
    let (hi, lo) = ([899, 299], [799, 199]);
    let ab = |t: [usize; 2]| t.map(|t| s.alpha_bar(t));
    let x_hi = s.q_sample(x0.clone(), noise.clone(), &hi);
    let want: Vec<f32> = s.q_sample(x0.clone(), noise, &lo).into_data().try_to_vec::<f32>().expect("f32");
    let got: Vec<f32> = ddim_step(x_hi.clone(), x0.clone(), &ab(hi), &ab(lo)).into_data().try_to_vec::<f32>().expect("f32");
    let worst = want.iter().zip(&got).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(worst < 1e-4, "max error {worst}");
    // A wrong clean motion does not land there.
    let off: Vec<f32> = ddim_step(x_hi, x0 * 0.5, &ab(hi), &ab(lo)).into_data().try_to_vec::<f32>().expect("f32");
    assert!(want.iter().zip(&off).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max) > 0.1);
}

#[test]
fn resume_continues_from_checkpoint() {
    let device = Device::flex();
    let data = data();
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = TrainConfig::new(tiny()).with_steps(4).with_batch(2).with_checkpoint_every(2).with_val_every(100);
    train(&cfg, &data, dir.path(), &device, false, &mut |_| true).expect("first run");
    let cfg = cfg.with_steps(6);
    let mut seen = Vec::new();
    let s = train(&cfg, &data, dir.path(), &device, true, &mut |p| {
        seen.push(p.step);
        true
    }).expect("resumed run");
    assert_eq!(s.resumed_from, 4);
    assert_eq!(seen, vec![5, 6]);
    // A different shape cannot resume from these weights.
    let other = TrainConfig::new(tiny().with_d_model(64)).with_steps(8).with_batch(2);
    assert!(train(&other, &data, dir.path(), &device, true, &mut |_| true).is_err());
}

#[test]
fn fine_tune_starts_from_the_given_weights() {
    let device = Device::flex();
    let data = data();
    let base = tempfile::tempdir().expect("tempdir");
    let cfg = TrainConfig::new(tiny()).with_steps(6).with_batch(4).with_lr(2e-3).with_val_every(100);
    train(&cfg, &data, base.path(), &device, false, &mut |_| true).expect("base run");
    let shipped = base.path().join("model");

    // lr 0: the fine-tuned model is exactly the shipped (f16) weights, with the root-path and
    // hand losses switched on and finite.
    let ft = tempfile::tempdir().expect("tempdir");
    let ft_cfg = TrainConfig::new(tiny())
        .with_steps(1)
        .with_batch(4)
        .with_lr(0.0)
        .with_w_heading(Some(0.3))
        .with_w_path(Some(0.05))
        .with_w_hand_vel(Some(50.0))
        .with_w_foot(Some(100.0))
        .with_init_from(Some(shipped.display().to_string()));
    let mut parts = None;
    let out = train(&ft_cfg, &data, ft.path(), &device, false, &mut |p| {
        parts = Some(p.loss);
        true
    })
    .expect("fine-tune");
    let p = parts.expect("one step");
    assert!(p.total.is_finite() && p.heading.is_finite() && p.path.is_finite() && p.hand.is_finite() && p.foot.is_finite(), "{p:?}");
    assert!(p.path > 0.0 && p.hand > 0.0, "synthetic clips move, so the terms are not empty: {p:?}");
    let loaded = motion_model::train::load_weights(tiny().init(&device), &shipped.join("model.bpk"), true).expect("load shipped");
    let a = validate(&out.model, &data, &cfg, &device).total;
    let b = validate(&loaded, &data, &cfg, &device).total;
    assert!((a - b).abs() < 1e-5, "fine-tune did not start from the shipped weights: {a} vs {b}");
    device.seed(99);
    let fresh = validate(&tiny().init(&device), &data, &cfg, &device).total;
    assert!((fresh - b).abs() > 1e-3, "a random init would have been told apart: {fresh} vs {b}");

    // A model of another shape is refused with a message naming the folder.
    let bad = TrainConfig::new(tiny().with_d_model(64)).with_steps(1).with_batch(2).with_init_from(Some(shipped.display().to_string()));
    let err = train(&bad, &data, tempfile::tempdir().expect("tempdir").path(), &device, false, &mut |_| true).err().expect("shape mismatch");
    assert!(err.to_string().contains("different model shape"), "{err}");
}

/// The untrained tiny denoiser (weights from seed 1) on the CPU, with the 1,000-level schedule
/// the sampler tests share.
fn seeded_tiny_sampler_setup() -> (Device, motion_model::denoiser::Denoiser, CosineSchedule) {
    let device = Device::flex();
    device.seed(1);
    let model = tiny().init(&device);
    (device, model, CosineSchedule::new(1000))
}

fn request(seed: u64, frames: usize, samples: usize) -> SampleRequest {
    SampleRequest { text: fake_embed(&["walk"]).expect("embed")[0].to_vec(), frames, samples, guidance: 2.5, seed }
}

#[test]
fn ddim_is_reproducible_and_shapes_are_right() {
    let (device, model, schedule) = seeded_tiny_sampler_setup();
    let sampler = DdimSampler::new(5);
    let mut steps = 0;
    // 22 frames is not a multiple of 4 frames per token: padding must be masked and cut off.
    let a = sampler.sample(&model, &schedule, &request(7, 22, 3), &device, &mut |i, n| {
        steps = i;
        assert_eq!(n, 5);
    });
    assert_eq!(steps, 5);
    assert_eq!(a.dims(), [3, 22, FEATURE_DIM]);
    let b = sampler.sample(&model, &schedule, &request(7, 22, 3), &device, &mut |_, _| {});
    let c = sampler.sample(&model, &schedule, &request(8, 22, 3), &device, &mut |_, _| {});
    let (a, b, c) = (a.into_data().try_into_vec::<f32>().unwrap(), b.into_data().try_into_vec::<f32>().unwrap(), c.into_data().try_into_vec::<f32>().unwrap());
    assert_eq!(a, b, "same seed must give the same motion");
    assert_ne!(a, c, "another seed must give another motion");
    assert!(a.iter().all(|x| x.is_finite()));
}

#[test]
fn stochastic_ddim_is_seeded_and_differs_from_deterministic() {
    let (device, model, schedule) = seeded_tiny_sampler_setup();
    let run = |eta: f32, seed: u64| {
        let s = DdimSampler { eta, ..DdimSampler::new(4) };
        s.sample(&model, &schedule, &request(seed, 22, 2), &device, &mut |_, _| {}).into_data().try_into_vec::<f32>().unwrap()
    };
    let (a, b, c) = (run(1.0, 5), run(1.0, 5), run(0.0, 5));
    assert_eq!(a.len(), 2 * 22 * FEATURE_DIM);
    assert!(a.iter().all(|x| x.is_finite()));
    assert_eq!(a, b, "same seed, same motion");
    assert_ne!(a, c, "η = 1 must add noise along the way");
    assert_ne!(a, run(1.0, 6), "another seed, other noise");
}

#[test]
fn shifted_grid_keeps_length_and_determinism_and_changes_the_result() {
    let (device, model, schedule) = seeded_tiny_sampler_setup();
    let shifted = DdimSampler { shifted_grid: true, ..DdimSampler::new(4) };
    let fixed = DdimSampler::new(4);
    let max = model.max_frames();
    // Odd lengths, and the longest clip (no room for the shift: that step keeps the grid).
    for frames in [1, 22, max] {
        let run = |s: &DdimSampler| s.sample(&model, &schedule, &request(5, frames, 2), &device, &mut |_, _| {}).into_data().try_into_vec::<f32>().unwrap();
        let (a, b, c) = (run(&shifted), run(&shifted), run(&fixed));
        assert_eq!(a.len(), 2 * frames * FEATURE_DIM);
        assert_eq!(a, b, "{frames} frames: same seed, same motion");
        assert!(a.iter().all(|x| x.is_finite()));
        if frames != max {
            assert_ne!(a, c, "{frames} frames: the shifted grid must change what the denoiser sees");
        }
    }
}

#[test]
fn guidance_interval_guides_only_the_named_noise_levels() {
    let (device, model, schedule) = seeded_tiny_sampler_setup();
    let run = |interval: [f32; 2], guidance: f32| {
        let s = DdimSampler { guidance_interval: interval, ..DdimSampler::new(4) };
        let req = SampleRequest { guidance, ..request(5, 22, 2) };
        s.sample(&model, &schedule, &req, &device, &mut |_, _| {}).into_data().try_into_vec::<f32>().unwrap()
    };
    let everywhere = run([0.0, 1.0], 2.5);
    assert_eq!(everywhere, run([0.0, 1.0], 2.5), "deterministic");
    // No noise level in the interval: exactly the unguided (conditional-only) sampler.
    assert_eq!(run([0.0, 0.0], 2.5), run([0.0, 1.0], 1.0));
    // 4 steps visit t/T = 1, 0.75, 0.5, 0.25: leaving out the noisiest ones changes the result
    // but is not the same as no guidance at all.
    let late = run([0.0, 0.6], 2.5);
    assert_ne!(late, everywhere);
    assert_ne!(late, run([0.0, 1.0], 1.0));
    assert!(late.iter().all(|x| x.is_finite()));
}

#[test]
fn timesteps_descend_and_end_at_zero() {
    let s = CosineSchedule::new(1000);
    let ts = DdimSampler::new(10).timesteps(&s);
    assert_eq!(ts.len(), 10);
    assert_eq!(ts[0], 999);
    assert_eq!(*ts.last().unwrap(), 99);
    assert!(ts.windows(2).all(|w| w[0] > w[1]));
    assert!(s.alpha_bar(0) > 0.99 && s.alpha_bar(999) < 1e-3);
}

#[test]
fn generate_from_exported_tiny_model_writes_a_file() {
    let device = Device::flex();
    let data = data();
    let cfg = TrainConfig::new(tiny()).with_steps(1).with_batch(2);
    let model = cfg.denoiser.init(&device);
    let dir = tempfile::tempdir().expect("tempdir");
    export_model(&model, &cfg, data.stats(), &dir.path().join("m")).expect("export");
    let g = Generator::load(&dir.path().join("m"), &device).expect("load f16 model");
    let emb = fake_embed(&["a person walks"]).expect("embed")[0];
    let opts = GenerateOptions { seconds: 1.5, samples: 2, guidance: 2.0, steps: 3, seed: 3, ..GenerateOptions::default() };
    let out = g.generate(&emb, &opts, &mut |_, _| {}).expect("generate");
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].len(), 30);
    let path = dir.path().join("gen.npy");
    motion::convert::save_motion(&decode(&out[0]), &path).expect("save");
    let bytes = std::fs::read(&path).expect("read back");
    // npy header + 30 frames x 22 joints x 3 f32
    assert!(bytes.len() > 30 * 22 * 3 * 4, "file too small: {}", bytes.len());
    assert_eq!(&bytes[1..6], b"NUMPY");
}

#[test]
fn bad_requests_are_refused_clearly() {
    assert!(check_text("   ").is_err());
    assert_eq!(check_text(" walk ").unwrap(), "walk");
    let ok = GenerateOptions { seconds: 6.0, samples: 1, guidance: 2.5, steps: 10, seed: 0, ..GenerateOptions::default() };
    assert_eq!(ok.check().unwrap(), 120);
    for bad in [
        GenerateOptions { seconds: 0.0, ..ok.clone() },
        GenerateOptions { seconds: 1e9, ..ok.clone() },
        GenerateOptions { seconds: f32::NAN, ..ok.clone() },
        GenerateOptions { samples: 0, ..ok.clone() },
        GenerateOptions { steps: 0, ..ok.clone() },
        GenerateOptions { guidance: -1.0, ..ok.clone() },
        GenerateOptions { eta: 1.5, ..ok.clone() },
        GenerateOptions { eta: f32::NAN, ..ok.clone() },
        GenerateOptions { guidance_rescale: 1.5, ..ok.clone() },
        GenerateOptions { guidance_rescale: f32::NAN, ..ok.clone() },
        GenerateOptions { guidance_interval: [0.8, 0.2], ..ok.clone() },
        GenerateOptions { guidance_interval: [-0.1, 1.0], ..ok.clone() },
        GenerateOptions { guidance_interval: [0.0, f32::NAN], ..ok.clone() },
        GenerateOptions { best_of: 0, ..ok.clone() },
        GenerateOptions { best_of: 17, ..ok.clone() },
        GenerateOptions { best_of: 2, fully_guided: 3, ..ok.clone() },
    ] {
        let e = bad.check().expect_err("must refuse");
        assert!(matches!(e, GenerateError::BadRequest(_)));
        assert!(e.to_string().contains("--"), "error should name the option: {e}");
    }
    let missing = Generator::load(std::path::Path::new("/nonexistent/model"), &Device::flex()).expect_err("no model");
    assert!(missing.to_string().contains("config.json") || missing.to_string().contains("model.bpk"));
}

/// Best-of-K keeps, for each requested motion, the candidate the critic scores highest among
/// its own K, and the candidates are the samples `generate` would give for K × samples.
#[test]
fn best_of_keeps_the_critics_favourite_of_each_group() {
    use motion_model::evaluator::EvaluatorConfig;
    use motion_model::evaluator::train::LoadedEvaluator;
    use motion_model::rerank::{ActionTexts, Critic};
    let device = Device::flex();
    device.seed(5);
    let data = data();
    let cfg = TrainConfig::new(tiny()).with_steps(1).with_batch(2);
    let g = Generator::from_parts(cfg.denoiser.init(&device), cfg.clone(), data.stats().clone(), &device);
    let ev_cfg = EvaluatorConfig::new(3).with_d_model(16).with_n_layers(1).with_n_heads(2).with_embed_dim(8).with_max_frames(40);
    let stats = data.stats().clone();
    let actions: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
    let basis = (0..3).map(|a| (0..8).map(|i| (i == a) as u8 as f32).collect()).collect();
    let loaded = LoadedEvaluator { model: ev_cfg.init(&device), config: ev_cfg, stats, actions: actions.clone() };
    let critic = Critic::new(loaded, ActionTexts { actions, embeddings: basis }, &device).expect("critic");
    let emb = fake_embed(&["a person waves"]).expect("embed")[0];
    let opts = GenerateOptions { seconds: 1.2, samples: 2, guidance: 2.0, steps: 3, seed: 9, best_of: 3, fully_guided: 0, ..GenerateOptions::default() };
    let identity = |f: &Vec<[f32; FEATURE_DIM]>| f.clone();
    let chosen = g.generate_best(&emb, &opts, Some(&critic), &identity, &mut |_, _| {}).expect("best of 3");
    let all = g.generate(&emb, &GenerateOptions { samples: 6, best_of: 1, ..opts.clone() }, &mut |_, _| {}).expect("all candidates");
    assert_eq!(chosen.len(), 2);
    let scores = critic.scores(&emb, &all);
    // cosine (≤ 1) plus an expected log-probability (≤ 0)
    assert!(scores.iter().all(|s| s.is_finite() && *s <= 1.001), "scores: {scores:?}");
    for (group, c) in chosen.iter().enumerate() {
        let best = (0..3).map(|i| group * 3 + i).max_by(|&a, &b| scores[a].total_cmp(&scores[b])).unwrap();
        assert_eq!(c, &all[best], "group {group}: scores {:?}", &scores[group * 3..group * 3 + 3]);
    }
    // best of 1 is plain sampling; best of K without a critic is refused, naming the option.
    let one = g.generate_best(&emb, &GenerateOptions { best_of: 1, ..opts.clone() }, None, &identity, &mut |_, _| {}).expect("best of 1");
    assert_eq!(one, g.generate(&emb, &opts, &mut |_, _| {}).expect("plain"));
    let e = g.generate_best(&emb, &opts, None, &identity, &mut |_, _| {}).expect_err("needs a critic");
    assert!(matches!(e, GenerateError::NoCritic(3)) && e.to_string().contains("--best-of"), "{e}");

    // A mixed pool: per group, two candidates follow the guidance interval and one is guided at
    // every step; all six come from one batch (one noise stream), the fully guided ones last.
    let mixed = GenerateOptions { guidance_interval: [0.0, 0.5], fully_guided: 1, ..opts.clone() };
    let pool = g.candidates(&emb, &mixed, &mut |_, _| {}).expect("mixed candidates");
    let interval_run = g.generate(&emb, &GenerateOptions { samples: 6, ..mixed.clone() }, &mut |_, _| {}).expect("interval run");
    let guided_run = g.generate(&emb, &GenerateOptions { samples: 6, guidance_interval: [0.0, 1.0], ..mixed.clone() }, &mut |_, _| {}).expect("guided run");
    assert_ne!(interval_run[4], guided_run[4], "the interval must change the samples for this check to mean anything");
    for group in 0..2 {
        let expected = [&interval_run[2 * group], &interval_run[2 * group + 1], &guided_run[4 + group]];
        for (j, e) in expected.iter().enumerate() {
            let got = &pool[group * 3 + j];
            let diff = got.iter().flatten().zip(e.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(diff < 1e-3, "group {group} candidate {j} differs by {diff}");
        }
    }
    let chosen = g.generate_best(&emb, &mixed, Some(&critic), &identity, &mut |_, _| {}).expect("mixed best of 3");
    let scores = critic.scores(&emb, &pool);
    for (group, c) in chosen.iter().enumerate() {
        let best = (0..3).map(|i| group * 3 + i).max_by(|&a, &b| scores[a].total_cmp(&scores[b])).unwrap();
        assert_eq!(c, &pool[best], "mixed group {group}");
    }
    // Best of 1 with one fully guided candidate is plain sampling guided at every step.
    let one = g.generate_best(&emb, &GenerateOptions { best_of: 1, samples: 1, ..mixed.clone() }, None, &identity, &mut |_, _| {}).expect("best of 1");
    let plain = g.generate(&emb, &GenerateOptions { samples: 1, guidance_interval: [0.0, 1.0], ..mixed.clone() }, &mut |_, _| {}).expect("plain");
    assert_eq!(one, plain);
}

/// A critic folder with critic subfolders is an ensemble: each candidate's score is the mean of
/// its members' scores, and the members are found by their weights file.
#[test]
fn a_critic_folder_with_member_subfolders_averages_their_scores() {
    use motion_model::evaluator::train::save_evaluator;
    use motion_model::evaluator::{EvaluatorConfig, EvaluatorTrainConfig};
    use motion_model::rerank::{ACTION_TEXTS, ActionTexts, Critic};
    let device = Device::flex();
    device.seed(6);
    let data = data();
    let stats = data.stats().clone();
    let actions: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
    let ev_cfg = EvaluatorConfig::new(3).with_d_model(16).with_n_layers(1).with_n_heads(2).with_embed_dim(8).with_max_frames(40);
    let texts = ActionTexts { actions: actions.clone(), embeddings: (0..3).map(|a| (0..8).map(|i| (i == a) as u8 as f32).collect()).collect() };
    let dir = tempfile::tempdir().unwrap();
    let write = |d: &std::path::Path| {
        std::fs::create_dir_all(d).unwrap();
        save_evaluator(&ev_cfg.init(&device), &EvaluatorTrainConfig::new(ev_cfg.clone()), &stats, &actions, d).expect("save");
        std::fs::write(d.join(ACTION_TEXTS), serde_json::to_vec(&texts).unwrap()).unwrap();
    };
    let (main, member, alone) = (dir.path().join("critic"), dir.path().join("critic/seed-2"), dir.path().join("alone"));
    write(&main);
    write(&member);
    std::fs::create_dir_all(dir.path().join("critic/notes")).unwrap(); // not a critic: ignored
    std::fs::create_dir_all(&alone).unwrap();
    for e in std::fs::read_dir(&main).unwrap().flatten().filter(|e| e.path().is_file()) {
        std::fs::copy(e.path(), alone.join(e.file_name())).unwrap();
    }
    assert_eq!(Critic::member_dirs(&main), vec![main.clone(), member.clone()]);
    assert_eq!(Critic::member_dirs(&alone), vec![alone.clone()]);

    let cfg = TrainConfig::new(tiny()).with_steps(1).with_batch(2);
    let g = Generator::from_parts(cfg.denoiser.init(&device), cfg.clone(), stats.clone(), &device);
    let emb = fake_embed(&["a person waves"]).expect("embed")[0];
    let opts = GenerateOptions { seconds: 1.2, samples: 3, guidance: 2.0, steps: 2, seed: 4, ..GenerateOptions::default() };
    let motions = g.generate(&emb, &opts, &mut |_, _| {}).expect("motions");
    let ensemble = Critic::load(&main, &device).expect("ensemble").scores(&emb, &motions);
    let first = Critic::load(&alone, &device).expect("first").scores(&emb, &motions);
    let second = Critic::load(&member, &device).expect("second").scores(&emb, &motions);
    assert_ne!(first, second, "two randomly initialised members should disagree");
    for i in 0..motions.len() {
        assert!((ensemble[i] - (first[i] + second[i]) / 2.0).abs() < 1e-5, "candidate {i}: {ensemble:?} vs {first:?} and {second:?}");
    }
    // A broken member is an error naming it, not a silently smaller ensemble.
    std::fs::write(member.join(ACTION_TEXTS), b"not json").unwrap();
    let e = Critic::load(&main, &device).expect_err("broken member");
    assert!(e.to_string().contains("seed-2"), "{e}");
}

/// Sampling-speed figure for the model card (not a check): time to sample one 6 s clip with the
/// shipped model and the default sampler. `cargo test -p motion-model --test diffusion -- --ignored --nocapture`
#[test]
#[ignore]
fn bench_default_model_6s() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/default");
    let device = Device::flex();
    let g = Generator::load(&dir, &device).expect("models/default");
    let emb = fake_embed(&["a person walks forward"]).expect("embed")[0];
    for (steps, guidance) in [(10, 2.5), (20, 2.5), (10, 1.0)] {
        let opts = GenerateOptions { seconds: 6.0, samples: 1, guidance, steps, seed: 0, ..GenerateOptions::default() };
        g.generate(&emb, &opts, &mut |_, _| {}).expect("warm-up");
        let t = std::time::Instant::now();
        let runs = 3;
        for _ in 0..runs {
            g.generate(&emb, &opts, &mut |_, _| {}).expect("generate");
        }
        println!("6 s clip, {steps} DDIM steps, guidance {guidance}: {:.3} s", t.elapsed().as_secs_f64() / runs as f64);
    }
}
