use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use motion::convert::save_motion;
use motion::cleanup::{Cleanup, DEFAULT_SMOOTH_SIGMA_FRAMES, FootLock};
use motion::features::{FEATURE_DIM, decode, encode};
use motion_model::diffusion::{DEFAULT_DDIM_STEPS, DEFAULT_GUIDANCE};
use motion_model::generate::{GenerateOptions, Generator, check_text};
use motion_model::rerank::{Critic, DEFAULT_BEST_OF, DEFAULT_FULLY_GUIDED};
use motion_model::text_encoder::{TextEncoder, locate_model_dir};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::minilm::MiniLmArgs;

/// Environment variable naming the default model folder.
pub const MODEL_DIR_ENV: &str = "MOTION_MODEL_DIR";
/// Environment variable naming the default critic folder (`--best-of`).
pub const CRITIC_DIR_ENV: &str = "MOTION_CRITIC_DIR";

/// Generate motion from a text prompt with the trained diffusion model.
///
/// The prompt is embedded with all-MiniLM-L6-v2, the denoiser samples normalised features with
/// DDIM (classifier-free guidance), and the features are decoded to joint rotations and written
/// as .glb (skinned mannequin), .bvh or .npy (joint positions). With --samples K > 1 the files
/// are OUT_1.ext … OUT_K.ext. The same seed gives the same motion.
#[derive(clap::Args)]
pub struct GenerateArgs {
    /// What the character does, e.g. "a person walks forward and waves".
    pub text: String,
    /// Output file (.glb, .bvh, .npy); written atomically.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Seed of the starting noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Number of different motions to generate.
    #[arg(long, default_value_t = 1)]
    pub samples: usize,
    #[command(flatten)]
    pub sampler: SamplerArgs,
    /// Replace output files that exist.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub cleanup: CleanupArgs,
}

