//! Post-processing of generated motion that animators expect from a tool: temporal smoothing
//! (a diffusion model's output jitters from frame to frame) and foot locking.

use nalgebra::Vector3;

use crate::features::CONTACT_SPEED_M_PER_FRAME;
use crate::physics::{CONTACT_HEIGHT_M, SKATE_JOINTS};
use crate::rotation::{Quat, same_hemisphere, swing};
use crate::skeleton::{PARENTS, joint};
use crate::{Motion, Pose, Skeleton};

/// What to do to a generated clip before it is written. The default is what `motion generate`
/// writes and what the model card measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cleanup {
    /// Standard deviation of the Gaussian smoothing over time, in frames (0 = none).
    pub smooth_sigma_frames: f32,
    /// Which feet to lock ([`lock_feet_with`]).
    pub foot_lock: FootLock,
}

impl Default for Cleanup {
    fn default() -> Self {
        Self { smooth_sigma_frames: DEFAULT_SMOOTH_SIGMA_FRAMES, foot_lock: FootLock::default() }
    }
}

/// Which toes the foot lock treats as planted (metres, per frame at 20 fps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FootLock {
    /// Feet as sampled.
    Off,
    /// Every toe within [`CONTACT_HEIGHT_M`] of the floor in two consecutive frames: the skating
    /// metric's own test, so it removes what the metric counts. A swinging toe is often that low
    /// too, and its swing is then taken off the root: walks get shorter, real ones by about 40 %
    /// (docs/model-card.md). The default until the eleventh session.
    AllLowToes,
    /// Only low toes that also move less than [`CONTACT_SPEED_M_PER_FRAME`], the dataset's own
    /// contact test; a faster low toe is swinging and is left alone. Keeps the travel (real
    /// walks 92 %) but leaves the model's low, fast-moving feet, which the skating metric counts.
    Stance,
    /// [`FootLock::Stance`], and a swinging toe that drags through the contact band (low in two
    /// consecutive frames, moving faster than [`CONTACT_SPEED_M_PER_FRAME`]) is lifted by its
    /// leg to [`SWING_CLEARANCE_M`], easing in and out over [`LIFT_RAMP_FRAMES`]: the foot
    /// steps instead of shuffling, and the travel is kept. The default: it meets the skating
    /// target and keeps walks walking (docs/model-card.md).
    #[default]
    StanceLift,
}

/// Default smoothing: σ = 1 frame (50 ms at 20 fps) removes frame-to-frame jitter while a
/// punch or a kick (≥ 150 ms) keeps its shape; chosen by measurement (docs/model-card.md).
pub const DEFAULT_SMOOTH_SIGMA_FRAMES: f32 = 1.0;

impl Cleanup {
    /// Nothing changed: the model's output as sampled.
    pub const NONE: Cleanup = Cleanup { smooth_sigma_frames: 0.0, foot_lock: FootLock::Off };

    pub fn apply(&self, motion: &Motion) -> Motion {
        let smoothed = smooth(motion, self.smooth_sigma_frames);
        lock_feet_with(&smoothed, self.foot_lock)
    }
}

