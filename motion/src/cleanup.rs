//! Post-processing of generated motion that animators expect from a tool: foot locking.

use nalgebra::Vector3;

use crate::physics::{CONTACT_HEIGHT_M, SKATE_JOINTS};
use crate::Motion;

/// Removes foot sliding by moving the body over the planted foot instead of letting the foot
/// glide: between frames t−1 and t, the mean horizontal slide of the toes that are within
/// [`CONTACT_HEIGHT_M`] of the floor in both frames is subtracted from the root of frame t and
/// every later frame. Poses are untouched; only the root path changes (metres, Y up), so a
/// model that moves its root too fast for its stride walks at the speed its legs show.
pub fn lock_feet(motion: &Motion) -> Motion {
    let positions = motion.joint_positions();
    let mut out = motion.clone();
    let mut correction = Vector3::<f32>::zeros();
    for t in 1..positions.len() {
        let (a, b) = (&positions[t - 1], &positions[t]);
        let mut slide = Vector3::zeros();
        let mut planted = 0;
        for &j in &SKATE_JOINTS {
            if a[j].y < CONTACT_HEIGHT_M && b[j].y < CONTACT_HEIGHT_M {
                slide += Vector3::new(b[j].x - a[j].x, 0.0, b[j].z - a[j].z);
                planted += 1;
            }
        }
        if planted > 0 {
            correction += slide / planted as f32;
        }
        out.poses[t].root_m -= correction;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physics::physics_metrics;
    use crate::{Pose, Skeleton};
    use crate::rotation::Quat;

    /// T-pose standing on the floor, gliding forward 4 cm per frame without moving its legs.
    fn gliding(frames: usize) -> Motion {
        let skeleton = Skeleton::canonical();
        let still = Pose { root_m: Vector3::zeros(), local: [Quat::identity(); crate::NUM_JOINTS] };
        let lowest = still.forward_kinematics(&skeleton).1.iter().map(|p| p.y).fold(f32::INFINITY, f32::min);
        let poses = (0..frames)
            .map(|t| Pose { root_m: Vector3::new(0.0, -lowest, 0.04 * t as f32), ..still.clone() })
            .collect();
        Motion { skeleton, fps: 20.0, poses }
    }

    #[test]
    fn gliding_feet_are_locked_and_lifted_feet_left_alone() {
        let m = gliding(10);
        assert_eq!(physics_metrics(&m.joint_positions(), 20.0).foot_skating_ratio, 1.0);
        let locked = lock_feet(&m);
        assert_eq!(physics_metrics(&locked.joint_positions(), 20.0).foot_skating_ratio, 0.0);
        assert!((locked.poses[9].root_m.z).abs() < 1e-5, "{:?}", locked.poses[9].root_m);
        // In the air (1 m up) nothing is planted: the path is kept.
        let mut air = m.clone();
        for p in &mut air.poses {
            p.root_m.y += 1.0;
        }
        assert_eq!(lock_feet(&air), air);
    }
}
