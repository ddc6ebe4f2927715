//! Measurements of the pelvis's path over the floor (metres, Y up, +Z forward, +X to the
//! character's left at the start; any frame rate).

use crate::rotation::wrap_angle;
use crate::skeleton::joint;
use crate::JointPositions;

/// Each half of a clip must carry the pelvis at least this far over the floor (m) before its
/// direction means anything: below it a clip is standing, and its "path" is sway.
pub const MIN_HALF_TRAVEL_M: f32 = 0.5;

/// How far the path turns between the two halves of a clip, in degrees, positive to the left
/// (counter-clockwise seen from above): the angle from the pelvis's ground displacement over
/// the first half (frame 0 to the middle frame) to its displacement over the second half
/// (middle to last), in (−180, 180]. A straight walk gives about 0 wherever it heads; a walk
/// that curves left by 30° over the clip gives about +15 to +30 depending on where it turns.
/// None when the clip has fewer than 3 frames or either half travels less than
/// [`MIN_HALF_TRAVEL_M`].
pub fn path_turn_deg(frames: &[JointPositions]) -> Option<f32> {
    if frames.len() < 3 {
        return None;
    }
    let ground = |t: usize| {
        let p = frames[t][joint::PELVIS];
        (p.x, p.z)
    };
    let (first, mid, last) = (ground(0), ground(frames.len() / 2), ground(frames.len() - 1));
    let a = (mid.0 - first.0, mid.1 - first.1);
    let b = (last.0 - mid.0, last.1 - mid.1);
    if a.0.hypot(a.1) < MIN_HALF_TRAVEL_M || b.0.hypot(b.1) < MIN_HALF_TRAVEL_M {
        return None;
    }
    // Heading of a ground direction: 0 along +Z, growing towards +X (the left of a character
    // facing +Z), so a left turn increases it.
    let heading = |d: (f32, f32)| d.0.atan2(d.1);
    Some(wrap_angle(heading(b) - heading(a)).to_degrees())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Vector3;

    /// A pose whose every joint sits at the pelvis position (enough for a path).
    fn at(x: f32, z: f32) -> JointPositions {
        [Vector3::new(x, 0.9, z); crate::NUM_JOINTS]
    }

    #[test]
    fn a_straight_walk_does_not_turn_whatever_its_direction() {
        for dir in [0.0f32, 1.0, -2.5, 3.1] {
            let walk: Vec<_> = (0..100).map(|t| at(0.05 * t as f32 * dir.sin(), 0.05 * t as f32 * dir.cos())).collect();
            let turn = path_turn_deg(&walk).expect("5 m of travel");
            assert!(turn.abs() < 1e-3, "direction {dir}: {turn}");
        }
    }

    #[test]
    fn a_left_arc_turns_positive_and_a_right_arc_negative() {
        // A quarter circle of radius 5 m starting along +Z and bending towards +X (left), then
        // its mirror image. The chords of its two halves differ by 45°.
        let arc = |side: f32| -> Vec<JointPositions> {
            (0..=90).map(|i| {
                let a = (i as f32).to_radians();
                at(side * 5.0 * (1.0 - a.cos()), 5.0 * a.sin())
            }).collect()
        };
        let left = path_turn_deg(&arc(1.0)).expect("travels");
        let right = path_turn_deg(&arc(-1.0)).expect("travels");
        assert!((left - 45.0).abs() < 0.5, "{left}");
        assert!((right + 45.0).abs() < 0.5, "{right}");
    }

    #[test]
    fn standing_or_tiny_clips_have_no_path_turn() {
        let sway: Vec<_> = (0..100).map(|t| at(0.1 * (t as f32 * 0.3).sin(), 0.002 * t as f32)).collect();
        assert_eq!(path_turn_deg(&sway), None);
        assert_eq!(path_turn_deg(&[at(0.0, 0.0), at(0.0, 5.0)]), None);
        assert_eq!(path_turn_deg(&[]), None);
        // Walking out and straight back is a 180° turn, reported as +180 (never −180).
        let back: Vec<_> = (0..=20).map(|t| at(0.0, 2.0 - (t as f32 - 10.0).abs() * 0.2)).collect();
        let turn = path_turn_deg(&back).expect("travels");
        assert!((turn - 180.0).abs() < 1e-3, "{turn}");
    }
}
