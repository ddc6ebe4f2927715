//! File-to-file conversion between BVH, HumanML3D 263-dim `.npy`, joint-position `.npy`
//! (`[frames, 22, 3]`) and GLB. Everything goes through joint positions and the IK solver, so
//! position-only inputs come out rig-ready, and the report says how far the solved rotations
//! land from the input positions.

use crate::error::{MotionError, Result};
use crate::export::{bvh::write_bvh, glb::{write_glb, CharacterTrack}, npy::write_joint_positions_npy};
use crate::import::{glb::read_glb_characters, positions_from_array, positions_from_bvh, positions_from_humanml3d};
use crate::motion::{JointPositions, Motion, CANONICAL_FPS};
use crate::retarget::{motion_from_positions, position_error, PositionError, Target};
use motion_datasets::bvh::Bvh;
use motion_datasets::npy::read_floats;
use std::path::Path;

/// The formats `convert` understands, named by file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Bvh,
    Npy,
    Glb,
}

impl Format {
    pub fn of(path: &Path) -> Result<Self> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("bvh") => Ok(Self::Bvh),
            Some("npy") => Ok(Self::Npy),
            Some("glb") => Ok(Self::Glb),
            _ => Err(MotionError::input(path, "unknown file type: expected a .bvh, .npy or .glb extension")),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ConvertOptions {
    /// Output frame rate; the canonical 20 fps by default.
    pub fps: f32,
    /// Fitted (keep the source's proportions) or canonical skeleton.
    pub target: Target,
    /// Metres per BVH unit; detected from body size when `None`.
    pub bvh_scale_to_m: Option<f32>,
    /// Frame rate of `.npy` inputs, which do not store one (HumanML3D and MDM use 20).
    pub npy_fps: f32,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        Self { fps: CANONICAL_FPS, target: Target::Fitted, bvh_scale_to_m: None, npy_fps: CANONICAL_FPS }
    }
}

/// What a conversion read and how exact it was.
#[derive(Clone, Debug)]
pub struct ConvertReport {
    /// e.g. "BVH (Bandai Namco joint names)", "HumanML3D 263-dim features".
    pub source: String,
    pub input_frames: usize,
    pub input_fps: f32,
    pub output_frames: usize,
    pub output_fps: f32,
    /// Solved rotations vs the input joint positions, at the input frame rate.
    pub error: PositionError,
}

/// Reads joint positions (metres) and their frame rate from any supported file.
pub fn load_positions(path: &Path, opts: &ConvertOptions) -> Result<(Vec<JointPositions>, f32, String)> {
    let (frames, fps, source) = match Format::of(path)? {
        Format::Bvh => {
            let bvh = Bvh::read(path)?;
            let (frames, fps, map) = positions_from_bvh(&bvh, path, opts.bvh_scale_to_m)?;
            (frames, fps, format!("BVH ({map} joint names)"))
        }
        Format::Npy => {
            let a = read_floats(path)?;
            match a.shape.as_slice() {
                [f, 22, 3] if *f > 0 => {
                    let arr: Vec<[[f32; 3]; 22]> =
                        a.data.chunks_exact(66).map(|c| std::array::from_fn(|j| [c[j * 3], c[j * 3 + 1], c[j * 3 + 2]])).collect();
                    (positions_from_array(&arr), opts.npy_fps, "joint positions [frames, 22, 3]".to_string())
                }
                [f, 263] if *f > 0 => {
                    let rows: Vec<[f32; 263]> = a.data.chunks_exact(263).map(|c| c.try_into().expect("263 values")).collect();
                    (positions_from_humanml3d(&rows), opts.npy_fps, "HumanML3D 263-dim features".to_string())
                }
                other => {
                    return Err(MotionError::input(path, format!("expected joint positions [frames, 22, 3] or HumanML3D features [frames, 263], found shape {other:?}")))
                }
            }
        }
        Format::Glb => {
            let bytes = std::fs::read(path).map_err(|e| MotionError::input(path, format!("cannot read: {e}")))?;
            let mut chars = read_glb_characters(&bytes, path)?;
            let c = chars.swap_remove(0);
            (c.frames, c.fps, "GLB (canonical joint names)".to_string())
        }
    };
    if frames.is_empty() {
        return Err(MotionError::input(path, "no frames"));
    }
    if !(fps.is_finite() && fps > 0.0 && fps <= 1000.0) {
        return Err(MotionError::input(path, format!("implausible frame rate {fps}")));
    }
    Ok((frames, fps, source))
}

/// Reads any supported file into a motion at the requested frame rate.
pub fn load_motion(path: &Path, opts: &ConvertOptions) -> Result<(Motion, ConvertReport)> {
    if !(opts.fps.is_finite() && opts.fps > 0.0 && opts.fps <= 1000.0) {
        return Err(MotionError::Invalid(format!("output frame rate must be in (0, 1000], got {}", opts.fps)));
    }
    let (frames, fps, source) = load_positions(path, opts)?;
    let solved = motion_from_positions(&frames, fps, opts.target);
    let error = if opts.target == Target::Fitted { position_error(&frames, &solved.joint_positions()) } else { PositionError::default() };
    let motion = solved.resampled(opts.fps);
    let report = ConvertReport { source, input_frames: frames.len(), input_fps: fps, output_frames: motion.num_frames(), output_fps: motion.fps, error };
    Ok((motion, report))
}

/// Writes a motion in the format named by the extension of `path`.
pub fn save_motion(motion: &Motion, path: &Path) -> Result<()> {
    match Format::of(path)? {
        Format::Glb => write_glb(path, &[CharacterTrack { name: "character", motion }], None),
        Format::Bvh => write_bvh(motion, path),
        Format::Npy => write_joint_positions_npy(motion, path),
    }
}

/// Converts `input` to `output` (formats by extension).
pub fn convert(input: &Path, output: &Path, opts: &ConvertOptions) -> Result<ConvertReport> {
    Format::of(output)?;
    let (motion, report) = load_motion(input, opts)?;
    save_motion(&motion, output)?;
    Ok(report)
}
