//! [`Motion`]: a skeleton plus, per frame, the root translation and every joint's local
//! rotation. Joint positions are derived by forward kinematics, never stored.

use crate::rotation::{slerp, yaw_rotation, Quat};
use crate::skeleton::{Skeleton, MIRROR, NUM_JOINTS, PARENTS};
use nalgebra::{Vector3, UnitQuaternion, Quaternion};

/// The canonical frame rate of the project's motions (frames per second).
pub const CANONICAL_FPS: f32 = 20.0;

/// One frame: pelvis position in world metres (Y up) and local joint rotations (relative to
/// the parent joint; the pelvis's is relative to the world).
#[derive(Clone, Debug, PartialEq)]
pub struct Pose {
    pub root_m: Vector3<f32>,
    pub local: [Quat; NUM_JOINTS],
}

/// World-space joint positions of one frame, metres.
pub type JointPositions = [Vector3<f32>; NUM_JOINTS];

#[derive(Clone, Debug, PartialEq)]
pub struct Motion {
    pub skeleton: Skeleton,
    pub fps: f32,
    pub poses: Vec<Pose>,
}

impl Pose {
    /// Global rotations and positions of every joint.
    pub fn forward_kinematics(&self, skeleton: &Skeleton) -> ([Quat; NUM_JOINTS], JointPositions) {
        let mut g = [Quat::identity(); NUM_JOINTS];
        let mut p = [Vector3::zeros(); NUM_JOINTS];
        g[0] = self.local[0];
        p[0] = self.root_m;
        for j in 1..NUM_JOINTS {
            let parent = PARENTS[j].unwrap_or(0);
            p[j] = p[parent] + g[parent] * skeleton.offsets_m[j];
            g[j] = g[parent] * self.local[j];
        }
        (g, p)
    }
}

impl Motion {
    pub fn num_frames(&self) -> usize {
        self.poses.len()
    }

    pub fn duration_s(&self) -> f32 {
        self.poses.len() as f32 / self.fps
    }

    /// Joint positions of every frame (world metres).
    pub fn joint_positions(&self) -> Vec<JointPositions> {
        self.poses.iter().map(|p| p.forward_kinematics(&self.skeleton).1).collect()
    }

    /// Resamples to `fps` by linear interpolation of the root and slerp of the rotations.
    /// The first frame is kept; the last output frame is the last one inside the clip.
    pub fn resampled(&self, fps: f32) -> Motion {
        if self.poses.len() < 2 || (fps - self.fps).abs() < 1e-6 {
            return Motion { fps, ..self.clone() };
        }
        let last = (self.poses.len() - 1) as f32;
        let n_out = ((last / self.fps) * fps + 1e-4).floor() as usize + 1;
        let poses = (0..n_out)
            .map(|k| {
                let t = (k as f32 * self.fps / fps).min(last);
                let i = t.floor() as usize;
                let (a, b) = (&self.poses[i], &self.poses[(i + 1).min(self.poses.len() - 1)]);
                let w = t - i as f32;
                Pose {
                    root_m: a.root_m.lerp(&b.root_m, w),
                    local: std::array::from_fn(|j| slerp(&a.local[j], &b.local[j], w)),
                }
            })
            .collect();
        Motion { skeleton: self.skeleton.clone(), fps, poses }
    }

    /// Mirror image across the character's sagittal plane (world X → −X), with left and right
    /// joints swapped. Needs a mirror-symmetric skeleton, like the canonical one.
    pub fn mirrored(&self) -> Motion {
        // Reflecting X maps a rotation quaternion (w, x, y, z) to (w, x, −y, −z).
        let reflect = |q: &Quat| UnitQuaternion::new_unchecked(Quaternion::new(q.w, q.i, -q.j, -q.k));
        let poses = self
            .poses
            .iter()
            .map(|p| Pose {
                root_m: Vector3::new(-p.root_m.x, p.root_m.y, p.root_m.z),
                local: std::array::from_fn(|j| reflect(&p.local[MIRROR[j]])),
            })
            .collect();
        let offsets_m = std::array::from_fn(|j| {
            let o = self.skeleton.offsets_m[MIRROR[j]];
            Vector3::new(-o.x, o.y, o.z)
        });
        Motion { skeleton: Skeleton { offsets_m }, fps: self.fps, poses }
    }

    /// Rotates about +Y by `yaw` (radians) and then translates by `offset_m` (world metres).
    pub fn transformed(&self, yaw: f32, offset_m: Vector3<f32>) -> Motion {
        let r = yaw_rotation(yaw);
        let poses = self
            .poses
            .iter()
            .map(|p| {
                let mut local = p.local;
                local[0] = r * p.local[0];
                Pose { root_m: r * p.root_m + offset_m, local }
            })
            .collect();
        Motion { skeleton: self.skeleton.clone(), fps: self.fps, poses }
    }

