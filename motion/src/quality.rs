//! Checks that a retargeted clip is physically sane: rigid bones, feet on the floor, knees that
//! bend the natural way, left and right on their own sides. Used by `motion dataset check`.

use crate::motion::{JointPositions, Motion};
use crate::retarget::bone_length_spread;
use crate::skeleton::joint;
use nalgebra::Vector3;

/// Per-clip figures (heights in metres).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ClipQuality {
    pub frames: usize,
    /// Largest (max − min) / median bone length over the clip.
    pub bone_length_spread: f32,
    /// Height of the lowest foot joint, median over frames.
    pub lowest_foot_median_m: f32,
    /// Fraction of frames whose lowest foot joint is within 2 cm of the floor.
    pub feet_on_floor_fraction: f32,
    /// Frames where a bent knee (> 20°) folds forward, the wrong way.
    pub knees_flipped_frames: usize,
    /// Frames where left and right hips or shoulders swap sides relative to the body's facing.
    pub sides_swapped_frames: usize,
    /// Largest joint position error after encoding to features and decoding (set by the
    /// dataset build), metres.
    pub encode_decode_max_error_m: f32,
}

pub const FLOOR_TOLERANCE_M: f32 = 0.02;

fn lowest_foot(f: &JointPositions) -> f32 {
    joint::FEET.iter().map(|&j| f[j].y).fold(f32::INFINITY, f32::min)
}

pub fn clip_quality(motion: &Motion) -> ClipQuality {
    let pos = motion.joint_positions();
    let n = pos.len();
    let mut lows: Vec<f32> = pos.iter().map(lowest_foot).collect();
    let on_floor = lows.iter().filter(|&&h| h.abs() <= FLOOR_TOLERANCE_M).count();
    lows.sort_by(f32::total_cmp);
    let mut knees = 0;
    let mut sides = 0;
    for (f, pose) in pos.iter().zip(&motion.poses) {
        // Facing from the pelvis orientation; "left" is the pelvis's +X.
        let left = pose.local[0] * Vector3::x();
        let mut flipped = false;
        for (hip, knee, ankle) in [(joint::L_HIP, joint::L_KNEE, joint::L_ANKLE), (joint::R_HIP, joint::R_KNEE, joint::R_ANKLE)] {
            let (thigh, shin) = (f[knee] - f[hip], f[ankle] - f[knee]);
            let n = thigh.cross(&shin);
            let sin = n.norm() / (thigh.norm() * shin.norm()).max(1e-9);
            // A natural knee bend has its hinge normal along the body's left axis.
            if sin > 0.34 && n.normalize().dot(&left) < -0.5 {
                flipped = true;
            }
        }
        knees += flipped as usize;
        let hips = f[joint::L_HIP] - f[joint::R_HIP];
        let shoulders = f[joint::L_SHOULDER] - f[joint::R_SHOULDER];
        if hips.dot(&left) <= 0.0 || shoulders.dot(&hips) <= 0.0 {
            sides += 1;
        }
    }
    ClipQuality {
        frames: n,
        bone_length_spread: bone_length_spread(&pos),
        lowest_foot_median_m: lows.get(n / 2).copied().unwrap_or(0.0),
        feet_on_floor_fraction: if n == 0 { 0.0 } else { on_floor as f32 / n as f32 },
        knees_flipped_frames: knees,
        sides_swapped_frames: sides,
        encode_decode_max_error_m: 0.0,
    }
}
