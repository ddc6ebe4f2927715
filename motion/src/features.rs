//! The rotations-first feature representation the model sees: one vector of
//! [`FEATURE_DIM`] floats per frame, at the canonical 20 fps on the canonical skeleton.
//!
//! | slice | size | content |
//! |---|---|---|
//! | [`ROOT_YAW_VEL`] | 1 | root heading change to the next frame, radians/frame (about +Y) |
//! | [`ROOT_VEL_XZ`] | 2 | root ground velocity to the next frame in the heading frame (x = left, z = forward), metres/frame |
//! | [`ROOT_HEIGHT`] | 1 | pelvis height above the floor, metres |
//! | [`JOINT_POS`] | 21×3 | joints 1..22 relative to the pelvis in the heading frame (x, z) with absolute height (y), metres |
//! | [`ROT_6D`] | 22×6 | local joint rotations in 6D; the pelvis's relative to the heading frame |
//! | [`CONTACTS`] | 4 | foot contacts 0/1: L ankle, L foot, R ankle, R foot |
//!
//! The heading frame is the pelvis's yaw only. Velocities of the last frame are zero.
//! [`decode`] rebuilds the motion from the root and rotation slices alone (the positions and
//! contacts are redundant targets for losses and metrics), starting at the origin facing +Z.

use crate::motion::{Motion, Pose, CANONICAL_FPS};
use crate::rotation::{heading_yaw, quat_from_6d, quat_to_6d, wrap_angle, yaw_rotation, Quat};
use crate::skeleton::{joint, Skeleton, NUM_JOINTS};
use nalgebra::Vector3;
use std::ops::Range;

pub const ROOT_YAW_VEL: Range<usize> = 0..1;
pub const ROOT_VEL_XZ: Range<usize> = 1..3;
pub const ROOT_HEIGHT: Range<usize> = 3..4;
pub const JOINT_POS: Range<usize> = 4..67;
pub const ROT_6D: Range<usize> = 67..199;
pub const CONTACTS: Range<usize> = 199..203;
pub const FEATURE_DIM: usize = 203;

/// A foot joint touches the floor when it moves less than this per frame at 20 fps (1 m/s)…
pub const CONTACT_SPEED_M_PER_FRAME: f32 = 0.05;
/// …and is this close to the floor (ankle, foot), metres.
pub const CONTACT_HEIGHT_M: [f32; 2] = [0.12, 0.07];

/// Foot contact flags per frame for the [`joint::FEET`] joints.
pub fn foot_contacts(positions: &[crate::JointPositions]) -> Vec<[bool; 4]> {
    (0..positions.len())
        .map(|t| {
            std::array::from_fn(|k| {
                let j = joint::FEET[k];
                // Speed towards the next frame; the last frame uses the step that reached it.
                let speed = match (positions.get(t + 1), t.checked_sub(1)) {
                    (Some(next), _) => (next[j] - positions[t][j]).norm(),
                    (None, Some(prev)) => (positions[t][j] - positions[prev][j]).norm(),
                    (None, None) => 0.0,
                };
                speed < CONTACT_SPEED_M_PER_FRAME && positions[t][j].y < CONTACT_HEIGHT_M[k % 2]
            })
        })
        .collect()
}

/// Encodes a motion (any skeleton, but the canonical one is what decoding assumes).
pub fn encode(motion: &Motion) -> Vec<[f32; FEATURE_DIM]> {
    let positions = motion.joint_positions();
    let contacts = foot_contacts(&positions);
    let n = motion.poses.len();
    let yaws: Vec<f32> = motion.poses.iter().map(|p| heading_yaw(&p.local[0])).collect();
    (0..n)
        .map(|t| {
            let mut f = [0.0f32; FEATURE_DIM];
            let pose = &motion.poses[t];
            let inv_heading = yaw_rotation(yaws[t]).inverse();
            if t + 1 < n {
                f[ROOT_YAW_VEL.start] = wrap_angle(yaws[t + 1] - yaws[t]);
                let v = inv_heading * (motion.poses[t + 1].root_m - pose.root_m);
                f[ROOT_VEL_XZ.start] = v.x;
                f[ROOT_VEL_XZ.start + 1] = v.z;
            }
            f[ROOT_HEIGHT.start] = pose.root_m.y;
            for j in 1..NUM_JOINTS {
                let mut rel = positions[t][j] - pose.root_m;
                rel.y = 0.0;
                let r = inv_heading * rel;
                let k = JOINT_POS.start + (j - 1) * 3;
                f[k] = r.x;
                f[k + 1] = positions[t][j].y;
                f[k + 2] = r.z;
            }
            for j in 0..NUM_JOINTS {
                let q = if j == 0 { inv_heading * pose.local[0] } else { pose.local[j] };
                f[ROT_6D.start + j * 6..ROT_6D.start + j * 6 + 6].copy_from_slice(&quat_to_6d(&q));
            }
            for k in 0..4 {
                f[CONTACTS.start + k] = if contacts[t][k] { 1.0 } else { 0.0 };
            }
            f
        })
        .collect()
}

