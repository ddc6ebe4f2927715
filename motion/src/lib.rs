//! Motion core: the canonical 22-joint skeleton (metres, Y up, facing +Z, left = +X,
//! 20 fps), rotations, forward and inverse kinematics, retargeting of real mocap, the feature
//! representation the model sees, and exporters to files real tools open (GLB, BVH, npy).

pub mod cleanup;
pub mod contact_sheet;
pub mod convert;
pub mod dataset;
mod error;
pub mod export;
pub mod features;
pub mod ik;
pub mod import;
pub mod motion;
pub mod path;
pub mod physics;
pub mod quality;
pub mod retarget;
pub mod rotation;
pub mod skeleton;

pub use error::{write_atomic, MotionError, Result};
pub use motion::{JointPositions, Motion, Pose, CANONICAL_FPS};
pub use skeleton::{Skeleton, JOINT_NAMES, NUM_JOINTS};
