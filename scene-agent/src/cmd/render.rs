//! `scene-agent render`: pose frames → Stable Diffusion (A1111 or ComfyUI) with ControlNet
//! openpose, resumable, with fixed seed / loopback / frame blending / every-Nth options.

use super::poses::{progress_bar, SceneInputArgs};
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use scene_render::diffusion::a1111::A1111;
use scene_render::diffusion::comfyui::ComfyUi;
use scene_render::diffusion::http::{authorization_from_secret, Http};
use scene_render::diffusion::render::{render_sequence, PoseInput, RenderSettings, TemporalOptions};
use scene_render::diffusion::{Backend, ControlMode, ControlNetParams, GenParams};
use scene_render::sequence::{write_pose_folder, PosesManifest, MANIFEST_NAME};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    A1111,
    Comfyui,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ControlModeArg {
    Balanced,
    Prompt,
    Controlnet,
}

#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// A pose folder written by `scene-agent poses` (has poses.json), or the same inputs `poses`
    /// takes (scene .json / motion .npy files), which are drawn to OUTPUT/poses first.
    #[command(flatten)]
    pub scene: SceneInputArgs,
    #[arg(long, value_enum)]
    pub backend: BackendKind,
    /// Server URL, e.g. http://127.0.0.1:7860 (A1111) or http://127.0.0.1:8188 (ComfyUI).
    #[arg(long)]
    pub url: String,
    /// Output folder: raw/, frames/, preview.png (APNG), preview.mp4 (with ffmpeg), render.json.
    #[arg(short, long)]
    pub output: PathBuf,
    #[arg(long, default_value = "")]
    pub prompt: String,
    #[arg(long, default_value = "")]
    pub negative_prompt: String,
    #[arg(long, default_value_t = 20)]
    pub steps: u32,
    #[arg(long, default_value_t = 7.0)]
    pub cfg: f64,
    /// A1111 sampler name.
    #[arg(long, default_value = "Euler a")]
    pub sampler: String,
    /// ComfyUI KSampler sampler_name.
    #[arg(long, default_value = "euler")]
    pub comfy_sampler: String,
    /// ComfyUI KSampler scheduler.
    #[arg(long, default_value = "normal")]
    pub comfy_scheduler: String,
    /// Checkpoint file for ComfyUI (A1111 uses the model it has loaded).
    #[arg(long, default_value = "v1-5-pruned-emaonly.safetensors")]
    pub checkpoint: String,
    /// ControlNet openpose model (A1111 model list name / ComfyUI file name).
    #[arg(long, default_value = "control_v11p_sd15_openpose [cab727d4]")]
    pub controlnet_model: String,
    #[arg(long, default_value_t = 1.0)]
    pub weight: f64,
    #[arg(long, default_value_t = 0.0)]
    pub guidance_start: f64,
    #[arg(long, default_value_t = 1.0)]
    pub guidance_end: f64,
    #[arg(long, value_enum, default_value_t = ControlModeArg::Balanced)]
    pub control_mode: ControlModeArg,
    /// Turn off A1111's pixel-perfect preprocessor resolution.
    #[arg(long)]
    pub no_pixel_perfect: bool,
    /// One seed for every frame.
    #[arg(long, default_value_t = 12345)]
    pub seed: u64,
    /// img2img loopback: previous output as init image with this denoising strength (0..1].
    #[arg(long)]
    pub loopback_denoise: Option<f64>,
    /// Blend adjacent output frames with these weights, e.g. 0.1,0.8,0.1.
    #[arg(long)]
    pub blend: Option<String>,
    /// Diffuse only every Nth pose frame.
    #[arg(long, default_value_t = 1)]
    pub every_nth: usize,
    /// Per-request timeout in seconds (ComfyUI: also the wait for each queued prompt).
    #[arg(long, default_value_t = 600)]
    pub timeout_s: u64,
    /// Name of an environment variable holding credentials ("user:password" for A1111's
    /// --api-auth, or a bearer token). The value is never printed.
    #[arg(long)]
    pub auth_env: Option<String>,
    /// Discard earlier frames in OUTPUT instead of resuming.
    #[arg(long)]
    pub restart: bool,
}

