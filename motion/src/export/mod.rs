//! Writers for files that real tools open: GLB (skinned mannequin + animation, validator-clean),
//! BVH (canonical skeleton, centimetres) and joint-position `.npy` (`[frames, 22, 3]`, metres).
//! Every writer goes through [`crate::write_atomic`], so no half-written file is ever left.

pub mod bvh;
pub mod glb;
mod mannequin;
pub mod npy;
