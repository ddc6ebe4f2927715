//! Per-character timelines: each motion clip is anchored where the previous one ended (position
//! and heading), looped if the source is shorter than the requested duration, and faded in
//! over [`BLEND_FRAMES`] frames from the last pose so joins do not pop. Gaps hold the last pose.

use crate::camera::camera_track;
use crate::source::MotionSource;
use crate::BuildError;
use motion::rotation::{heading_yaw, slerp};
use motion::{Motion, Pose, Skeleton};
use nalgebra::Vector3;
use scene_script::{CameraPose, Scene};

/// Frames of cross-fade at every join (0.25 s at 20 fps).
pub const BLEND_FRAMES: usize = 5;

/// Which motion filled which part of a character's timeline.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ClipUse {
    pub text: String,
    pub start_frame: usize,
    pub frames: usize,
    pub source: String,
}

pub struct BuiltCharacter {
    pub id: String,
    /// World-space motion over the whole scene (placement applied).
    pub motion: Motion,
    pub clips: Vec<ClipUse>,
}

pub struct BuiltScene {
    pub fps: f32,
    pub frames: usize,
    pub characters: Vec<BuiltCharacter>,
    pub camera: Vec<CameraPose>,
}

/// Moves `m` so its first frame stands at `at` (x, z) with heading `yaw`.
fn anchored(m: &Motion, at: Vector3<f32>, yaw: f32) -> Motion {
    let first = &m.poses[0];
    let turned = m.transformed(yaw - heading_yaw(&first.local[0]), Vector3::zeros());
    let r0 = turned.poses[0].root_m;
    turned.transformed(0.0, Vector3::new(at.x - r0.x, 0.0, at.z - r0.z))
}

fn blend(from: &Pose, to: &Pose, w: f32) -> Pose {
    Pose {
        root_m: Vector3::new(to.root_m.x, from.root_m.y + (to.root_m.y - from.root_m.y) * w, to.root_m.z),
        local: std::array::from_fn(|j| slerp(&from.local[j], &to.local[j], w)),
    }
}

/// Builds every character's motion and the camera. Seeds: `seed` + character index × 1000 +
/// clip index, so editing one character does not change the others.
pub fn build_scene(scene: &Scene, source: &dyn MotionSource, seed: u64) -> Result<BuiltScene, BuildError> {
    let fps = scene.fps();
    let frames = scene.frame_count();
    if frames == 0 || !(1..=60).contains(&fps) {
        return Err(BuildError::Timing { frames, fps });
    }
    let frames = frames as usize;
    let mut characters = Vec::new();
    for (ci, ch) in scene.script.characters.iter().enumerate() {
        let place = scene.placement(&ch.id).cloned().unwrap_or(scene_script::Placement { id: ch.id.clone(), position: [0.0; 3], yaw: 0.0 });
        let mut clips: Vec<_> = ch.motions.iter().enumerate().collect();
        clips.sort_by(|a, b| a.1.start.total_cmp(&b.1.start));
        let mut poses: Vec<Pose> = Vec::with_capacity(frames);
        let mut uses = Vec::new();
        for (k, clip) in clips {
            let start = ((clip.start * fps as f64).round() as usize).min(frames);
            let len = ((clip.duration * fps as f64).round() as usize).min(frames - start);
            if len == 0 {
                continue;
            }
            let s = source
                .motion_for(clip, len as f32 / fps as f32, seed + ci as u64 * 1000 + k as u64)
                .map_err(|why| BuildError::NoMotion { character: ch.id.clone(), text: clip.text.clone(), why })?;
            let m = s.motion.resampled(fps as f32);
            if m.poses.is_empty() {
                return Err(BuildError::NoMotion { character: ch.id.clone(), text: clip.text.clone(), why: "the source gave an empty motion".into() });
            }
            // Before the first clip (or in a gap) the character holds its last pose; at the
            // very start it stands in the clip's first pose at its placement.
            if poses.is_empty() {
                let first = anchored(&m, Vector3::from(place.position), place.yaw);
                poses.extend(std::iter::repeat_n(first.poses[0].clone(), start));
            } else {
                let hold = poses[poses.len() - 1].clone();
                poses.extend(std::iter::repeat_n(hold, start.saturating_sub(poses.len())));
            }
            poses.truncate(start);
            let mut filled = 0;
            while filled < len {
                let (at, yaw) = match poses.last() {
                    Some(p) => (p.root_m, heading_yaw(&p.local[0])),
                    None => (Vector3::from(place.position), place.yaw),
                };
                let seg = anchored(&m, at, yaw);
                let prev = poses.last().cloned();
                for (i, p) in seg.poses.iter().take(len - filled).enumerate() {
                    let pose = match &prev {
                        Some(from) if i < BLEND_FRAMES => blend(from, p, (i + 1) as f32 / (BLEND_FRAMES + 1) as f32),
                        _ => p.clone(),
                    };
                    poses.push(pose);
                }
                filled += seg.poses.len().min(len - filled);
            }
            uses.push(ClipUse { text: clip.text.clone(), start_frame: start, frames: len, source: s.source });
        }
        if poses.is_empty() {
            return Err(BuildError::NoMotion { character: ch.id.clone(), text: String::new(), why: "the character has no motion clips".into() });
        }
        let hold = poses[poses.len() - 1].clone();
        poses.resize(frames, hold);
        characters.push(BuiltCharacter { id: ch.id.clone(), motion: Motion { skeleton: Skeleton::canonical(), fps: fps as f32, poses }, clips: uses });
    }
    let roots: Vec<(String, Vec<[f32; 3]>)> =
        characters.iter().map(|c| (c.id.clone(), c.motion.poses.iter().map(|p| [p.root_m.x, p.root_m.y, p.root_m.z]).collect())).collect();
    let camera = camera_track(scene, frames, |id, f| roots.iter().find(|(i, _)| i == id).and_then(|(_, r)| r.get(f).copied()));
    Ok(BuiltScene { fps: fps as f32, frames, characters, camera })
}
