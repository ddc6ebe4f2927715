//! The canonical skeleton: the 22 SMPL body joints in HumanML3D order, metres, Y up, the
//! character facing +Z and its left on +X. The rest pose (all local rotations identity) is a
//! T-pose: legs down, feet forward, arms out along ±X.

use nalgebra::Vector3;

pub const NUM_JOINTS: usize = 22;

/// Joint names in HumanML3D/SMPL order.
pub const JOINT_NAMES: [&str; NUM_JOINTS] = [
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle", "right_ankle", "spine3",
    "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist",
];

/// Parent of each joint (the pelvis is the root). Parents always precede their children.
pub const PARENTS: [Option<usize>; NUM_JOINTS] = [
    None, Some(0), Some(0), Some(0), Some(1), Some(2), Some(3), Some(4), Some(5), Some(6), Some(7), Some(8), Some(9), Some(9),
    Some(9), Some(12), Some(13), Some(14), Some(16), Some(17), Some(18), Some(19),
];

/// Left/right counterpart of each joint (itself on the midline), for mirroring.
pub const MIRROR: [usize; NUM_JOINTS] = [0, 2, 1, 3, 5, 4, 6, 8, 7, 9, 11, 10, 12, 14, 13, 15, 17, 16, 19, 18, 21, 20];

/// Joint indices used throughout.
pub mod joint {
    pub const PELVIS: usize = 0;
    pub const L_HIP: usize = 1;
    pub const R_HIP: usize = 2;
    pub const SPINE1: usize = 3;
    pub const L_KNEE: usize = 4;
    pub const R_KNEE: usize = 5;
    pub const SPINE2: usize = 6;
    pub const L_ANKLE: usize = 7;
    pub const R_ANKLE: usize = 8;
    pub const SPINE3: usize = 9;
    pub const L_FOOT: usize = 10;
    pub const R_FOOT: usize = 11;
    pub const NECK: usize = 12;
    pub const L_COLLAR: usize = 13;
    pub const R_COLLAR: usize = 14;
    pub const HEAD: usize = 15;
    pub const L_SHOULDER: usize = 16;
    pub const R_SHOULDER: usize = 17;
    pub const L_ELBOW: usize = 18;
    pub const R_ELBOW: usize = 19;
    pub const L_WRIST: usize = 20;
    pub const R_WRIST: usize = 21;
    /// Foot joints in the order of the contact features: L ankle, L foot, R ankle, R foot.
    pub const FEET: [usize; 4] = [L_ANKLE, L_FOOT, R_ANKLE, R_FOOT];
}

/// Rest offsets of the canonical skeleton in metres: bone lengths of the HumanML3D target
/// skeleton (averaged left/right), directions of an SMPL-like T-pose, mirror-symmetric.
const CANONICAL_OFFSETS_M: [[f32; 3]; NUM_JOINTS] = [
    [0.0, 0.0, 0.0],           // pelvis (placed by the root translation)
    [0.0691, -0.0797, -0.0040], // left_hip
    [-0.0691, -0.0797, -0.0040], // right_hip
    [0.0, 0.1291, -0.0250],    // spine1
    [0.0, -0.3910, 0.0],       // left_knee (legs straight, so the rest knee is unbent)
    [0.0, -0.3910, 0.0],       // right_knee
    [0.0, 0.1432, 0.0020],     // spine2
    [0.0, -0.4290, 0.0],       // left_ankle
    [0.0, -0.4290, 0.0],       // right_ankle
    [0.0, 0.0520, 0.0240],     // spine3
    [0.0, -0.0560, 0.1350],    // left_foot
    [0.0, -0.0560, 0.1350],    // right_foot
    [0.0, 0.2150, -0.0420],    // neck
    [0.0780, 0.1150, -0.0300], // left_collar
    [-0.0780, 0.1150, -0.0300], // right_collar
    [0.0, 0.0880, 0.0530],     // head
    [0.1270, 0.0150, -0.0100], // left_shoulder
    [-0.1270, 0.0150, -0.0100], // right_shoulder
    [0.2600, 0.0, 0.0],        // left_elbow (arms straight)
    [-0.2600, 0.0, 0.0],       // right_elbow
    [0.2680, 0.0, 0.0],        // left_wrist
    [-0.2680, 0.0, 0.0],       // right_wrist
];

/// A skeleton with the canonical topology and its own rest offsets (metres, parent frame).
#[derive(Clone, Debug, PartialEq)]
pub struct Skeleton {
    pub offsets_m: [Vector3<f32>; NUM_JOINTS],
}

impl Skeleton {
    /// The one skeleton the model and the dataset cache use.
    pub fn canonical() -> Self {
        Self { offsets_m: CANONICAL_OFFSETS_M.map(|o| Vector3::new(o[0], o[1], o[2])) }
    }

    pub fn parent(j: usize) -> Option<usize> {
        PARENTS[j]
    }

    pub fn children(j: usize) -> impl Iterator<Item = usize> {
        (0..NUM_JOINTS).filter(move |&c| PARENTS[c] == Some(j))
    }

    /// Length of the bone from each joint's parent to the joint, metres.
    pub fn bone_lengths_m(&self) -> [f32; NUM_JOINTS] {
        self.offsets_m.map(|o| o.norm())
    }

    /// Rest (T-pose) joint positions with the pelvis at the origin.
    pub fn rest_positions_m(&self) -> [Vector3<f32>; NUM_JOINTS] {
        let mut p = [Vector3::zeros(); NUM_JOINTS];
        for j in 1..NUM_JOINTS {
            p[j] = p[PARENTS[j].unwrap_or(0)] + self.offsets_m[j];
        }
        p
    }

    /// Height of the pelvis above the lowest joint in the rest pose, metres.
    pub fn rest_pelvis_height_m(&self) -> f32 {
        -self.rest_positions_m().iter().map(|p| p.y).fold(f32::INFINITY, f32::min)
    }

    /// Hip-to-ankle length (thigh + shin), metres, averaged over both legs.
    pub fn leg_length_m(&self) -> f32 {
        let l = self.bone_lengths_m();
        0.5 * (l[joint::L_KNEE] + l[joint::L_ANKLE] + l[joint::R_KNEE] + l[joint::R_ANKLE])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topology_is_ordered_and_mirror_is_an_involution() {
        for j in 1..NUM_JOINTS {
            assert!(PARENTS[j].unwrap() < j);
        }
        for j in 0..NUM_JOINTS {
            assert_eq!(MIRROR[MIRROR[j]], j);
            assert_eq!(PARENTS[MIRROR[j]].map(|p| MIRROR[p]), PARENTS[j], "joint {j}");
        }
    }

    #[test]
    fn canonical_skeleton_is_symmetric_and_human_sized() {
        let s = Skeleton::canonical();
        for j in 0..NUM_JOINTS {
            let (a, b) = (s.offsets_m[j], s.offsets_m[MIRROR[j]]);
            assert!((a.x + b.x).abs() < 1e-6 && (a.y - b.y).abs() < 1e-6 && (a.z - b.z).abs() < 1e-6, "joint {j}");
        }
        let rest = s.rest_positions_m();
        let height = rest[joint::HEAD].y - rest.iter().map(|p| p.y).fold(f32::INFINITY, f32::min);
        assert!(height > 1.4 && height < 1.8, "{height}");
        // Left is +X when facing +Z.
        assert!(rest[joint::L_WRIST].x > 0.5 && rest[joint::R_WRIST].x < -0.5);
        assert!(rest[joint::L_FOOT].z > rest[joint::L_ANKLE].z);
    }
}
