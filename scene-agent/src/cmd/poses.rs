//! `scene-agent poses`: characters + camera → OpenPose PNG frames, OpenPose JSON, contact sheet.

use anyhow::{bail, Context, Result};
use clap::Args;
use scene_render::indicatif::{ProgressBar, ProgressStyle};
use scene_render::sequence::{read_joints_npy, write_pose_folder, Character, PoseSceneFile, PoseSequence};
use scene_render::{Camera, CameraPath};
use std::path::{Path, PathBuf};

/// Where the characters and the camera come from; shared with `render`.
#[derive(Debug, Clone, Args)]
pub struct SceneInputArgs {
    /// A scene script `.json` (built with the dataset motions and drawn with its camera), a
    /// pose-scene `.json` (characters + optional camera), or one or more joint-position `.npy`
    /// files of shape [frames, 22, 3] (one character each).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Canvas width in pixels (for .npy inputs; a scene file sets its own).
    #[arg(long, default_value_t = 512)]
    pub width: u32,
    /// Canvas height in pixels.
    #[arg(long, default_value_t = 512)]
    pub height: u32,
    /// Frame rate of the motion (HumanML3D: 20).
    #[arg(long, default_value_t = 20.0)]
    pub fps: f64,
    /// Camera position "x,y,z" in metres; without it the camera frames all motion once (fixed).
    #[arg(long, value_parser = parse_vec3, requires = "camera_target")]
    pub camera_pos: Option<[f64; 3]>,
    /// Point the camera looks at, "x,y,z" in metres.
    #[arg(long, value_parser = parse_vec3, requires = "camera_pos")]
    pub camera_target: Option<[f64; 3]>,
    /// Vertical field of view in degrees.
    #[arg(long, default_value_t = 40.0)]
    pub fov: f64,
    /// Offset between successive .npy characters along X, metres (0 = as recorded).
    #[arg(long, default_value_t = 0.0)]
    pub spacing_m: f32,
    /// For a scene script: where its motions come from (it is built first, as `build` does).
    #[command(flatten)]
    pub source: super::build::MotionSourceArgs,
}

fn parse_vec3(s: &str) -> Result<[f64; 3], String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>().map_err(|e| format!("{p:?}: {e}")))
        .collect::<Result<_, _>>()?;
    match v.as_slice() {
        [x, y, z] if v.iter().all(|c| c.is_finite()) => Ok([*x, *y, *z]),
        _ => Err(format!("expected three finite numbers \"x,y,z\", got {s:?}")),
    }
}

impl SceneInputArgs {
    /// Build the pose sequence from a scene file or from motion files plus camera flags.
    pub fn load(&self) -> Result<PoseSequence> {
        let is_json = |p: &Path| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let is_scene_script = |p: &Path| {
            std::fs::read_to_string(p).ok().and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok()).is_some_and(|v| v.get("version").is_some())
        };
        let mut seq = if self.inputs.len() == 1 && is_json(&self.inputs[0]) && is_scene_script(&self.inputs[0]) {
            // A scene script: build the motions, then draw with the scene's camera and size.
            let scene = super::build::load_scene(&self.inputs[0])?;
            let built = super::build::build(&scene, &self.source)?;
            super::build::pose_sequence(&scene, &built)
        } else if self.inputs.len() == 1 && is_json(&self.inputs[0]) {
            PoseSceneFile::load(&self.inputs[0]).with_context(|| format!("loading scene {}", self.inputs[0].display()))?
        } else {
            if self.inputs.iter().any(|p| is_json(p)) {
                bail!("give either one scene .json or one or more motion .npy files");
            }
            let mut characters = Vec::new();
            for (i, path) in self.inputs.iter().enumerate() {
                let mut frames = read_joints_npy(path)?;
                let dx = self.spacing_m * i as f32;
                for p in frames.iter_mut().flatten() {
                    p[0] += dx;
                }
                let name = path.file_stem().map_or_else(|| format!("character_{i}"), |s| s.to_string_lossy().into_owned());
                characters.push(Character { name, frames });
            }
            PoseSequence {
                characters,
                camera: None,
                width: self.width,
                height: self.height,
                fps: self.fps,
                auto_fov_y_deg: self.fov,
            }
        };
        if let (Some(position), Some(target)) = (self.camera_pos, self.camera_target) {
            seq.camera = Some(CameraPath::Fixed(Camera { position, target, up: [0.0, 1.0, 0.0], fov_y_deg: self.fov }));
        }
        seq.validate()?;
        Ok(seq)
    }
}

#[derive(Debug, Clone, Args)]
pub struct PosesArgs {
    #[command(flatten)]
    pub scene: SceneInputArgs,
    /// Output folder (created); pose_NNNNN.png, pose_NNNNN_keypoints.json, contact_sheet.png, poses.json.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Measure single-thread frames/s (drawing, and drawing + PNG + JSON) instead of writing files.
    #[arg(long)]
    pub bench: bool,
    /// Frames rendered per benchmark pass.
    #[arg(long, default_value_t = 3000)]
    pub bench_frames: usize,
}

pub fn progress_bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} frames ({per_sec}, eta {eta})") {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_string());
    pb
}

pub fn run(args: PosesArgs) -> Result<()> {
    let seq = args.scene.load()?;
    if args.bench {
        let frames = &seq.characters[0].frames;
        let report = scene_render::bench::bench_pose_frames(frames, seq.width, seq.height, args.bench_frames.clamp(1, 1_000_000))?;
        println!("{report}");
        return Ok(());
    }
    let Some(out) = args.output else { bail!("--output/-o is required unless --bench is given") };
    let pb = progress_bar(seq.frame_count() as u64, "poses");
    let manifest = write_pose_folder(&seq, &out, Some(&pb))?;
    pb.finish();
    println!(
        "wrote {} pose frames ({}×{}, {} character(s)) with OpenPose JSON and a contact sheet to {}",
        manifest.frames,
        manifest.width,
        manifest.height,
        manifest.characters.len(),
        out.display()
    );
    Ok(())
}