/// Gaussian smoothing over time of the root path and every joint rotation (quaternions put in
/// one hemisphere, averaged, renormalised: accurate for the small angles between neighbouring
/// frames). The kernel is renormalised at the clip's ends, so a still start or end stays still.
/// `sigma_frames` ≤ 0 (or not finite) returns the clip unchanged.
pub fn smooth(motion: &Motion, sigma_frames: f32) -> Motion {
    let n = motion.poses.len();
    if !(sigma_frames > 0.0 && sigma_frames.is_finite()) || n < 2 {
        return motion.clone();
    }
    let radius = (3.0 * sigma_frames).ceil().min(n as f32) as usize;
    let kernel: Vec<f32> = (0..=radius).map(|d| (-0.5 * (d as f32 / sigma_frames).powi(2)).exp()).collect();
    let mut out = motion.clone();
    for t in 0..n {
        let (lo, hi) = (t.saturating_sub(radius), (t + radius).min(n - 1));
        let mut total = 0.0;
        let mut root = Vector3::zeros();
        for (u, pose) in motion.poses.iter().enumerate().take(hi + 1).skip(lo) {
            let w = kernel[t.abs_diff(u)];
            total += w;
            root += pose.root_m * w;
        }
        out.poses[t].root_m = root / total;
        for j in 0..crate::NUM_JOINTS {
            let centre = motion.poses[t].local[j];
            let mut sum = nalgebra::Vector4::zeros();
            for (u, pose) in motion.poses.iter().enumerate().take(hi + 1).skip(lo) {
                sum += same_hemisphere(&centre, pose.local[j]).coords * kernel[t.abs_diff(u)];
            }
            out.poses[t].local[j] = Quat::try_new(nalgebra::Quaternion::from(sum), 1e-9).unwrap_or(centre);
        }
    }
    out
}

/// Each frame after lift-off keeps this fraction of a leg's pin offset, so the foot eases back
/// to the pose the model made instead of popping (0.6 per frame: under 1 cm after 6 frames).
const RELEASE_PER_FRAME: f32 = 0.6;
/// Largest horizontal pin offset (m) a leg is bent to hold; beyond it (a pivot, a turn in
/// place) the foot is let slide rather than twisting the leg into an unnatural pose.
const MAX_PIN_OFFSET_M: f32 = 0.25;

/// Height (m) a dragging swing toe is lifted to: just above the contact band.
pub const SWING_CLEARANCE_M: f32 = CONTACT_HEIGHT_M + 0.01;
/// Frames on each side of a lifted frame over which the lift eases in and out (linearly), so
/// the foot rises through the swing instead of popping up.
pub const LIFT_RAMP_FRAMES: usize = 2;

/// The chain that plants one foot: hip, knee, ankle, toe joint indices.
const LEGS: [[usize; 4]; 2] = [
    [joint::L_HIP, joint::L_KNEE, joint::L_ANKLE, joint::L_FOOT],
    [joint::R_HIP, joint::R_KNEE, joint::R_ANKLE, joint::R_FOOT],
];

/// Removes foot sliding in two stages (metres, Y up; contact = toe within [`CONTACT_HEIGHT_M`]
/// of the floor in two consecutive frames, as the skating metric counts it):
/// 1. **root**: the mean horizontal slide of the planted toes between frames t−1 and t is
///    subtracted from the root of frame t and every later frame, so the body moves over the
///    planted foot (a model that moves its root too fast for its stride walks at the speed its
///    legs show). A single planted foot is then exactly still.
/// 2. **legs**: with both feet planted but sliding differently, what the root cannot fix is
///    held by two-bone IK on each leg (hip and knee bend, the foot keeps its orientation),
///    pinning the toe where it touched down; after lift-off the pin eases out over a few frames.
pub fn lock_feet(motion: &Motion) -> Motion {
    lock_feet_with(motion, FootLock::AllLowToes)
}

/// [`lock_feet`] with a choice of which toes count as planted; `Off` returns the clip unchanged.
pub fn lock_feet_with(motion: &Motion, mode: FootLock) -> Motion {
    if mode == FootLock::Off {
        return motion.clone();
    }
    let mut out = lock_root(motion, mode);
    pin_legs(&mut out, mode);
    out
}

fn horizontal(v: Vector3<f32>) -> Vector3<f32> {
    Vector3::new(v.x, 0.0, v.z)
}

/// Both frames of a toe's pair within the contact band (the skating metric's contact test).
fn low_pair(a: &Vector3<f32>, b: &Vector3<f32>) -> bool {
    a.y < CONTACT_HEIGHT_M && b.y < CONTACT_HEIGHT_M
}

fn planted(a: &Vector3<f32>, b: &Vector3<f32>, mode: FootLock) -> bool {
    let low = low_pair(a, b);
    match mode {
        FootLock::Off => false,
        FootLock::AllLowToes => low,
        FootLock::Stance | FootLock::StanceLift => low && horizontal(b - a).norm() < CONTACT_SPEED_M_PER_FRAME,
    }
}

