//! `scene-agent build`: scene script → every character's motion (dataset clips chosen by their
//! labels until the text-to-motion model lands) → OUT/scene.glb + OUT/manifest.json.

use anyhow::{Context, Result};
use clap::Args;
use scene_build::{build_scene, write_scene, BuiltScene, DatasetClipSource};
use scene_render::sequence::{Character, PoseSequence};
use scene_render::{Camera, CameraPath};
use scene_script::Scene;
use std::path::{Path, PathBuf};

/// Where the motion clips come from.
#[derive(Debug, Clone, Args)]
pub struct MotionSourceArgs {
    /// Dataset cache written by `motion dataset build` (its folder or dataset.safetensors).
    /// Default: $MOTION_DATASET_CACHE, else ~/.cache/motion-cache.
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// Seed for choosing clips (each character and clip derives its own from it).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl MotionSourceArgs {
    pub fn open(&self) -> Result<DatasetClipSource> {
        let dir = self
            .dataset
            .clone()
            .or_else(|| std::env::var_os("MOTION_DATASET_CACHE").map(PathBuf::from))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/motion-cache")))
            .context("no dataset cache given: pass --dataset or set MOTION_DATASET_CACHE")?;
        let file = if dir.is_dir() { dir.join(motion::dataset::CACHE_FILE) } else { dir };
        DatasetClipSource::read(&file).with_context(|| format!("opening the dataset cache {} (build it with `motion dataset build`)", file.display()))
    }
}

#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    /// Scene script (.json), e.g. from `scene-agent plan`.
    pub scene: PathBuf,
    /// Output folder (created): scene.glb and manifest.json.
    #[arg(short, long)]
    pub output: PathBuf,
    #[command(flatten)]
    pub source: MotionSourceArgs,
}

pub fn load_scene(path: &Path) -> Result<Scene> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Scene::from_json(&text).with_context(|| format!("{} is not a valid scene script", path.display()))
}

pub fn build(scene: &Scene, source: &MotionSourceArgs) -> Result<BuiltScene> {
    let src = source.open()?;
    Ok(build_scene(scene, &src, source.seed)?)
}

/// Joint positions of every built character and the scene camera, ready for pose drawing.
pub fn pose_sequence(scene: &Scene, built: &BuiltScene) -> PoseSequence {
    let characters = built
        .characters
        .iter()
        .map(|c| Character { name: c.id.clone(), frames: c.motion.joint_positions().iter().map(|f| f.map(|p| [p.x, p.y, p.z])).collect() })
        .collect();
    let f = |v: [f32; 3]| [f64::from(v[0]), f64::from(v[1]), f64::from(v[2])];
    let keys = built
        .camera
        .iter()
        .enumerate()
        .map(|(frame, c)| scene_render::CameraKey { frame, camera: Camera { position: f(c.eye), target: f(c.target), up: [0.0, 1.0, 0.0], fov_y_deg: f64::from(c.vfov_deg) } })
        .collect();
    PoseSequence {
        characters,
        camera: Some(CameraPath::Keyed(keys)),
        width: scene.script.render.width,
        height: scene.script.render.height,
        fps: f64::from(built.fps),
        auto_fov_y_deg: 40.0,
    }
}

pub fn run(args: BuildArgs) -> Result<()> {
    let scene = load_scene(&args.scene)?;
    let built = build(&scene, &args.source)?;
    let (glb, manifest) = write_scene(&built, &args.output, args.source.seed)?;
    for c in &built.characters {
        for u in &c.clips {
            println!("{:<12} {:>5.2}s +{:>5.2}s  \"{}\" <- {}", c.id, u.start_frame as f32 / built.fps, u.frames as f32 / built.fps, u.text, u.source);
        }
    }
    println!("wrote {} and {} ({} frames at {} fps)", glb.display(), manifest.display(), built.frames, built.fps);
    Ok(())
}
