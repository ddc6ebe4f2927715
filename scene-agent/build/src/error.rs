use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Motion(#[from] motion::MotionError),
    #[error("no motion for character '{character}' clip \"{text}\": {why}")]
    NoMotion { character: String, text: String, why: String },
    #[error("output folder {path}: {why}")]
    Output { path: PathBuf, why: String },
    #[error("scene has {frames} frames at {fps} fps; building needs at least 1 frame and fps 1..=60")]
    Timing { frames: u32, fps: u32 },
}
