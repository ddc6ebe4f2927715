//! Minimal training driver with no CLI dependencies (same loop as `motion train`), so a run can
//! start from the motion-model build alone. Usage:
//!   motion-model-train CACHE_DIR RUN_DIR STEPS BATCH MAX_MINUTES [--resume] [--cooldown=N]
//!     [--lr=X] [--w-heading=X] [--w-path=X] [--w-hand-vel=X] [--w-foot=X] [--w-hand-speed=X] [--init-from=MODEL_DIR] [--fk] [--unroll=K] [--unroll-max-t=T] [--paraphrases] [--by-frames] [--balance-actions] [--mirror]
use std::path::PathBuf;
use std::time::{Duration, Instant};

use motion::dataset::{CACHE_FILE, DatasetCache};
use motion_model::denoiser::DenoiserConfig;
use motion_model::text_encoder::{TextEncoder, locate_model_dir};
use motion_model::train::{TrainConfig, TrainData, export_model, train};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, name: &str) -> Result<T, String> {
    args.get(i).ok_or(format!("missing {name}"))?.parse().map_err(|_| format!("bad {name}"))
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let cache = PathBuf::from(args.get(1).ok_or("usage: motion-model-train CACHE_DIR RUN_DIR STEPS BATCH MAX_MINUTES [--resume]")?);
    let out = PathBuf::from(args.get(2).ok_or("missing RUN_DIR")?);
    let steps: usize = arg(&args, 3, "STEPS")?;
    let batch: usize = arg(&args, 4, "BATCH")?;
    let minutes: f64 = arg(&args, 5, "MAX_MINUTES")?;
    let resume = args.iter().any(|a| a == "--resume");
    let cooldown: usize = match args.iter().find_map(|a| a.strip_prefix("--cooldown=")) {
        Some(n) => n.parse().map_err(|_| "bad --cooldown=N")?,
        None => 0,
    };
    let opt = |name: &str| args.iter().find_map(|a| a.strip_prefix(name)).map(str::to_string);
    let num = |name: &str| -> Result<Option<f64>, String> {
        opt(name).map(|v| v.parse::<f64>().map_err(|_| format!("bad {name}{v}"))).transpose()
    };
    let (lr, w_heading, w_path, w_hand, w_foot, w_hand_speed) =
        (num("--lr=")?, num("--w-heading=")?, num("--w-path=")?, num("--w-hand-vel=")?, num("--w-foot=")?, num("--w-hand-speed=")?);
    let path = if cache.is_dir() { cache.join(CACHE_FILE) } else { cache };
    let cache = DatasetCache::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let denoiser = DenoiserConfig::new().with_overlapping_tokens(args.iter().any(|a| a == "--overlap").then_some(true));
    let cfg = TrainConfig::new(denoiser).with_steps(steps).with_batch(batch).with_cooldown_steps((cooldown > 0).then_some(cooldown))
        .with_w_heading(w_heading)
        .with_w_path(w_path)
        .with_w_hand_vel(w_hand)
        .with_w_foot(w_foot)
        .with_w_hand_speed(w_hand_speed)
        .with_init_from(opt("--init-from="))
        .with_fk_losses(args.iter().any(|a| a == "--fk").then_some(true))
        .with_unroll_steps(opt("--unroll=").map(|v| v.parse::<usize>()).transpose().map_err(|_| "bad --unroll=")?)
        .with_unroll_max_t(opt("--unroll-max-t=").map(|v| v.parse::<usize>()).transpose().map_err(|_| "bad --unroll-max-t=")?)
        .with_caption_paraphrases(args.iter().any(|a| a == "--paraphrases").then_some(true))
        .with_sample_by_frames(args.iter().any(|a| a == "--by-frames").then_some(true))
        .with_balance_actions(args.iter().any(|a| a == "--balance-actions").then_some(true))
        .with_mirror_train(args.iter().any(|a| a == "--mirror").then_some(true));
    let cfg = match lr { Some(lr) => cfg.with_lr(lr), None => cfg };
    let device = motion_model::Device::flex();
    let mut embed = |texts: &[&str]| -> Result<Vec<[f32; 384]>, String> {
        let dir = locate_model_dir(None).map_err(|e| e.to_string())?;
        let enc = TextEncoder::load(&dir, &device).map_err(|e| e.to_string())?;
        eprintln!("embedding {} captions…", texts.len());
        enc.encode(texts).map_err(|e| e.to_string())
    };
    let cache = if cfg.mirror_train.unwrap_or(false) { cache.with_mirrored_train_clips() } else { cache };
    let data = TrainData::with_paraphrases(&cache, Some(&out), &mut embed, cfg.caption_paraphrases.unwrap_or(false)).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs_f64(minutes * 60.0);
    let t0 = Instant::now();
    let s = train(&cfg, &data, &out, &device, resume, &mut |p| {
        if p.step % 10 == 0 || p.val.is_some() {
            let v = p.val.map(|v| format!(" val {:.4}", v.total)).unwrap_or_default();
            let l = p.loss;
            eprintln!(
                "step {}/{} loss {:.4} (x0 {:.4} pos {:.4} vel {:.5} contact {:.4} heading {:.4} path {:.4} hand {:.6} foot {:.6}){v} {:.1} samples/s {:.0}s",
                p.step, p.steps, l.total, l.x0, l.pos, l.vel, l.contact, l.heading, l.path, l.hand, l.foot, p.samples_per_s, t0.elapsed().as_secs_f64()
            );
        }
        Instant::now() < deadline
    })
    .map_err(|e| e.to_string())?;
    export_model(&s.model, &cfg, data.stats(), &out.join("model")).map_err(|e| e.to_string())?;
    eprintln!("done: {} steps in {:.0} s", s.steps_done, s.wall_s);
    Ok(())
}
