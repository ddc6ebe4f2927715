//! Joint positions from the formats users hold: any BVH whose joint names we can map (the
//! canonical names, Bandai Namco, Mixamo/CMU-style names), HumanML3D 263-dim features, and
//! `[frames, 22, 3]` joint-position arrays.

pub mod glb;

use crate::error::{MotionError, Result};
use crate::motion::JointPositions;
use crate::rotation::{from_euler_channels, Quat};
use crate::skeleton::{JOINT_NAMES, NUM_JOINTS};
use motion_datasets::bvh::Bvh;
use motion_datasets::humanml3d::FEATURE_DIM;
use nalgebra::{UnitQuaternion, Vector3};
use std::path::Path;

/// Where a canonical joint comes from in a source skeleton.
#[derive(Clone, Copy, Debug)]
enum Source {
    /// Any of these names (first present wins).
    Joint(&'static [&'static str]),
    /// A point between two joints (for spines with fewer segments).
    Between(&'static [&'static str], &'static [&'static str], f32),
}

/// A named mapping from a source skeleton's joints to the 22 canonical joints.
struct JointMap {
    name: &'static str,
    sources: [Source; NUM_JOINTS],
}

use Source::{Between, Joint};

const BANDAI: JointMap = JointMap {
    name: "Bandai Namco",
    sources: [
        Joint(&["Hips"]), Joint(&["UpperLeg_L"]), Joint(&["UpperLeg_R"]), Joint(&["Spine"]), Joint(&["LowerLeg_L"]),
        Joint(&["LowerLeg_R"]), Between(&["Spine"], &["Chest"], 0.5), Joint(&["Foot_L"]), Joint(&["Foot_R"]), Joint(&["Chest"]),
        Joint(&["Toes_L"]), Joint(&["Toes_R"]), Joint(&["Neck"]), Joint(&["Shoulder_L"]), Joint(&["Shoulder_R"]), Joint(&["Head"]),
        Joint(&["UpperArm_L"]), Joint(&["UpperArm_R"]), Joint(&["LowerArm_L"]), Joint(&["LowerArm_R"]), Joint(&["Hand_L"]),
        Joint(&["Hand_R"]),
    ],
};

/// Mixamo (after its `mixamorig:` prefix is stripped), CMU and most game rigs.
const MIXAMO_CMU: JointMap = JointMap {
    name: "Mixamo/CMU",
    sources: [
        Joint(&["Hips"]), Joint(&["LeftUpLeg"]), Joint(&["RightUpLeg"]), Joint(&["Spine"]), Joint(&["LeftLeg"]), Joint(&["RightLeg"]),
        Joint(&["Spine1"]), Joint(&["LeftFoot"]), Joint(&["RightFoot"]), Between(&["Spine2", "Spine1"], &["Neck"], 0.0),
        Joint(&["LeftToeBase", "LeftToe"]), Joint(&["RightToeBase", "RightToe"]), Joint(&["Neck"]), Joint(&["LeftShoulder"]),
        Joint(&["RightShoulder"]), Joint(&["Head"]), Joint(&["LeftArm"]), Joint(&["RightArm"]), Joint(&["LeftForeArm"]),
        Joint(&["RightForeArm"]), Joint(&["LeftHand"]), Joint(&["RightHand"]),
    ],
};

/// The names this project's own BVH export writes (same as [`JOINT_NAMES`]).
const CANONICAL: JointMap = JointMap {
    name: "canonical",
    sources: [Joint(&["pelvis"]), Joint(&["left_hip"]), Joint(&["right_hip"]), Joint(&["spine1"]), Joint(&["left_knee"]), Joint(&["right_knee"]), Joint(&["spine2"]), Joint(&["left_ankle"]), Joint(&["right_ankle"]), Joint(&["spine3"]), Joint(&["left_foot"]), Joint(&["right_foot"]), Joint(&["neck"]), Joint(&["left_collar"]), Joint(&["right_collar"]), Joint(&["head"]), Joint(&["left_shoulder"]), Joint(&["right_shoulder"]), Joint(&["left_elbow"]), Joint(&["right_elbow"]), Joint(&["left_wrist"]), Joint(&["right_wrist"])],
};

