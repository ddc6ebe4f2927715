//! From a validated [`scene_script::Scene`] to animation: every character's motion timeline is
//! filled from a [`MotionSource`] (dataset clips chosen by their labels today, the text-to-motion
//! model when it lands), consecutive clips are joined with a short blend so nothing pops, each
//! character starts at its solved placement, the camera follows its schedule, and the result is
//! written as one GLB (all characters + the animated camera) with a manifest.

mod camera;
mod error;
pub mod source;
mod timeline;
mod write;

pub use camera::{camera_track, look_rotation};
pub use error::BuildError;
pub use source::{DatasetClipSource, MotionSource, SourcedMotion};
pub use timeline::{build_scene, BuiltCharacter, BuiltScene, ClipUse, BLEND_FRAMES};
pub use write::{write_scene, MANIFEST_FILE, SCENE_GLB};