/// Per frame, how far (m) the toe at `toe_m[t]` is lifted under [`FootLock::StanceLift`]: every
/// frame of a low, fast pair is raised to [`SWING_CLEARANCE_M`], and the lift eases out
/// linearly over [`LIFT_RAMP_FRAMES`] on each side (the largest of overlapping ramps counts).
fn swing_lift(toe_m: &[Vector3<f32>]) -> Vec<f32> {
    let n = toe_m.len();
    let mut needed = vec![0f32; n];
    for t in 1..n {
        let (a, b) = (toe_m[t - 1], toe_m[t]);
        if low_pair(&a, &b) && horizontal(b - a).norm() >= CONTACT_SPEED_M_PER_FRAME {
            needed[t - 1] = needed[t - 1].max(SWING_CLEARANCE_M - a.y);
            needed[t] = needed[t].max(SWING_CLEARANCE_M - b.y);
        }
    }
    let ramp = LIFT_RAMP_FRAMES as f32 + 1.0;
    (0..n)
        .map(|t| {
            let (lo, hi) = (t.saturating_sub(LIFT_RAMP_FRAMES), (t + LIFT_RAMP_FRAMES).min(n.saturating_sub(1)));
            (lo..=hi).map(|u| needed[u] * (1.0 - t.abs_diff(u) as f32 / ramp)).fold(0.0, f32::max)
        })
        .collect()
}

fn lock_root(motion: &Motion, mode: FootLock) -> Motion {
    let positions = motion.joint_positions();
    let mut out = motion.clone();
    let mut correction = Vector3::<f32>::zeros();
    for t in 1..positions.len() {
        let (a, b) = (&positions[t - 1], &positions[t]);
        let mut slide = Vector3::zeros();
        let mut count = 0;
        for &j in &SKATE_JOINTS {
            if planted(&a[j], &b[j], mode) {
                slide += horizontal(b[j] - a[j]);
                count += 1;
            }
        }
        if count > 0 {
            correction += slide / count as f32;
        }
        out.poses[t].root_m -= correction;
    }
    out
}

fn pin_legs(motion: &mut Motion, mode: FootLock) {
    let positions = motion.joint_positions();
    for leg in LEGS {
        let toe = leg[3];
        let lift = if mode == FootLock::StanceLift {
            swing_lift(&positions.iter().map(|p| p[toe]).collect::<Vec<_>>())
        } else {
            vec![0.0; positions.len()]
        };
        let mut offset = Vector3::<f32>::zeros();
        for t in 0..positions.len() {
            // Frame 0 pairs with itself: no slide, so only its lift applies.
            let (a, b) = (positions[t.saturating_sub(1)][toe], positions[t][toe]);
            if planted(&a, &b, mode) {
                offset += horizontal(b - a);
                if offset.norm() > MAX_PIN_OFFSET_M {
                    offset *= MAX_PIN_OFFSET_M / offset.norm();
                }
            } else {
                offset *= RELEASE_PER_FRAME;
            }
            let delta = Vector3::new(-offset.x, lift[t], -offset.z);
            if delta.norm() > 1e-4 {
                let pose = &mut motion.poses[t];
                *pose = move_ankle(&motion.skeleton, pose, leg, delta);
            }
        }
    }
}

