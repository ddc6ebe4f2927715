//! Inverse kinematics from joint positions to joint rotations, so position-only motion
//! (MDM/MoMask `[frames, 22, 3]` output, retargeted mocap) becomes rig-ready.
//!
//! Per joint, parents first:
//! - several children (pelvis, spine3): the best-fit rotation of the rest offsets onto the
//!   observed child vectors (exact when the constellation is rigid, as in SMPL data);
//! - hips and shoulders: swing onto the bone, twist from the bend plane of the limb below
//!   (the knee and the elbow are hinges), blended to minimal twist as the limb straightens;
//! - knees: bone direction plus the foot direction below fix the twist;
//! - other single-child joints: the shortest swing from the parent's frame (no twist);
//! - end joints (head, feet, wrists): no information, the parent's rotation.
//!
//! Positions of the children are reproduced exactly whenever bone lengths match.

use crate::motion::{JointPositions, Pose};
use crate::rotation::{align_two_vectors, best_fit_rotation, slerp, swing, Quat};
use crate::skeleton::{joint, Skeleton, NUM_JOINTS, PARENTS};
use nalgebra::Vector3;

/// Rest-pose bend axis of the limb below each hinge-twisted joint: the normal of
/// (upper bone × lower bone) when the knee/elbow flexes the natural way.
fn hinge_axis(j: usize) -> Option<(usize, usize, Vector3<f32>)> {
    // (child, grandchild, rest axis)
    match j {
        joint::L_HIP => Some((joint::L_KNEE, joint::L_ANKLE, Vector3::x())),
        joint::R_HIP => Some((joint::R_KNEE, joint::R_ANKLE, Vector3::x())),
        joint::L_SHOULDER => Some((joint::L_ELBOW, joint::L_WRIST, -Vector3::y())),
        joint::R_SHOULDER => Some((joint::R_ELBOW, joint::R_WRIST, Vector3::y())),
        _ => None,
    }
}

fn children(j: usize) -> impl Iterator<Item = usize> {
    (j + 1..NUM_JOINTS).filter(move |&c| PARENTS[c] == Some(j))
}

/// Solves one frame's local rotations; the root translation is the pelvis position.
pub fn solve_pose(skeleton: &Skeleton, p: &JointPositions) -> Pose {
    let o = &skeleton.offsets_m;
    let mut g = [Quat::identity(); NUM_JOINTS];
    let mut local = [Quat::identity(); NUM_JOINTS];
    for j in 0..NUM_JOINTS {
        let parent_g = PARENTS[j].map_or(Quat::identity(), |pj| g[pj]);
        let kids: Vec<usize> = children(j).collect();
        g[j] = match kids.as_slice() {
            [] => parent_g,
            [c] => {
                let bone = p[*c] - p[j];
                let minimal = swing(&(parent_g * o[*c]), &bone) * parent_g;
                if j == joint::L_KNEE || j == joint::R_KNEE {
                    let foot = if j == joint::L_KNEE { joint::L_FOOT } else { joint::R_FOOT };
                    align_two_vectors(&o[*c], &o[foot], &bone, &(p[foot] - p[*c])).unwrap_or(minimal)
                } else if let Some((c2, gc, axis)) = hinge_axis(j).filter(|h| h.0 == *c) {
                    let lower = p[gc] - p[c2];
                    let n = bone.cross(&lower);
                    let sin_bend = n.norm() / (bone.norm() * lower.norm()).max(1e-12);
                    // Trust the bend plane fully from ~15° of flexion, not at all below ~3°.
                    let w = ((sin_bend - 0.05) / 0.2).clamp(0.0, 1.0);
                    match align_two_vectors(&o[*c], &axis, &bone, &n) {
                        Some(hinged) if w > 0.0 => slerp(&minimal, &hinged, w),
                        _ => minimal,
                    }
                } else {
                    minimal
                }
            }
            many => {
                let pairs: Vec<_> = many.iter().map(|&c| (o[c], p[c] - p[j], 1.0)).collect();
                best_fit_rotation(&pairs).unwrap_or(parent_g)
            }
        };
        // Renormalise: products of f32 quaternions drift off unit length and would scale bones.
        local[j] = Quat::new_normalize((parent_g.inverse() * g[j]).into_inner());
    }
    Pose { root_m: p[0], local }
}

/// A skeleton with the bone lengths of `frames` (median over frames) and, below joints with
/// several children, the observed rigid constellation; other bones keep the canonical
/// directions. Solving on it reproduces SMPL-derived positions to numerical precision.
pub fn fit_skeleton(frames: &[JointPositions]) -> Skeleton {
    let canonical = Skeleton::canonical();
    let mut offsets = canonical.offsets_m;
    if frames.is_empty() {
        return canonical;
    }
    for j in 1..NUM_JOINTS {
        let parent = PARENTS[j].unwrap_or(0);
        let mut lengths: Vec<f32> = frames.iter().map(|f| (f[j] - f[parent]).norm()).filter(|l| l.is_finite()).collect();
        lengths.sort_by(f32::total_cmp);
        let len = lengths.get(lengths.len() / 2).copied().unwrap_or(0.0);
        offsets[j] = canonical.offsets_m[j].normalize() * len;
    }
    for parent in 0..NUM_JOINTS {
        let kids: Vec<usize> = children(parent).collect();
        if kids.len() < 2 {
            continue;
        }
        let mut sum = vec![Vector3::<f32>::zeros(); kids.len()];
        let mut used = 0usize;
        for f in frames {
            let pairs: Vec<_> = kids.iter().map(|&c| (offsets[c], f[c] - f[parent], 1.0)).collect();
            if let Some(r) = best_fit_rotation(&pairs) {
                let inv = r.inverse();
                for (s, &c) in sum.iter_mut().zip(&kids) {
                    *s += inv * (f[c] - f[parent]);
                }
                used += 1;
            }
        }
        if used > 0 {
            for (s, &c) in sum.iter().zip(&kids) {
                offsets[c] = s / used as f32;
            }
        }
    }
    Skeleton { offsets_m: offsets }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rotation::Quat;

    #[test]
    fn recovers_positions_of_a_random_pose_exactly() {
        let s = Skeleton::canonical();
        let mut local = [Quat::identity(); NUM_JOINTS];
        for (j, q) in local.iter_mut().enumerate() {
            let t = j as f32 * 0.7;
            *q = Quat::from_euler_angles(0.5 * t.sin(), 0.4 * t.cos(), 0.3 * (2.0 * t).sin());
        }
        let pose = Pose { root_m: Vector3::new(0.3, 0.9, -1.0), local };
        let (_, p) = pose.forward_kinematics(&s);
        let solved = solve_pose(&s, &p);
        let (_, q) = solved.forward_kinematics(&s);
        for j in 0..NUM_JOINTS {
            assert!((p[j] - q[j]).norm() < 1e-5, "joint {j}: {:?} vs {:?}", p[j], q[j]);
        }
        // The pelvis orientation is fully determined by its three children.
        let (g0, _) = pose.forward_kinematics(&s);
        let (g1, _) = solved.forward_kinematics(&s);
        assert!(g0[joint::PELVIS].angle_to(&g1[joint::PELVIS]) < 1e-4);
    }

    #[test]
    fn rest_pose_solves_to_identity() {
        let s = Skeleton::canonical();
        let mut p = s.rest_positions_m();
        for v in p.iter_mut() {
            v.y += 0.9;
        }
        let pose = solve_pose(&s, &p);
        for (j, q) in pose.local.iter().enumerate() {
            assert!(q.angle() < 1e-4, "joint {j} angle {}", q.angle());
        }
    }
}