/// Strips namespace prefixes such as `mixamorig:` or `Armature|`.
fn bare(name: &str) -> &str {
    name.rsplit([':', '|']).next().unwrap_or(name)
}

/// Global joint positions of every frame, in the file's unit, for all BVH joints.
///
/// Joints with position channels take those values as their translation (they replace the
/// OFFSET component by component, as Bandai Namco and MotionBuilder files expect); rotation
/// channels compose in the order written.
pub fn bvh_global_positions(bvh: &Bvh) -> Vec<Vec<Vector3<f32>>> {
    let n = bvh.joints.len();
    (0..bvh.num_frames())
        .map(|f| {
            let mut g = vec![Quat::identity(); n];
            let mut p = vec![Vector3::zeros(); n];
            for (j, joint) in bvh.joints.iter().enumerate() {
                let s = bvh.sample(f, j);
                let t: [f64; 3] = std::array::from_fn(|a| s.position[a].unwrap_or(joint.offset[a]));
                let t = Vector3::new(t[0] as f32, t[1] as f32, t[2] as f32);
                let r = from_euler_channels(&s.rotations);
                match joint.parent {
                    Some(pj) => {
                        p[j] = p[pj] + g[pj] * t;
                        g[j] = g[pj] * r;
                    }
                    None => {
                        p[j] = t;
                        g[j] = r;
                    }
                }
            }
            p
        })
        .collect()
}

/// Positions of the 22 canonical joints from a BVH, in metres, plus the frame rate and the
/// name of the joint map used. `scale_to_m` overrides the unit detection (e.g. 0.01 for cm).
pub fn positions_from_bvh(bvh: &Bvh, path: &Path, scale_to_m: Option<f32>) -> Result<(Vec<JointPositions>, f32, &'static str)> {
    if bvh.num_frames() == 0 {
        return Err(MotionError::input(path, "the BVH has no frames"));
    }
    let names: Vec<&str> = bvh.joints.iter().map(|j| bare(&j.name)).collect();
    let find = |alts: &[&str]| alts.iter().find_map(|a| names.iter().position(|n| n.eq_ignore_ascii_case(a)));
    let mut chosen = None;
    for map in [&CANONICAL, &BANDAI, &MIXAMO_CMU] {
        let idx: Option<Vec<(usize, usize, f32)>> = map
            .sources
            .iter()
            .map(|s| match s {
                Joint(alts) => find(alts).map(|i| (i, i, 0.0)),
                Between(a, b, t) => Some((find(a)?, find(b)?, *t)),
            })
            .collect();
        if let Some(idx) = idx {
            chosen = Some((map.name, idx));
            break;
        }
    }
    let Some((map_name, idx)) = chosen else {
        let listed: Vec<&str> = names.iter().take(30).copied().collect();
        return Err(MotionError::input(
            path,
            format!(
                "cannot map this skeleton's joints onto the 22-joint body: expected canonical names ({}…), Bandai Namco names (Hips, UpperLeg_L, …) or Mixamo/CMU names (Hips, LeftUpLeg, …); found {}",
                JOINT_NAMES[..4].join(", "),
                listed.join(", ")
            ),
        ));
    };
    let raw = bvh_global_positions(bvh);
    let frames: Vec<JointPositions> =
        raw.iter().map(|p| std::array::from_fn(|k| { let (a, b, t) = idx[k]; p[a].lerp(&p[b], t) })).collect();
    let scale = match scale_to_m {
        Some(s) if s.is_finite() && s > 0.0 => s,
        Some(s) => return Err(MotionError::input(path, format!("the unit scale must be a positive number, got {s}"))),
        None => detect_unit_scale(&frames),
    };
    let frames = frames.into_iter().map(|f| f.map(|v| v * scale)).collect();
    Ok((frames, (1.0 / bvh.frame_time_s) as f32, map_name))
}