/// The pose with the leg's ankle moved by `delta_m` (world frame) through its hip and knee,
/// the ankle's world orientation kept so the toe moves rigidly with it. A target out of reach
/// is approached as far as the leg allows.
fn move_ankle(skeleton: &Skeleton, pose: &Pose, [hip, knee, ankle, _]: [usize; 4], delta_m: Vector3<f32>) -> Pose {
    let (g, p) = pose.forward_kinematics(skeleton);
    let (h, k, a) = (p[hip], p[knee], p[ankle]);
    let (thigh, shin) = ((k - h).norm(), (a - k).norm());
    let target = a + delta_m;
    let Some(u) = (target - h).try_normalize(1e-6) else { return pose.clone() };
    let d = (target - h).norm().clamp((thigh - shin).abs() + 1e-4, thigh + shin - 1e-4);
    // Bend direction: where the knee points off the hip–ankle line now; for a straight leg,
    // the hip's forward axis (knees bend towards +Z in the rest pose).
    let along = (a - h).try_normalize(1e-6).unwrap_or(u);
    let bend = (k - h) - along * (k - h).dot(&along);
    let bend = if bend.norm() > 1e-3 { bend } else { g[hip] * Vector3::z() };
    let Some(w) = (bend - u * bend.dot(&u)).try_normalize(1e-6) else { return pose.clone() };
    let cos_hip = ((thigh * thigh + d * d - shin * shin) / (2.0 * thigh * d)).clamp(-1.0, 1.0);
    let new_knee = h + (u * cos_hip + w * (1.0 - cos_hip * cos_hip).sqrt()) * thigh;
    let new_ankle = h + u * d;

    let turn_thigh = swing(&(k - h), &(new_knee - h));
    let g_hip = turn_thigh * g[hip];
    let turn_shin = swing(&(turn_thigh * (a - k)), &(new_ankle - new_knee));
    let g_knee = turn_shin * turn_thigh * g[knee];
    let g_parent = PARENTS[hip].map(|j| g[j]).unwrap_or_else(Quat::identity);
    let mut out = pose.clone();
    out.local[hip] = g_parent.inverse() * g_hip;
    out.local[knee] = g_hip.inverse() * g_knee;
    out.local[ankle] = g_knee.inverse() * g[ankle];
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

    #[test]
    fn stance_lock_holds_slow_slides_and_leaves_fast_low_feet() {
        // 4 cm/frame: a sliding stance foot for both modes.
        let slow = gliding(10);
        let locked = lock_feet_with(&slow, FootLock::Stance);
        assert_eq!(physics_metrics(&locked.joint_positions(), 20.0).foot_skating_ratio, 0.0);
        // 8 cm/frame along the floor: the stance lock reads a swing and keeps the travel; the
        // default pulls the body back over the feet.
        let mut fast = gliding(10);
        for (t, p) in fast.poses.iter_mut().enumerate() {
            p.root_m.z = 0.08 * t as f32;
        }
        assert_eq!(lock_feet_with(&fast, FootLock::Stance), fast);
        assert!(lock_feet(&fast).poses[9].root_m.z.abs() < 1e-5);
        assert_eq!(lock_feet_with(&fast, FootLock::Off), fast);
    }

    /// Standing, the left toe sliding ~3 cm per frame sideways (+X) and the right one the other way: no root path fixes both, the legs must.
    #[test]
    fn two_planted_feet_sliding_apart_are_held_by_the_legs() {
        let skeleton = Skeleton::canonical();
        let still = Pose { root_m: Vector3::zeros(), local: [Quat::identity(); crate::NUM_JOINTS] };
        let lowest = still.forward_kinematics(&skeleton).1.iter().map(|p| p.y).fold(f32::INFINITY, f32::min);
        let mut poses = Vec::new();
        for t in 0..8 {
            let mut p = Pose { root_m: Vector3::new(0.0, -lowest + 0.005, 0.0), ..still.clone() };
            // Spread the legs a little more each frame by rolling the hips (about Z): ~3 cm per
            // frame at the toes, which rise under 3 cm, staying in contact.
            let spread = 0.035 * t as f32;
            p.local[joint::L_HIP] = Quat::from_axis_angle(&Vector3::z_axis(), spread);
            p.local[joint::R_HIP] = Quat::from_axis_angle(&Vector3::z_axis(), -spread);
            poses.push(p);
        }
        let m = Motion { skeleton, fps: 20.0, poses };
        let before = physics_metrics(&m.joint_positions(), 20.0).foot_skating_ratio;
        assert!(before > 0.5, "fixture should skate: {before}");
        let locked = lock_feet(&m);
        let pos = locked.joint_positions();
        assert_eq!(physics_metrics(&pos, 20.0).foot_skating_ratio, 0.0);
        // Toes stay where they touched down (within a millimetre); the upper body is untouched.
        for &toe in &SKATE_JOINTS {
            let slide = horizontal(pos[7][toe] - pos[0][toe]).norm();
            assert!(slide < 1e-3, "toe {toe} slid {slide} m");
        }
        let orig = m.joint_positions();
        assert!((pos[7][joint::HEAD] - orig[7][joint::HEAD]).norm() < 1e-6);
    }

    /// Standing on the right foot while the left leg swings forward with its toe dragging
    /// along the floor (~6 cm per frame, under 5 cm up).
    fn dragging_swing() -> Motion {
        let skeleton = Skeleton::canonical();
        let still = Pose { root_m: Vector3::zeros(), local: [Quat::identity(); crate::NUM_JOINTS] };
        let lowest = still.forward_kinematics(&skeleton).1.iter().map(|p| p.y).fold(f32::INFINITY, f32::min);
        let poses = (0..12)
            .map(|t| {
                let mut p = Pose { root_m: Vector3::new(0.0, -lowest, 0.0), ..still.clone() };
                let angle = -0.35 + 0.7 * t as f32 / 11.0;
                p.local[joint::L_HIP] = Quat::from_axis_angle(&Vector3::x_axis(), -angle);
                p
            })
            .collect();
        Motion { skeleton, fps: 20.0, poses }
    }

    #[test]
    fn stance_lift_raises_a_dragging_swing_toe_and_keeps_the_planted_one() {
        let m = dragging_swing();
        let before = m.joint_positions();
        let l_toe: Vec<_> = before.iter().map(|p| p[joint::L_FOOT]).collect();
        assert!(l_toe.windows(2).filter(|w| horizontal(w[1] - w[0]).norm() > CONTACT_SPEED_M_PER_FRAME).count() >= 10);
        assert!(l_toe.iter().filter(|p| p.y < CONTACT_HEIGHT_M).count() >= 6, "fixture should drag: {l_toe:?}");
        assert!(physics_metrics(&before, 20.0).foot_skating_ratio > 0.3);

        let lifted = lock_feet_with(&m, FootLock::StanceLift);
        let after = lifted.joint_positions();
        assert_eq!(physics_metrics(&after, 20.0).foot_skating_ratio, 0.0);
        // The stance lock alone leaves the fast low toe sliding.
        let stance = lock_feet_with(&m, FootLock::Stance);
        assert!(physics_metrics(&stance.joint_positions(), 20.0).foot_skating_ratio > 0.3);
        // The body and the planted right foot stay where they were; the root path is kept.
        for t in 0..after.len() {
            assert!((after[t][joint::R_FOOT] - before[t][joint::R_FOOT]).norm() < 1e-5);
            assert!((lifted.poses[t].root_m - m.poses[t].root_m).norm() < 1e-6);
            assert!((after[t][joint::HEAD] - before[t][joint::HEAD]).norm() < 1e-5);
            // The swinging toe only goes up, at most a centimetre above the clearance (a
            // neighbour's ramp may add a little), and keeps its horizontal path within a
            // centimetre (the leg bends, the stride stays).
            let (was, now) = (before[t][joint::L_FOOT].y, after[t][joint::L_FOOT].y);
            assert!(now >= was - 1e-4 && now <= SWING_CLEARANCE_M.max(was) + 0.01, "frame {t}: {was} -> {now}");
            assert!(horizontal(after[t][joint::L_FOOT] - before[t][joint::L_FOOT]).norm() < 0.01);
        }
        // The lift eases in: no toe jumps up by more than the ramp's share of the clearance.
        for w in after.windows(2).zip(before.windows(2)) {
            let step = (w.0[1][joint::L_FOOT].y - w.0[0][joint::L_FOOT].y) - (w.1[1][joint::L_FOOT].y - w.1[0][joint::L_FOOT].y);
            assert!(step.abs() <= SWING_CLEARANCE_M / (LIFT_RAMP_FRAMES as f32 + 1.0) + 1e-3, "lift step {step}");
        }
    }

    #[test]
    fn smoothing_removes_jitter_keeps_steady_motion_and_still_ends() {
        let skeleton = Skeleton::canonical();
        let base = Pose { root_m: Vector3::zeros(), local: [Quat::identity(); crate::NUM_JOINTS] };
        // Root walking 5 cm/frame along +Z with ±2 cm of alternating sideways jitter; an elbow
        // turning at a steady 0.05 rad/frame.
        let poses: Vec<Pose> = (0..40)
            .map(|t| {
                let mut p = base.clone();
                p.root_m = Vector3::new(if t % 2 == 0 { 0.02 } else { -0.02 }, 0.9, 0.05 * t as f32);
                p.local[joint::L_ELBOW] = Quat::from_axis_angle(&Vector3::y_axis(), 0.05 * t as f32);
                p
            })
            .collect();
        let m = Motion { skeleton, fps: 20.0, poses };
        let s = smooth(&m, 1.0);
        for t in 5..35 {
            assert!(s.poses[t].root_m.x.abs() < 0.002, "jitter left at {t}: {}", s.poses[t].root_m.x);
            assert!((s.poses[t].root_m.z - 0.05 * t as f32).abs() < 1e-4, "steady walk kept");
            let angle = s.poses[t].local[joint::L_ELBOW].angle_to(&m.poses[t].local[joint::L_ELBOW]);
            assert!(angle < 1e-3, "steady turn kept at {t}: {angle}");
        }
        let before = physics_metrics(&m.joint_positions(), 20.0).jerk_m_s3;
        let after = physics_metrics(&s.joint_positions(), 20.0).jerk_m_s3;
        assert!(after < before / 5.0, "jerk {before} -> {after}");
        assert_eq!(smooth(&m, 0.0), m);
        assert_eq!(smooth(&m, f32::NAN), m);
        // A clip standing still stays exactly still.
        let still = Motion { poses: vec![m.poses[0].clone(); 10], ..m.clone() };
        let ss = smooth(&still, 2.0);
        assert!(ss.poses.iter().all(|p| (p.root_m - still.poses[0].root_m).norm() < 1e-6));
    }

    #[test]
    fn cleanup_none_is_the_identity() {
        let m = gliding(6);
        assert_eq!(Cleanup::NONE.apply(&m), m);
        let d = Cleanup::default().apply(&m);
        assert_eq!(physics_metrics(&d.joint_positions(), 20.0).foot_skating_ratio, 0.0);
    }

    #[test]
    fn leg_ik_reaches_a_target_in_range_and_keeps_the_foot_orientation() {
        let skeleton = Skeleton::canonical();
        let mut pose = Pose { root_m: Vector3::new(0.0, 1.0, 0.0), local: [Quat::identity(); crate::NUM_JOINTS] };
        pose.local[joint::L_KNEE] = Quat::from_axis_angle(&Vector3::x_axis(), 0.6);
        let leg = LEGS[0];
        let (g0, p0) = pose.forward_kinematics(&skeleton);
        let delta = Vector3::new(0.05, 0.03, -0.04);
        let moved = move_ankle(&skeleton, &pose, leg, delta);
        let (g1, p1) = moved.forward_kinematics(&skeleton);
        assert!((p1[leg[2]] - (p0[leg[2]] + delta)).norm() < 1e-4, "{:?}", p1[leg[2]] - p0[leg[2]]);
        assert!(g1[leg[2]].angle_to(&g0[leg[2]]) < 1e-4);
        assert!((p1[leg[3]] - (p0[leg[3]] + delta)).norm() < 1e-4);
        // Everything outside the leg is untouched.
        assert!((p1[joint::HEAD] - p0[joint::HEAD]).norm() < 1e-6);
        assert!((p1[joint::R_FOOT] - p0[joint::R_FOOT]).norm() < 1e-6);
    }
}
