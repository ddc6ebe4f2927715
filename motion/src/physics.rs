//! Learning-free physical plausibility metrics on joint positions (metres, Y up, floor at
//! y = 0, 20 fps). Used by the evaluator to hold generated motion against real mocap.
//!
//! Definitions (adapted from GMD / OmniControl, which also work at 20 fps on HumanML3D):
//! * **foot skating**: a frame pair (t, t+1) skates when a toe joint is below
//!   [`CONTACT_HEIGHT_M`] in both frames yet moves more than [`SKATE_DISTANCE_M`] horizontally
//!   between them. The ratio is over all frame pairs of the clip.
//! * **floating**: mean height of the lowest joint above the floor, counted only above
//!   [`CONTACT_HEIGHT_M`] (a character in contact is not floating; a jump is, as in real data).
//! * **penetration**: mean depth of the lowest joint below the floor (0 when above).
//! * **jerk**: mean magnitude of the third time derivative of joint positions, m/s³.

use crate::skeleton::joint;
use crate::JointPositions;

/// A toe this close to the floor counts as in contact (m).
pub const CONTACT_HEIGHT_M: f32 = 0.05;
/// Horizontal slide per frame (at 20 fps) beyond which a contact skates (m).
pub const SKATE_DISTANCE_M: f32 = 0.025;
/// Joints tested for skating: the toes (SMPL `L_Foot`, `R_Foot`), the joints that touch the floor.
pub const SKATE_JOINTS: [usize; 2] = [joint::L_FOOT, joint::R_FOOT];

/// Physical metrics of one clip.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct PhysicsMetrics {
    /// Fraction of frame pairs with a skating toe, 0–1.
    pub foot_skating_ratio: f32,
    /// Mean floating height above the contact band (m).
    pub floating_m: f32,
    /// Mean penetration depth below the floor (m).
    pub penetration_m: f32,
    /// Mean jerk magnitude (m/s³).
    pub jerk_m_s3: f32,
}

/// Metrics of one clip given its joint positions per frame and its frame rate.
/// Clips shorter than 4 frames report jerk 0; an empty clip reports all zeros.
pub fn physics_metrics(frames: &[JointPositions], fps: f32) -> PhysicsMetrics {
    if frames.is_empty() {
        return PhysicsMetrics::default();
    }
    let mut skating = 0usize;
    for pair in frames.windows(2) {
        let slides = SKATE_JOINTS.iter().any(|&j| {
            let (a, b) = (pair[0][j], pair[1][j]);
            let grounded = a.y < CONTACT_HEIGHT_M && b.y < CONTACT_HEIGHT_M;
            let slide = ((b.x - a.x).powi(2) + (b.z - a.z).powi(2)).sqrt();
            grounded && slide > SKATE_DISTANCE_M
        });
        skating += slides as usize;
    }
    let pairs = frames.len().saturating_sub(1).max(1);

    let (mut floating, mut penetration) = (0f32, 0f32);
    for f in frames {
        let lowest = f.iter().map(|p| p.y).fold(f32::INFINITY, f32::min);
        floating += (lowest - CONTACT_HEIGHT_M).max(0.0);
        penetration += (-lowest).max(0.0);
    }
    let n = frames.len() as f32;

    let mut jerk = 0f32;
    let mut count = 0usize;
    let dt3 = fps.powi(3);
    for w in frames.windows(4) {
        for j in 0..w[0].len() {
            // Third finite difference: x[t+3] - 3x[t+2] + 3x[t+1] - x[t].
            let d = w[3][j] - w[2][j] * 3.0 + w[1][j] * 3.0 - w[0][j];
            jerk += d.norm() * dt3;
            count += 1;
        }
    }
    PhysicsMetrics {
        foot_skating_ratio: skating as f32 / pairs as f32,
        floating_m: floating / n,
        penetration_m: penetration / n,
        jerk_m_s3: if count > 0 { jerk / count as f32 } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Vector3;

    fn standing(height: f32) -> JointPositions {
        let mut p = [Vector3::zeros(); crate::NUM_JOINTS];
        for (j, q) in p.iter_mut().enumerate() {
            *q = Vector3::new(j as f32 * 0.05, height, 0.0);
        }
        p
    }

    #[test]
    fn still_pose_on_the_floor_is_clean() {
        let m = physics_metrics(&vec![standing(0.0); 10], 20.0);
        assert_eq!((m.foot_skating_ratio, m.penetration_m), (0.0, 0.0), "{m:?}");
        assert!(m.floating_m < 1e-6 && m.jerk_m_s3 < 1e-3, "{m:?}");
    }

    #[test]
    fn sliding_toes_skate_and_lifted_toes_do_not() {
        // Whole body slides 5 cm per frame along x with toes on the floor: every pair skates.
        let slide: Vec<_> = (0..5).map(|t| standing(0.0).map(|p| p + Vector3::new(0.05 * t as f32, 0.0, 0.0))).collect();
        assert_eq!(physics_metrics(&slide, 20.0).foot_skating_ratio, 1.0);
        // Same slide 30 cm up in the air: no contact, no skating, but floating 0.25 m.
        let air: Vec<_> = slide.iter().map(|f| f.map(|p| p + Vector3::new(0.0, 0.3, 0.0))).collect();
        let m = physics_metrics(&air, 20.0);
        assert_eq!(m.foot_skating_ratio, 0.0);
        assert!((m.floating_m - 0.25).abs() < 1e-5, "{}", m.floating_m);
        // 1 cm per frame is walking-speed noise below the threshold.
        let slow: Vec<_> = (0..5).map(|t| standing(0.0).map(|p| p + Vector3::new(0.01 * t as f32, 0.0, 0.0))).collect();
        assert_eq!(physics_metrics(&slow, 20.0).foot_skating_ratio, 0.0);
    }

    #[test]
    fn penetration_and_jerk_have_units() {
        let sunk = vec![standing(-0.1); 6];
        assert!((physics_metrics(&sunk, 20.0).penetration_m - 0.1).abs() < 1e-6);
        // x = t³ (t in frames) has third difference 6 per frame³ → 6 · fps³ m/s³ at 1 m/frame³.
        let cubic: Vec<_> = (0..6).map(|t| standing(0.0).map(|p| p + Vector3::new((t as f32).powi(3) * 1e-3, 0.0, 0.0))).collect();
        let jerk = physics_metrics(&cubic, 20.0).jerk_m_s3;
        assert!((jerk - 6e-3 * 8000.0).abs() < 0.05, "{jerk}");
    }
}
