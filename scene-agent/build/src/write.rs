//! Writes a built scene: `scene.glb` (every character and the animated camera in one animation)
//! and `manifest.json` (what filled each timeline), both atomically inside the output folder.

use crate::camera::look_rotation;
use crate::timeline::BuiltScene;
use crate::BuildError;
use motion::export::glb::{glb_bytes, CameraTrack, CharacterTrack};
use nalgebra::Vector3;
use std::path::{Path, PathBuf};

pub const SCENE_GLB: &str = "scene.glb";
pub const MANIFEST_FILE: &str = "manifest.json";

/// Writes the scene into `out` (created if missing) and returns the two paths.
pub fn write_scene(built: &BuiltScene, out: &Path, seed: u64) -> Result<(PathBuf, PathBuf), BuildError> {
    if out.exists() && !out.is_dir() {
        return Err(BuildError::Output { path: out.to_path_buf(), why: "exists and is not a folder".into() });
    }
    std::fs::create_dir_all(out).map_err(|e| BuildError::Output { path: out.to_path_buf(), why: e.to_string() })?;
    let tracks: Vec<CharacterTrack> = built.characters.iter().map(|c| CharacterTrack { name: &c.id, motion: &c.motion }).collect();
    let v = |a: [f32; 3]| Vector3::new(a[0], a[1], a[2]);
    let camera = CameraTrack {
        fps: built.fps,
        yfov_rad: built.camera.first().map_or(40.0f32, |c| c.vfov_deg).to_radians(),
        positions_m: built.camera.iter().map(|c| v(c.eye)).collect(),
        rotations: built.camera.iter().map(|c| look_rotation(v(c.eye), v(c.target))).collect(),
    };
    let glb = glb_bytes(&tracks, (!built.camera.is_empty()).then_some(&camera))?;
    let glb_path = out.join(SCENE_GLB);
    motion::write_atomic(&glb_path, &glb)?;
    let manifest = serde_json::json!({
        "format": "scene-build/1",
        "glb": SCENE_GLB,
        "fps": built.fps,
        "frames": built.frames,
        "seed": seed,
        "characters": built.characters.iter().map(|c| serde_json::json!({"id": c.id, "clips": c.clips})).collect::<Vec<_>>(),
        "camera": built.camera.iter().map(|c| serde_json::json!({"eye": c.eye, "target": c.target, "vfov_deg": c.vfov_deg})).collect::<Vec<_>>(),
    });
    let manifest_path = out.join(MANIFEST_FILE);
    let bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| BuildError::Output { path: manifest_path.clone(), why: e.to_string() })?;
    motion::write_atomic(&manifest_path, &bytes)?;
    Ok((glb_path, manifest_path))
}