pub fn run(args: RenderArgs) -> Result<()> {
    // Pose frames: an existing pose folder, or draw them now into OUTPUT/poses.
    let first = &args.scene.inputs[0];
    let (pose_dir, manifest) = if args.scene.inputs.len() == 1 && first.is_dir() {
        let path = first.join(MANIFEST_NAME);
        let text = std::fs::read_to_string(&path).with_context(|| format!("{} is not a pose folder", first.display()))?;
        let m: PosesManifest = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        (first.clone(), m)
    } else {
        let seq = args.scene.load()?;
        let dir = args.output.join("poses");
        let pb = progress_bar(seq.frame_count() as u64, "poses");
        let m = write_pose_folder(&seq, &dir, Some(&pb))?;
        pb.finish();
        (dir, m)
    };

    let params = GenParams {
        prompt: args.prompt.clone(),
        negative_prompt: args.negative_prompt.clone(),
        steps: args.steps,
        cfg_scale: args.cfg,
        sampler: args.sampler.clone(),
        comfy_sampler: args.comfy_sampler.clone(),
        comfy_scheduler: args.comfy_scheduler.clone(),
        width: manifest.width,
        height: manifest.height,
        checkpoint: args.checkpoint.clone(),
    };
    let cn = ControlNetParams {
        model: args.controlnet_model.clone(),
        weight: args.weight,
        guidance_start: args.guidance_start,
        guidance_end: args.guidance_end,
        control_mode: match args.control_mode {
            ControlModeArg::Balanced => ControlMode::Balanced,
            ControlModeArg::Prompt => ControlMode::PromptImportant,
            ControlModeArg::Controlnet => ControlMode::ControlnetImportant,
        },
        pixel_perfect: !args.no_pixel_perfect,
    };
    let temporal = TemporalOptions {
        seed: args.seed,
        loopback_denoise: args.loopback_denoise,
        blend_weights: args.blend.as_deref().map(TemporalOptions::parse_weights).transpose()?,
        every_nth: args.every_nth,
    };
    temporal.validate()?;
    if manifest.width % 8 != 0 || manifest.height % 8 != 0 {
        bail!("pose canvas {}×{} must be a multiple of 8 for Stable Diffusion", manifest.width, manifest.height);
    }

    let auth = match &args.auth_env {
        Some(var) => Some(authorization_from_secret(
            &std::env::var(var).with_context(|| format!("environment variable {var} (from --auth-env) is not set"))?,
        )),
        None => None,
    };
    let timeout = Duration::from_secs(args.timeout_s.clamp(1, 24 * 3600));
    let http = Http::new(&args.url, timeout, auth)?;
    let mut backend: Box<dyn Backend> = match args.backend {
        BackendKind::A1111 => Box::new(A1111::new(http, params.clone(), cn.clone())?),
        BackendKind::Comfyui => Box::new(ComfyUi::new(http, params.clone(), cn.clone(), timeout)?),
    };
    let settings = RenderSettings { backend: backend.name().to_string(), generation: params, controlnet: cn, temporal };

    let pb = progress_bar(0, backend.name());
    let poses = PoseInput { dir: &pose_dir, frames: manifest.frames, fps: manifest.fps };
    let result = render_sequence(backend.as_mut(), &settings, poses, &args.output, args.restart, Some(&pb));
    pb.finish();
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            let done = std::fs::read_dir(args.output.join("raw")).map(|d| d.count()).unwrap_or(0);
            return Err(anyhow::Error::new(e).context(format!(
                "rendering stopped; {done} finished frame(s) are kept in {} and a rerun resumes after them",
                args.output.join("raw").display()
            )));
        }
    };
    println!(
        "{} frames ({} generated, {} kept from before) in {}; preview {}{}",
        summary.frames.len(),
        summary.generated,
        summary.kept_from_before,
        args.output.join("frames").display(),
        summary.preview_apng.as_deref().map(|p| p.display().to_string()).unwrap_or_default(),
        summary.preview_mp4.as_deref().map(|p| format!(" and {}", p.display())).unwrap_or_default(),
    );
    Ok(())
}
