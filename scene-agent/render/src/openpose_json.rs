//! OpenPose JSON as the openpose editor and ControlNet read it:
//! `{"people": [{"pose_keypoints_2d": [x, y, c, ...×18]}], "canvas_width": W, "canvas_height": H}`
//! with pixel coordinates, `c = 1.0` for visible points and `0, 0, 0` for missing ones.

use crate::draw::Pose18;
use crate::RenderError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenPoseFrame {
    pub people: Vec<OpenPosePerson>,
    pub canvas_width: u32,
    pub canvas_height: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenPosePerson {
    pub pose_keypoints_2d: Vec<f64>,
}

impl OpenPoseFrame {
    pub fn from_poses(people: &[Pose18], canvas_width: u32, canvas_height: u32) -> Self {
        let people = people
            .iter()
            .map(|pose| OpenPosePerson {
                pose_keypoints_2d: pose
                    .iter()
                    .flat_map(|k| match k {
                        Some([x, y]) => [*x, *y, 1.0],
                        None => [0.0, 0.0, 0.0],
                    })
                    .collect(),
            })
            .collect();
        Self { people, canvas_width, canvas_height }
    }

    /// Back to drawable poses; a point counts as present when its confidence is > 0
    /// (the annotator's loader keeps points with c ≥ 1 or > 0 depending on version; ours are 1).
    pub fn to_poses(&self) -> Result<Vec<Pose18>, RenderError> {
        self.people
            .iter()
            .enumerate()
            .map(|(n, p)| {
                if p.pose_keypoints_2d.len() != 54 {
                    return Err(RenderError::Json(format!(
                        "person {n}: pose_keypoints_2d has {} values, expected 54 (18 × x,y,c)",
                        p.pose_keypoints_2d.len()
                    )));
                }
                let mut pose: Pose18 = [None; 18];
                for (k, c) in p.pose_keypoints_2d.chunks_exact(3).enumerate() {
                    if c[2] > 0.0 && c[0].is_finite() && c[1].is_finite() {
                        pose[k] = Some([c[0], c[1]]);
                    }
                }
                Ok(pose)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_missing_points() {
        let mut pose: Pose18 = [None; 18];
        pose[1] = Some([12.5, 40.25]);
        let f = OpenPoseFrame::from_poses(&[pose], 512, 256);
        let v = serde_json::to_value(&f).expect("json");
        let kp = v["people"][0]["pose_keypoints_2d"].as_array().expect("array");
        assert_eq!(kp.len(), 54);
        assert_eq!(kp[0].as_f64(), Some(0.0));
        assert_eq!(kp[2].as_f64(), Some(0.0));
        assert_eq!(kp[3].as_f64(), Some(12.5));
        assert_eq!(kp[5].as_f64(), Some(1.0));
        assert_eq!(v["canvas_width"], 512);
        let back: OpenPoseFrame = serde_json::from_value(v).expect("parse");
        assert_eq!(back.to_poses().expect("poses")[0], pose);
    }
}