/// Decodes features into a motion on the canonical skeleton at 20 fps, starting at the origin
/// (x = z = 0) facing +Z. Any finite input decodes to a valid motion.
pub fn decode(features: &[[f32; FEATURE_DIM]]) -> Motion {
    let mut yaw = 0.0f32;
    let mut xz = Vector3::<f32>::zeros();
    let mut poses = Vec::with_capacity(features.len());
    for (t, f) in features.iter().enumerate() {
        if t > 0 {
            let prev = &features[t - 1];
            xz += yaw_rotation(yaw) * Vector3::new(prev[ROOT_VEL_XZ.start], 0.0, prev[ROOT_VEL_XZ.start + 1]);
            yaw += prev[ROOT_YAW_VEL.start];
        }
        let local: [Quat; NUM_JOINTS] = std::array::from_fn(|j| {
            let q = quat_from_6d(&f[ROT_6D.start + j * 6..ROT_6D.start + j * 6 + 6]);
            if j == 0 { yaw_rotation(yaw) * q } else { q }
        });
        poses.push(Pose { root_m: Vector3::new(xz.x, f[ROOT_HEIGHT.start], xz.z), local });
    }
    Motion { skeleton: Skeleton::canonical(), fps: CANONICAL_FPS, poses }
}

/// Moves a motion so its first frame has the pelvis at x = z = 0, heading +Z: the frame
/// [`decode`] reproduces.
pub fn canonicalize(motion: &Motion) -> Motion {
    let Some(first) = motion.poses.first() else { return motion.clone() };
    let yaw = heading_yaw(&first.local[0]);
    let turned = motion.transformed(-yaw, Vector3::zeros());
    let r0 = turned.poses[0].root_m;
    turned.transformed(0.0, Vector3::new(-r0.x, 0.0, -r0.z))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::positions_from_array;
    use crate::retarget::{motion_from_positions, position_error, Target};
    use motion_datasets::humanml3d::read_joint_positions;

    pub(crate) fn sample_motion() -> Motion {
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/humanml3d/new_joints/012314.npy");
        assert!(p.exists(), "test data missing: {} (these tests read the shared data set: clone the repository with `shared/` beside it, see README)", p.display());
        let frames = positions_from_array(&read_joint_positions(&p).unwrap());
        motion_from_positions(&frames, 20.0, Target::Canonical).on_floor()
    }

    #[test]
    fn encode_decode_reproduces_joint_positions() {
        let m = canonicalize(&sample_motion());
        let f = encode(&m);
        assert_eq!(f.len(), m.num_frames());
        let d = decode(&f);
        let e = position_error(&m.joint_positions(), &d.joint_positions());
        assert!(e.max_m < 1e-4, "{e:?}");
    }

    #[test]
    fn slices_tile_the_vector_and_hold_what_they_promise() {
        let ranges = [ROOT_YAW_VEL, ROOT_VEL_XZ, ROOT_HEIGHT, JOINT_POS, ROT_6D, CONTACTS];
        for w in ranges.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        assert_eq!(CONTACTS.end, FEATURE_DIM);
        let m = canonicalize(&sample_motion());
        let f = encode(&m);
        let pos = m.joint_positions();
        // Height slice equals the pelvis height; the head's y equals its world height.
        assert!((f[10][ROOT_HEIGHT.start] - pos[10][0].y).abs() < 1e-6);
        let k = JOINT_POS.start + (joint::HEAD - 1) * 3 + 1;
        assert!((f[10][k] - pos[10][joint::HEAD].y).abs() < 1e-6);
        // Contacts are binary and both feet touch the floor at some point of a real clip.
        assert!(f.iter().all(|r| r[CONTACTS].iter().all(|c| *c == 0.0 || *c == 1.0)));
        assert!(f.iter().any(|r| r[CONTACTS.start + 1] == 1.0) && f.iter().any(|r| r[CONTACTS.start + 3] == 1.0));
    }

    #[test]
    fn decode_never_produces_nan_from_garbage() {
        let garbage: Vec<[f32; FEATURE_DIM]> = (0..5).map(|i| std::array::from_fn(|k| ((i * 31 + k) % 7) as f32 - 3.0)).collect();
        let m = decode(&garbage);
        assert!(m.joint_positions().iter().all(|f| f.iter().all(|p| p.iter().all(|v| v.is_finite()))));
        let zeros = vec![[0.0f32; FEATURE_DIM]; 3];
        assert!(decode(&zeros).joint_positions().iter().all(|f| f.iter().all(|p| p.iter().all(|v| v.is_finite()))));
    }
}
