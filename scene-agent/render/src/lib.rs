//! From a 3D scene to frames: pinhole projection of 22-joint skeletons to COCO-18 OpenPose
//! keypoints, annotator-exact OpenPose drawing and JSON, and A1111 / ComfyUI diffusion clients
//! with the temporal tricks of the rotoscoping workflow (fixed seed, loopback, frame blending,
//! every-Nth-frame rendering).
//!
//! Deliberately free of the `motion` crate: skeletons come in as plain `[[f32; 3]; 22]` arrays.

pub mod bench;
pub mod camera;
pub mod diffusion;
pub mod draw;
pub mod fsutil;
pub mod image_io;
pub mod openpose_json;
pub mod sequence;
pub mod skeleton;

use std::path::PathBuf;

pub use camera::{Camera, CameraKey, CameraPath, Projector};
pub use draw::{Canvas, Pose18, PoseDrawer};
pub use openpose_json::{OpenPoseFrame, OpenPosePerson};
pub use sequence::{Character, PoseSequence};
pub use skeleton::Joints22;

/// Errors of the pose and drawing side of the crate.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("camera: {0}")]
    Camera(String),
    #[error("input: {0}")]
    Input(String),
    #[error("limit exceeded: {0}")]
    Limit(String),
    #[error("JSON: {0}")]
    Json(String),
    #[error("image: {0}")]
    Image(String),
    #[error("output path: {0}")]
    Path(String),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, #[source] source: std::io::Error },
}

/// Re-exported so the CLI drives the same progress-bar type the library reports to.
pub use indicatif;