/// Post-processing of each generated clip (see `motion::cleanup`).
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct CleanupArgs {
    /// Temporal smoothing, in frames (Gaussian σ; 0 = write the model's frames unsmoothed).
    #[arg(long, default_value_t = DEFAULT_SMOOTH_SIGMA_FRAMES, value_name = "SIGMA")]
    pub smooth: f32,
    /// Which feet to lock: `stance-lift` (default) plants toes that are near the floor and
    /// slow (the body moves over them, the legs hold them) and lifts a fast toe that drags
    /// along the floor into a step, so feet neither slide nor shuffle and walks keep their
    /// travel; `stance` plants the same toes but leaves fast low feet sliding; `all-low`
    /// treats every toe near the floor as planted, which shortens walks (real mocap walks by
    /// 40 %); `off` keeps the feet as sampled.
    #[arg(long, value_enum, default_value = "stance-lift", value_name = "MODE")]
    pub foot_lock: FootLockArg,
    /// Same as `--foot-lock off`.
    #[arg(long, conflicts_with = "foot_lock")]
    pub no_foot_lock: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FootLockArg {
    AllLow,
    Stance,
    StanceLift,
    Off,
}

impl CleanupArgs {
    pub fn cleanup(&self) -> anyhow::Result<Cleanup> {
        if !(0.0..=10.0).contains(&self.smooth) {
            bail!("--smooth must be 0–10 frames, got {}", self.smooth);
        }
        let foot_lock = match (self.no_foot_lock, self.foot_lock) {
            (true, _) | (_, FootLockArg::Off) => FootLock::Off,
            (_, FootLockArg::AllLow) => FootLock::AllLowToes,
            (_, FootLockArg::Stance) => FootLock::Stance,
            (_, FootLockArg::StanceLift) => FootLock::StanceLift,
        };
        Ok(Cleanup { smooth_sigma_frames: self.smooth, foot_lock })
    }
}

/// Clip length, sampler and model choices shared by `generate` and `bench`.
#[derive(clap::Args, Clone, Debug)]
pub struct SamplerArgs {
    /// Length in seconds, 1–10 (20 frames per second).
    #[arg(long, default_value_t = 6.0)]
    pub seconds: f32,
    /// Classifier-free guidance scale (1 = plain conditional model; higher follows the text
    /// more closely at some cost in naturalness).
    #[arg(long, default_value_t = DEFAULT_GUIDANCE)]
    pub guidance: f32,
    /// DDIM steps (more is slower; with --best-of 3, ten steps measured no better than six).
    #[arg(long, default_value_t = DEFAULT_DDIM_STEPS)]
    pub steps: usize,
    /// Shift the sampler's 4-frame token grid every other DDIM step. For models with one fixed
    /// token grid: removes the pops they leave at token boundaries (40 % less jerk), but
    /// gestures such as waves get weaker. The shipped model's overlapping tokens have no such
    /// pops, so it is off by default (docs/model-card.md).
    #[arg(long)]
    pub shifted_grid: bool,
    /// DDIM η between 0 and 1: 0 (default) is the deterministic sampler, 1 adds fresh noise at
    /// every step like DDPM. Same seed, same output either way.
    #[arg(long, default_value_t = 0.0)]
    pub eta: f32,
    /// Guidance rescale φ between 0 and 1: scales each guided estimate back to the spread of
    /// the text-conditioned one (against guidance exaggerating motion, e.g. walks that turn
    /// into runs); 0 (default) is plain classifier-free guidance.
    #[arg(long, default_value_t = 0.0)]
    pub guidance_rescale: f32,
    /// Apply guidance only at noise levels LO,HI (1 = pure noise, the first DDIM step; 1/6 the
    /// last of 6) to the candidates that are not --fully-guided. The other steps use the
    /// text-conditioned estimate alone and are cheaper. Default 0,0.8: the two noisiest of six
    /// steps unguided, which gives candidates straighter walks; 0,1 guides every step.
    #[arg(long, value_name = "LO,HI", value_parser = parse_interval, default_value = DEFAULT_GUIDANCE_INTERVAL_ARG)]
    pub guidance_interval: [f32; 2],
    /// Candidates sampled per motion (in one batch); the one that separately trained
    /// text–motion critics (models/critic) score closest to the text is kept. Default 3:
    /// test-split action accuracy 0.938 against 0.890 for the former single ten-step sample,
    /// about 0.32 s for a 6 s clip (docs/model-card.md). 1 = one sample, no critic needed
    /// (guided at every step unless --fully-guided 0).
    #[arg(long, default_value_t = DEFAULT_BEST_OF, value_name = "K")]
    pub best_of: usize,
    /// Of the --best-of candidates, how many are guided at every noise level; the others follow
    /// --guidance-interval. The critic then chooses per text between the two kinds: the fully
    /// guided one keeps loosely worded prompts on their action. Default 1; 0 = none.
    #[arg(long, default_value_t = DEFAULT_FULLY_GUIDED, value_name = "N")]
    pub fully_guided: usize,
    /// Critic folder for --best-of; its subfolders holding critic weights judge with it (the
    /// mean of their scores). Default: $MOTION_CRITIC_DIR, else models/critic in the current
    /// folder, else the repository's models/critic.
    #[arg(long, value_name = "DIR")]
    pub critic: Option<PathBuf>,
    /// cpu (burn flex) or wgpu (needs a build with `--features wgpu`).
    #[arg(long, default_value = "cpu")]
    pub backend: String,
    /// Model folder (config.json, stats.json, model.bpk). Default: $MOTION_MODEL_DIR, else
    /// models/default in the current folder, else the repository's models/default.
    #[arg(long)]
    pub model: Option<PathBuf>,
    #[command(flatten)]
    pub minilm: MiniLmArgs,
}

/// `--guidance-interval` default, [`motion_model::diffusion::DEFAULT_GUIDANCE_INTERVAL`] as
/// clap reads it (a unit test keeps the two equal).
pub const DEFAULT_GUIDANCE_INTERVAL_ARG: &str = "0,0.8";

/// Parses `--guidance-interval LO,HI` (two numbers; their range is checked with the other
/// options by [`GenerateOptions::check`]).
pub fn parse_interval(s: &str) -> Result<[f32; 2], String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [lo, hi] = parts.as_slice() else {
        return Err(format!("expected two noise levels LO,HI such as 0,0.8, got {s:?}"));
    };
    let num = |x: &str| x.parse::<f32>().map_err(|_| format!("{x:?} is not a number (expected LO,HI such as 0,0.8)"));
    Ok([num(lo)?, num(hi)?])
}

