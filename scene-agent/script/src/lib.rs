//! Scene script: versioned JSON format, schema, validation, relation solver, keyframe schedules.
//!
//! World frame: metres, Y up, characters face +Z at rest. Load a script with
//! [`Scene::from_json`], which parses, normalises action/style synonyms, validates, and solves
//! placement; then use [`Scene::placements`] and [`Scene::camera_at`].

pub mod fsutil;
pub mod schedule;
pub mod scene;
pub mod schema;
pub mod script;
pub mod vocab;

pub use scene::{CameraPose, Placement, Scene, solve_placement};
pub use schedule::{Interpolation, Param, Schedule, ScheduleError};
pub use script::{Backend, Camera, CameraMode, Character, CircleFacing, ControlNet, FORMAT_VERSION, Issue, MotionClip, Relation, Render, SceneScript};

/// Hard bounds. The validator and the JSON Schema both use these.
pub mod limits {
    pub const DEFAULT_FPS: u32 = 20;
    pub const MAX_CHARACTERS: usize = 8;
    pub const MIN_DURATION_S: f64 = 0.5;
    pub const MAX_DURATION_S: f64 = 60.0;
    /// Shortest motion clip the model can generate meaningfully.
    pub const MIN_MOTION_S: f64 = 0.25;
    pub const MIN_FPS: u32 = 1;
    pub const MAX_FPS: u32 = 60;
    pub const MAX_FRAMES: u32 = 1800;
    pub const MIN_SIZE: u32 = 64;
    pub const MAX_SIZE: u32 = 2048;
    pub const SIZE_MULTIPLE: u32 = 8;
    pub const MAX_PROMPT_CHARS: usize = 500;
    pub const MAX_STYLE_PROMPT_CHARS: usize = 1000;
    pub const MAX_NAME_CHARS: usize = 64;
    pub const MAX_ID_CHARS: usize = 32;
    pub const MAX_MOTIONS_PER_CHARACTER: usize = 32;
    pub const MAX_RELATIONS: usize = 64;
    pub const MIN_DISTANCE_M: f64 = 0.3;
    pub const MAX_DISTANCE_M: f64 = 50.0;
    pub const MIN_CAMERA_DISTANCE_M: f64 = 0.1;
    pub const MAX_COORD_M: f64 = 100.0;
    pub const MAX_KEYFRAMES: usize = 256;
    pub const MAX_SCHEDULE_CHARS: usize = 4000;
    pub const MIN_FOV_DEG: f64 = 5.0;
    pub const MAX_FOV_DEG: f64 = 120.0;
    pub const MAX_ORBIT_SPEED: f64 = 360.0;
    pub const DEFAULT_ORBIT_SPEED: f64 = 10.0;
    pub const MAX_CONTROLNET_WEIGHT: f64 = 2.0;
    pub const MAX_SEED: u64 = u32::MAX as u64;
    pub const MAX_PATH_CHARS: usize = 200;
    pub const MAX_SCRIPT_BYTES: usize = 1 << 20;
}

/// Everything that can be wrong with a scene script.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("not a valid scene script: {0}")]
    Parse(String),
    #[error("scene script is {bytes} bytes; the limit is {max}")]
    TooLarge { bytes: usize, max: usize },
    #[error("scene script is invalid:\n{}", .0.iter().map(|i| format!("  - {i}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Issue>),
    #[error("cannot place the characters: {0}")]
    Solve(String),
}
