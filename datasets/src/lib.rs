//! Readers for other people's motion formats and corpora.
//!
//! This crate only parses: it turns files into plain Rust values and reports malformed input
//! with the file, line and what was expected. Geometry (units, skeletons, retargeting) lives in
//! the `motion` crate.
//!
//! - [`bvh`]: the BVH format, reading and writing, any hierarchy.
//! - [`bandai`]: the Bandai Namco Research motion datasets 1 and 2 (BVH + JSON labels).
//! - [`humanml3d`]: HumanML3D `.npy` features and joints, caption files, split lists.
//! - [`kitml`]: KIT-ML captions in TMR's `annotations.json` form.
//! - [`captions`]: natural-language captions made from action and style labels.

pub mod bandai;
pub mod bvh;
pub mod captions;
mod error;
pub mod humanml3d;
pub mod kitml;
pub mod npy;

pub use error::{DatasetError, Result};