impl SamplerArgs {
    pub fn options(&self, samples: usize, seed: u64) -> GenerateOptions {
        GenerateOptions {
            seconds: self.seconds,
            samples,
            guidance: self.guidance,
            steps: self.steps,
            seed,
            shifted_grid: self.shifted_grid,
            eta: self.eta,
            guidance_rescale: self.guidance_rescale,
            guidance_interval: self.guidance_interval,
            best_of: self.best_of,
            fully_guided: self.fully_guided,
        }
    }

    /// The critic, when --best-of asks for a choice (None for --best-of 1).
    pub fn load_critic(&self, device: &motion_model::Device) -> anyhow::Result<Option<Critic>> {
        load_critic(self.best_of, self.critic.as_deref(), device)
    }

    pub fn device(&self) -> anyhow::Result<motion_model::Device> {
        motion_model::backend_device(&self.backend).map_err(anyhow::Error::msg)
    }

    pub fn load_generator(&self, device: &motion_model::Device) -> anyhow::Result<Generator> {
        Ok(Generator::load(&model_dir(self.model.as_deref())?, device)?)
    }

    pub fn load_text_encoder(&self, device: &motion_model::Device) -> anyhow::Result<TextEncoder> {
        Ok(TextEncoder::load(&locate_model_dir(self.minilm.minilm_dir.as_deref())?, device)?)
    }
}

/// Where a shipped model folder `models/NAME` is looked for: `explicit`, else the environment
/// variable `env` (when given and not empty), else `./models/NAME` when it holds a
/// config.json, else the repository's `models/NAME`. The second value says whether the
/// returned folder was found (or given) rather than the last fallback.
pub fn shipped_dir(explicit: Option<&Path>, env: Option<&str>, name: &str) -> (PathBuf, bool) {
    if let Some(p) = explicit {
        return (p.to_path_buf(), true);
    }
    if let Some(p) = env.and_then(std::env::var_os).filter(|v| !v.is_empty()) {
        return (PathBuf::from(p), true);
    }
    let local = Path::new("models").join(name);
    if local.join("config.json").is_file() {
        return (local, true);
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models").join(name);
    let found = repo.join("config.json").is_file();
    (repo, found)
}

pub fn model_dir(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    let (dir, found) = shipped_dir(explicit, Some(MODEL_DIR_ENV), "default");
    if !found {
        bail!(
            "no trained model found (looked in ./models/default and {}); pass --model DIR, set {MODEL_DIR_ENV}, \
             or train one with `motion train --data CACHE --out RUN` and use RUN/model",
            dir.display()
        );
    }
    Ok(dir)
}

/// The critic folder: `explicit`, else $MOTION_CRITIC_DIR, else ./models/critic, else the
/// repository's models/critic.
pub fn critic_dir(explicit: Option<&Path>) -> PathBuf {
    shipped_dir(explicit, Some(CRITIC_DIR_ENV), "critic").0
}

/// The critic for `best_of` candidates per motion (None for 1), from [`critic_dir`].
pub fn load_critic(best_of: usize, explicit: Option<&Path>, device: &motion_model::Device) -> anyhow::Result<Option<Critic>> {
    if best_of <= 1 {
        return Ok(None);
    }
    let dir = critic_dir(explicit);
    match Critic::load(&dir, device) {
        Ok(c) => Ok(Some(c)),
        Err(motion_model::evaluator::train::LoadEvaluatorError::Missing { file, .. }) => bail!(
            "--best-of {best_of} needs the critic, but the critic folder {} is missing {file} (pass --critic DIR, \
             set {CRITIC_DIR_ENV}, train one with `motion train-evaluator --data CACHE --out models/critic --seed 7 \
             --d-model 96 --layers 3`, or use --best-of 1)",
            dir.display()
        ),
        Err(e) => Err(anyhow::Error::new(e).context(format!("--best-of {best_of}: cannot load the critic in {}", dir.display()))),
    }
}

/// Features of a motion as it will be written: decoded, cleaned up, re-encoded (what the
/// critic scores).
pub fn finished(cleanup: Cleanup) -> impl Fn(&Vec<[f32; FEATURE_DIM]>) -> Vec<[f32; FEATURE_DIM]> {
    move |f| encode(&cleanup.apply(&decode(f)))
}

fn output_paths(out: &Path, samples: usize) -> anyhow::Result<Vec<PathBuf>> {
    let ext = out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("glb" | "bvh" | "npy")) {
        bail!("output {} must end in .glb, .bvh or .npy", out.display());
    }
    if samples <= 1 {
        return Ok(vec![out.to_path_buf()]);
    }
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("motion");
    let ext = ext.unwrap_or_default();
    Ok((1..=samples).map(|i| out.with_file_name(format!("{stem}_{i}.{ext}"))).collect())
}

