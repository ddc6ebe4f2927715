//! BVH export of a motion on its skeleton: joint names as in [`JOINT_NAMES`], centimetres,
//! Y up, the pelvis with 6 channels and every other joint with `Zrotation Xrotation Yrotation`
//! (the most widely imported order), End Sites on the head, feet and wrists.

use crate::error::{write_atomic, Result};
use crate::motion::Motion;
use crate::rotation::to_euler_channels;
use crate::skeleton::{joint, JOINT_NAMES, NUM_JOINTS, PARENTS};
use motion_datasets::bvh::{Bvh, BvhJoint, Channel};
use std::path::Path;

/// Centimetres per metre: BVH files are conventionally in centimetres.
pub const BVH_UNITS_PER_M: f64 = 100.0;
const ZXY: [usize; 3] = [2, 0, 1];

pub fn to_bvh(motion: &Motion) -> Bvh {
    let cm = |v: f32| v as f64 * BVH_UNITS_PER_M;
    let mut joints = Vec::with_capacity(NUM_JOINTS);
    let mut num_channels = 0;
    // Depth-first order so the hierarchy prints nested and channels follow file order.
    let mut order = Vec::with_capacity(NUM_JOINTS);
    fn visit(j: usize, order: &mut Vec<usize>) {
        order.push(j);
        for c in 0..NUM_JOINTS {
            if PARENTS[c] == Some(j) {
                visit(c, order);
            }
        }
    }
    visit(0, &mut order);
    let mut file_index = [0usize; NUM_JOINTS];
    for (i, &j) in order.iter().enumerate() {
        file_index[j] = i;
    }
    for &j in &order {
        let o = motion.skeleton.offsets_m[j];
        let channels = if j == 0 {
            vec![Channel::Xposition, Channel::Yposition, Channel::Zposition, Channel::Zrotation, Channel::Xrotation, Channel::Yrotation]
        } else {
            vec![Channel::Zrotation, Channel::Xrotation, Channel::Yrotation]
        };
        let end_site = match j {
            joint::HEAD => Some([0.0, 10.0, 2.0]),
            joint::L_FOOT | joint::R_FOOT => Some([0.0, 0.0, 5.0]),
            joint::L_WRIST | joint::R_WRIST => {
                let d = o.try_normalize(1e-9).unwrap_or(nalgebra::Vector3::x()) * 8.0;
                Some([d.x as f64, d.y as f64, d.z as f64])
            }
            _ => None,
        };
        joints.push(BvhJoint {
            name: JOINT_NAMES[j].to_string(),
            parent: PARENTS[j].map(|p| file_index[p]),
            offset: if j == 0 { [0.0; 3] } else { [cm(o.x), cm(o.y), cm(o.z)] },
            first_channel: num_channels,
            end_site,
            channels,
        });
        num_channels += joints[joints.len() - 1].channels.len();
    }
    let mut values = Vec::with_capacity(motion.num_frames() * num_channels);
    for pose in &motion.poses {
        for &j in &order {
            if j == 0 {
                values.extend_from_slice(&[cm(pose.root_m.x), cm(pose.root_m.y), cm(pose.root_m.z)]);
            }
            values.extend_from_slice(&to_euler_channels(&pose.local[j], ZXY));
        }
    }
    Bvh { joints, frame_time_s: 1.0 / motion.fps as f64, values, num_channels }
}

/// Writes `motion` as BVH text to `path` atomically.
pub fn write_bvh(motion: &Motion, path: &Path) -> Result<()> {
    write_atomic(path, to_bvh(motion).to_text().as_bytes())
}
