//! From joint positions to a [`Motion`]: either on a skeleton fitted to the source (lossless
//! conversion, keeps the performer's proportions) or retargeted onto the canonical skeleton
//! (what the model trains on): directions from the source, bone lengths canonical, root
//! translation scaled by the leg-length ratio so steps and heights stay plausible.

use crate::ik::{fit_skeleton, solve_pose};
use crate::motion::{JointPositions, Motion, Pose};
use crate::skeleton::{Skeleton, PARENTS, NUM_JOINTS};
use crate::rotation::same_hemisphere;

/// Which skeleton the solved motion uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Bone lengths and constellations measured from the source.
    Fitted,
    /// The canonical skeleton, with the root path scaled by leg length.
    Canonical,
}

/// Position error of a solved motion against its source, metres.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PositionError {
    pub mean_m: f32,
    pub max_m: f32,
}

pub fn position_error(a: &[JointPositions], b: &[JointPositions]) -> PositionError {
    let mut sum = 0.0f64;
    let mut max = 0.0f32;
    let mut n = 0usize;
    for (fa, fb) in a.iter().zip(b) {
        for (p, q) in fa.iter().zip(fb) {
            let e = (p - q).norm();
            sum += e as f64;
            max = max.max(e);
            n += 1;
        }
    }
    PositionError { mean_m: if n == 0 { 0.0 } else { (sum / n as f64) as f32 }, max_m: max }
}

fn median(mut v: Vec<f32>) -> f32 {
    v.retain(|x| x.is_finite());
    v.sort_by(f32::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Median thigh + shin length of position data, metres.
pub fn leg_length_m(frames: &[JointPositions]) -> f32 {
    use crate::skeleton::joint::*;
    let bone = |f: &JointPositions, a: usize, b: usize| (f[a] - f[b]).norm();
    median(frames.iter().map(|f| 0.5 * (bone(f, L_HIP, L_KNEE) + bone(f, L_KNEE, L_ANKLE) + bone(f, R_HIP, R_KNEE) + bone(f, R_KNEE, R_ANKLE))).collect())
}

/// Solves rotations for every frame. Consecutive quaternions are kept in one hemisphere.
pub fn motion_from_positions(frames: &[JointPositions], fps: f32, target: Target) -> Motion {
    let (skeleton, root_scale) = match target {
        Target::Fitted => (fit_skeleton(frames), 1.0),
        Target::Canonical => {
            let s = Skeleton::canonical();
            let src = leg_length_m(frames);
            let scale = if src > 1e-3 { s.leg_length_m() / src } else { 1.0 };
            (s, scale)
        }
    };
    let mut poses: Vec<Pose> = Vec::with_capacity(frames.len());
    for f in frames {
        let mut pose = solve_pose(&skeleton, f);
        pose.root_m *= root_scale;
        if let Some(prev) = poses.last() {
            for j in 0..NUM_JOINTS {
                pose.local[j] = same_hemisphere(&prev.local[j], pose.local[j]);
            }
        }
        poses.push(pose);
    }
    Motion { skeleton, fps, poses }
}

/// Per-bone length statistics of position data (for checking a retarget keeps bones rigid):
/// the largest relative spread (max − min) / median over all bones.
pub fn bone_length_spread(frames: &[JointPositions]) -> f32 {
    let mut worst = 0.0f32;
    for j in 1..NUM_JOINTS {
        let p = PARENTS[j].unwrap_or(0);
        let l: Vec<f32> = frames.iter().map(|f| (f[j] - f[p]).norm()).collect();
        let med = median(l.clone());
        if med > 1e-4 {
            let (lo, hi) = l.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
            worst = worst.max((hi - lo) / med);
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::positions_from_array;
    use motion_datasets::humanml3d::read_joint_positions;
    use std::path::PathBuf;

    #[test]
    fn humanml3d_joints_convert_with_sub_centimetre_error() {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/humanml3d/new_joints/012314.npy");
        assert!(p.exists(), "test data missing: {} (these tests read the shared data set: clone the repository with `shared/` beside it, see README)", p.display());
        let frames = positions_from_array(&read_joint_positions(&p).unwrap());
        let m = motion_from_positions(&frames, 20.0, Target::Fitted);
        let e = position_error(&frames, &m.joint_positions());
        assert!(e.mean_m < 0.01, "{e:?}");
        let spread = bone_length_spread(&m.joint_positions());
        assert!(spread < 1e-4, "{spread}");
    }
}

/// Metres per unit of the Bandai Namco BVH files (centimetres).
pub const BANDAI_SCALE_TO_M: f32 = 0.01;

/// A Bandai Namco (or any mappable) BVH clip retargeted onto the canonical skeleton at 20 fps,
/// standing on the floor (lowest joint of the clip at y = 0).
pub fn retarget_bvh_clip(path: &std::path::Path, scale_to_m: Option<f32>) -> crate::Result<Motion> {
    let bvh = motion_datasets::bvh::Bvh::read(path)?;
    let (frames, fps, _) = crate::import::positions_from_bvh(&bvh, path, scale_to_m)?;
    Ok(motion_from_positions(&frames, fps, Target::Canonical).resampled(crate::CANONICAL_FPS).on_floor())
}
