//! Joint positions as `[frames, 22, 3]` f32 `.npy` (metres, Y up): what MDM/MoMask users hold.

use crate::error::{write_atomic, MotionError, Result};
use crate::motion::Motion;
use crate::skeleton::NUM_JOINTS;
use std::path::Path;

/// Writes the joint positions of `motion` to `path` atomically.
pub fn write_joint_positions_npy(motion: &Motion, path: &Path) -> Result<()> {
    let data: Vec<f32> = motion.joint_positions().iter().flat_map(|f| f.iter().flat_map(|p| [p.x, p.y, p.z])).collect();
    let bytes = motion_datasets::npy::f32_npy_bytes(&[motion.num_frames(), NUM_JOINTS, 3], &data)
        .map_err(|source| MotionError::Write { path: path.to_path_buf(), source })?;
    write_atomic(path, &bytes)
}