/// Guesses metres-per-unit from the body's size in the first frame: people are 1–2.5 m.
fn detect_unit_scale(frames: &[JointPositions]) -> f32 {
    let f = &frames[0];
    let (lo, hi) = f.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), p| (lo.min(p.y), hi.max(p.y)));
    // Head-to-foot span of the 22 joints is ~85 % of body height.
    let span = (hi - lo).max(f[15].metric_distance(&f[7]));
    if span > 60.0 {
        0.01 // centimetres
    } else if span > 4.0 {
        0.0254 // inches
    } else {
        1.0
    }
}

/// HumanML3D's `recover_from_ric`: joint positions from 263-dim features (root yaw velocity
/// as a quaternion half-angle, root XZ velocity in the root frame, root height, and
/// rotation-invariant joint positions).
pub fn positions_from_humanml3d(features: &[[f32; FEATURE_DIM]]) -> Vec<JointPositions> {
    let mut out = Vec::with_capacity(features.len());
    let mut angle = 0.0f32;
    let mut root = Vector3::<f32>::zeros();
    for (t, f) in features.iter().enumerate() {
        if t > 0 {
            let prev = &features[t - 1];
            angle += prev[0];
            // Upstream rotates the velocity by the inverse of the current root quaternion
            // (cos θ, 0, sin θ, 0), i.e. a rotation of −2θ about Y.
            let q_inv = UnitQuaternion::from_axis_angle(&Vector3::y_axis(), -2.0 * angle);
            root += q_inv * Vector3::new(prev[1], 0.0, prev[2]);
        }
        let q_inv = UnitQuaternion::from_axis_angle(&Vector3::y_axis(), -2.0 * angle);
        let mut p = [Vector3::zeros(); NUM_JOINTS];
        p[0] = Vector3::new(root.x, f[3], root.z);
        for j in 1..NUM_JOINTS {
            let k = 4 + (j - 1) * 3;
            let v = q_inv * Vector3::new(f[k], f[k + 1], f[k + 2]);
            p[j] = Vector3::new(v.x + root.x, v.y, v.z + root.z);
        }
        out.push(p);
    }
    out
}

/// Joint positions from a joint-position array `[frames, 22, 3]`.
pub fn positions_from_array(frames: &[[[f32; 3]; NUM_JOINTS]]) -> Vec<JointPositions> {
    frames.iter().map(|f| f.map(|p| Vector3::new(p[0], p[1], p[2]))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use motion_datasets::humanml3d::{read_feature_vectors, read_joint_positions};
    use std::path::PathBuf;

    fn shared(p: &str) -> PathBuf {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/humanml3d").join(p);
        assert!(path.exists(), "test data missing: {} (these tests read the shared data set: clone the repository with `shared/` beside it, see README)", path.display());
        path
    }

    #[test]
    fn recover_from_ric_matches_the_published_joints() {
        // new_joints/012314.npy is upstream's recover_from_ric of new_joint_vecs/012314.npy:
        // an independent reference for this reimplementation.
        let feats = read_feature_vectors(&shared("new_joint_vecs/012314.npy")).unwrap();
        let want = positions_from_array(&read_joint_positions(&shared("new_joints/012314.npy")).unwrap());
        let got = positions_from_humanml3d(&feats);
        let max = got.iter().zip(&want).flat_map(|(a, b)| a.iter().zip(b).map(|(p, q)| (p - q).norm())).fold(0.0, f32::max);
        assert!(max < 1e-4, "max error {max} m");
    }

    #[test]
    fn unknown_skeletons_are_refused_with_the_names_found() {
        let text = "HIERARCHY\nROOT Blob\n{\nOFFSET 0 0 0\nCHANNELS 3 Xposition Yposition Zposition\n}\nMOTION\nFrames: 1\nFrame Time: 0.05\n0 0 0\n";
        let bvh = Bvh::parse(text, Path::new("x.bvh")).unwrap();
        let e = positions_from_bvh(&bvh, Path::new("x.bvh"), None).unwrap_err().to_string();
        assert!(e.contains("cannot map") && e.contains("Blob"), "{e}");
    }
}
