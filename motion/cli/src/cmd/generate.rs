use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use motion::convert::save_motion;
use motion::cleanup::lock_feet;
use motion::features::decode;
use motion_model::diffusion::DEFAULT_DDIM_STEPS;
use motion_model::generate::{GenerateOptions, Generator, check_text};
use motion_model::text_encoder::{TextEncoder, locate_model_dir};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Environment variable naming the default model folder.
pub const MODEL_DIR_ENV: &str = "MOTION_MODEL_DIR";

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
    /// Length in seconds, 1–10 (20 frames per second).
    #[arg(long, default_value_t = 6.0)]
    pub seconds: f32,
    /// Seed of the starting noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Number of different motions to generate.
    #[arg(long, default_value_t = 1)]
    pub samples: usize,
    /// Classifier-free guidance scale (1 = plain conditional model; higher follows the text
    /// more closely at some cost in naturalness).
    #[arg(long, default_value_t = 2.5)]
    pub guidance: f32,
    /// DDIM steps (more is slower and a little smoother).
    #[arg(long, default_value_t = DEFAULT_DDIM_STEPS)]
    pub steps: usize,
    /// cpu (burn flex) or wgpu (needs a build with `--features wgpu`).
    #[arg(long, default_value = "cpu")]
    pub backend: String,
    /// Model folder (config.json, stats.json, model.bpk). Default: $MOTION_MODEL_DIR, else
    /// models/default in the current folder, else the repository's models/default.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// all-MiniLM-L6-v2 folder (default: $MOTION_MINILM_DIR or the fetch-minilm.sh cache).
    #[arg(long)]
    pub minilm_dir: Option<PathBuf>,
    /// Replace output files that exist.
    #[arg(long)]
    pub force: bool,
    /// Keep the model's root path as sampled (by default planted feet are locked: the body
    /// moves over a foot on the floor instead of the foot sliding).
    #[arg(long)]
    pub no_foot_lock: bool,
}

pub fn model_dir(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(MODEL_DIR_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let candidates = [
        PathBuf::from("models/default"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/default"),
    ];
    for c in &candidates {
        if c.join("config.json").is_file() {
            return Ok(c.clone());
        }
    }
    bail!(
        "no trained model found (looked in ./models/default and {}); pass --model DIR, set {MODEL_DIR_ENV}, \
         or train one with `motion train --data CACHE --out RUN` and use RUN/model",
        candidates[1].display()
    )
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
    let opts = GenerateOptions { seconds: a.seconds, samples: a.samples, guidance: a.guidance, steps: a.steps, seed: a.seed };
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
    let device = motion_model::backend_device(&a.backend).map_err(anyhow::Error::msg)?;
    let dir = model_dir(a.model.as_deref())?;
    let generator = Generator::load(&dir, &device)?;

    let minilm = locate_model_dir(a.minilm_dir.as_deref())?;
    let encoder = TextEncoder::load(&minilm, &device)?;
    let emb = encoder.encode(&[text.as_str()])?;
    let emb = emb.first().context("text encoder returned no embedding")?;
    drop(encoder);

    let bar = ProgressBar::new(opts.steps as u64);
    bar.set_style(ProgressStyle::with_template("sampling {bar:30} {pos}/{len} {elapsed_precise}").unwrap_or_else(|_| ProgressStyle::default_bar()));
    let t0 = Instant::now();
    let samples = generator.generate(emb, &opts, &mut |i, _| bar.set_position(i as u64))?;
    bar.finish_and_clear();
    let sample_s = t0.elapsed().as_secs_f64();
    for (feats, path) in samples.iter().zip(&outputs) {
        let motion = decode(feats);
        let motion = if a.no_foot_lock { motion } else { lock_feet(&motion) };
        save_motion(&motion, path).with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote {} ({} frames)", path.display(), feats.len());
    }
    println!(
        "sampled {} x {frames} frames ({:.1} s) with {} DDIM steps, guidance {} in {:.2} s",
        samples.len(),
        frames as f32 / 20.0,
        opts.steps,
        opts.guidance,
        sample_s
    );
    Ok(())
}
