//! The scene camera as a glTF camera track: per frame an eye position and the rotation that
//! makes the camera's −Z look at the target with +Y up.

use motion::rotation::Quat;
use nalgebra::{Matrix3, Rotation3, Vector3};
use scene_script::{CameraPose, Scene};

/// Rotation whose −Z points from `eye` to `target` and whose +Y is as close to world up as
/// possible (looking straight up or down falls back to +Z as the up hint).
pub fn look_rotation(eye: Vector3<f32>, target: Vector3<f32>) -> Quat {
    let Some(back) = (eye - target).try_normalize(1e-9) else { return Quat::identity() };
    let hint = if back.y.abs() > 0.999 { Vector3::z() } else { Vector3::y() };
    let x = hint.cross(&back).normalize();
    let y = back.cross(&x);
    Quat::from_rotation_matrix(&Rotation3::from_matrix_unchecked(Matrix3::from_columns(&[x, y, back])))
}

/// Samples the scene camera at every frame; `root(id, frame)` gives a character's pelvis
/// position so a `follow` camera tracks the moving character.
pub fn camera_track(scene: &Scene, frames: usize, root: impl Fn(&str, usize) -> Option<[f32; 3]>) -> Vec<CameraPose> {
    let fps = scene.fps().max(1) as f32;
    (0..frames).map(|f| scene.camera_at_with(f as f32 / fps, |id| root(id, f))).collect()
}