    /// Shifts vertically so the lowest joint of the whole clip touches the floor (y = 0).
    pub fn on_floor(&self) -> Motion {
        let lowest = self.joint_positions().iter().flat_map(|f| f.iter().map(|p| p.y)).fold(f32::INFINITY, f32::min);
        if !lowest.is_finite() {
            return self.clone();
        }
        self.transformed(0.0, Vector3::new(0.0, -lowest, 0.0))
    }

    /// Frames `start..end` as a new motion.
    pub fn slice(&self, start: usize, end: usize) -> Motion {
        let end = end.min(self.poses.len());
        Motion { skeleton: self.skeleton.clone(), fps: self.fps, poses: self.poses[start.min(end)..end].to_vec() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::skeleton::joint;

    fn rest_motion(frames: usize) -> Motion {
        let s = Skeleton::canonical();
        let h = s.rest_pelvis_height_m();
        let poses = (0..frames)
            .map(|i| {
                let mut local = [Quat::identity(); NUM_JOINTS];
                local[joint::L_SHOULDER] = Quat::from_axis_angle(&Vector3::z_axis(), -(i as f32) * 0.1);
                Pose { root_m: Vector3::new(0.0, h, i as f32 * 0.05), local }
            })
            .collect();
        Motion { skeleton: s, fps: 30.0, poses }
    }

    #[test]
    fn forward_kinematics_matches_a_hand_computed_pose() {
        let s = Skeleton::canonical();
        let mut local = [Quat::identity(); NUM_JOINTS];
        // Left arm straight down: rotate the shoulder −90° about Z (from +X to −Y).
        local[joint::L_SHOULDER] = Quat::from_axis_angle(&Vector3::z_axis(), -std::f32::consts::FRAC_PI_2);
        let pose = Pose { root_m: Vector3::new(1.0, 1.0, 2.0), local };
        let (_, p) = pose.forward_kinematics(&s);
        let sh = p[joint::L_SHOULDER];
        let upper = s.offsets_m[joint::L_ELBOW];
        let forearm = s.offsets_m[joint::L_WRIST];
        // Rotating (x, y, z) by −90° about Z gives (y, −x, z).
        let want_elbow = sh + Vector3::new(upper.y, -upper.x, upper.z);
        let want_wrist = want_elbow + Vector3::new(forearm.y, -forearm.x, forearm.z);
        assert!((p[joint::L_ELBOW] - want_elbow).norm() < 1e-6);
        assert!((p[joint::L_WRIST] - want_wrist).norm() < 1e-6);
        assert!((p[joint::PELVIS] - Vector3::new(1.0, 1.0, 2.0)).norm() < 1e-6);
        let want_hip = Vector3::new(1.0, 1.0, 2.0) + s.offsets_m[joint::L_HIP];
        assert!((p[joint::L_HIP] - want_hip).norm() < 1e-6);
    }

    #[test]
    fn resampling_30_to_20_fps_interpolates() {
        let m = rest_motion(31); // 1 s at 30 fps
        let r = m.resampled(20.0);
        assert_eq!(r.num_frames(), 21);
        // Output frame 1 (t = 0.05 s) lies at source frame 1.5.
        assert!((r.poses[1].root_m.z - 0.075).abs() < 1e-6);
        let want = Quat::from_axis_angle(&Vector3::z_axis(), -0.15);
        assert!(r.poses[1].local[joint::L_SHOULDER].angle_to(&want) < 1e-5);
        assert!((r.poses[20].root_m.z - 1.5).abs() < 1e-5);
    }

    #[test]
    fn mirroring_swaps_sides_and_twice_is_identity() {
        let m = rest_motion(5);
        let mm = m.mirrored();
        let (a, b) = (m.joint_positions(), mm.joint_positions());
        for f in 0..5 {
            for j in 0..NUM_JOINTS {
                let (p, q) = (a[f][j], b[f][MIRROR[j]]);
                assert!((p.x + q.x).abs() < 1e-5 && (p.y - q.y).abs() < 1e-5 && (p.z - q.z).abs() < 1e-5, "frame {f} joint {j}");
            }
        }
        let back = mm.mirrored().joint_positions();
        for f in 0..5 {
            for j in 0..NUM_JOINTS {
                assert!((back[f][j] - a[f][j]).norm() < 1e-5);
            }
        }
    }
}