pub fn run(a: GenerateArgs) -> anyhow::Result<()> {
    // Cheap checks first: nothing is loaded for a request that would be refused.
    let text = check_text(&a.text)?.to_string();
    let opts = a.sampler.options(a.samples, a.seed);
    let cleanup = a.cleanup.cleanup()?;
    let frames = opts.check()?;
    let outputs = output_paths(&a.output, a.samples)?;
    for o in &outputs {
        if o.exists() && !a.force {
            bail!("{} already exists (pass --force to replace it)", o.display());
        }
        if let Some(parent) = o.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.is_dir() {
                bail!("output folder {} does not exist", parent.display());
            }
        }
    }
    let device = a.sampler.device()?;
    let generator = a.sampler.load_generator(&device)?;
    let critic = a.sampler.load_critic(&device)?;
    let encoder = a.sampler.load_text_encoder(&device)?;
    let emb = encoder.encode(&[text.as_str()])?;
    let emb = emb.first().context("text encoder returned no embedding")?;
    drop(encoder);

    let bar = ProgressBar::new(opts.steps as u64);
    bar.set_style(ProgressStyle::with_template("sampling {bar:30} {pos}/{len} {elapsed_precise}").unwrap_or_else(|_| ProgressStyle::default_bar()));
    let t0 = Instant::now();
    let samples = generator.generate_best(emb, &opts, critic.as_ref(), &finished(cleanup), &mut |i, _| bar.set_position(i as u64))?;
    bar.finish_and_clear();
    let sample_s = t0.elapsed().as_secs_f64();
    for (feats, path) in samples.iter().zip(&outputs) {
        let motion = cleanup.apply(&decode(feats));
        save_motion(&motion, path).with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote {} ({} frames)", path.display(), feats.len());
    }
    let best = match (opts.best_of, opts.fully_guided.min(opts.best_of)) {
        (1, _) => String::new(),
        (k, 0) => format!(", best of {k}"),
        (k, f) => format!(", best of {k} ({f} guided at every step)"),
    };
    println!(
        "sampled {} x {frames} frames ({:.1} s) with {} DDIM steps, guidance {}{best} in {:.2} s",
        samples.len(),
        frames as f32 / 20.0,
        opts.steps,
        opts.guidance,
        sample_s
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_flag_defaults_to_the_library_default() {
        assert_eq!(parse_interval(DEFAULT_GUIDANCE_INTERVAL_ARG), Ok(motion_model::diffusion::DEFAULT_GUIDANCE_INTERVAL));
        assert_eq!(parse_interval(" 0.2 , 1"), Ok([0.2, 1.0]));
        assert!(parse_interval("0.5").is_err() && parse_interval("a,b").is_err() && parse_interval("0,0.5,1").is_err());
    }
}
