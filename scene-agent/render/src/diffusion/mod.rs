//! Stable Diffusion backends driven by pose images: AUTOMATIC1111 WebUI (with the ControlNet
//! extension) and ComfyUI, plus the frame loop with the rotoscoping workflow's temporal options.

pub mod a1111;
pub mod comfyui;
pub mod http;
pub mod render;

use serde::{Deserialize, Serialize};

/// Errors talking to a diffusion server or writing its frames.
#[derive(Debug, thiserror::Error)]
pub enum DiffusionError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("cannot reach {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("{url} did not answer within {after_s:.0} s (timeout)")]
    Timeout { url: String, after_s: f64 },
    #[error("{url} answered HTTP {status}: {body}")]
    Status { url: String, status: u16, body: String },
    #[error("malformed reply from {url}: {what}")]
    Malformed { url: String, what: String },
    #[error("server reported a failure: {0}")]
    Server(String),
    #[error("settings changed since {dir} was rendered ({what}); use a new output folder or --restart")]
    SettingsChanged { dir: String, what: String },
    #[error(transparent)]
    Render(#[from] crate::RenderError),
}

/// How ControlNet weighs the prompt against the control image (A1111 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ControlMode {
    #[default]
    Balanced,
    PromptImportant,
    ControlnetImportant,
}

impl ControlMode {
    /// The string the sd-webui-controlnet API accepts.
    pub fn a1111_name(self) -> &'static str {
        match self {
            ControlMode::Balanced => "Balanced",
            ControlMode::PromptImportant => "My prompt is more important",
            ControlMode::ControlnetImportant => "ControlNet is more important",
        }
    }
}

/// Generation settings shared by every frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenParams {
    pub prompt: String,
    pub negative_prompt: String,
    pub steps: u32,
    pub cfg_scale: f64,
    /// A1111 sampler name (e.g. "Euler a"); ComfyUI uses `comfy_sampler`/`comfy_scheduler`.
    pub sampler: String,
    pub comfy_sampler: String,
    pub comfy_scheduler: String,
    pub width: u32,
    pub height: u32,
    /// SD checkpoint file for ComfyUI's CheckpointLoaderSimple (A1111 uses its loaded model).
    pub checkpoint: String,
}

/// The ControlNet unit: the openpose model applied to our pose image with preprocessing off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlNetParams {
    /// A1111: model name as listed by `/controlnet/model_list`; ComfyUI: file name for ControlNetLoader.
    pub model: String,
    pub weight: f64,
    pub guidance_start: f64,
    pub guidance_end: f64,
    pub control_mode: ControlMode,
    pub pixel_perfect: bool,
}

impl GenParams {
    pub fn validate(&self) -> Result<(), DiffusionError> {
        let bad = |m: String| Err(DiffusionError::Config(m));
        if !(1..=150).contains(&self.steps) {
            return bad(format!("steps {} outside 1..=150", self.steps));
        }
        if !(self.cfg_scale.is_finite() && (0.0..=30.0).contains(&self.cfg_scale)) {
            return bad(format!("cfg scale {} outside 0..=30", self.cfg_scale));
        }
        for (n, v) in [("width", self.width), ("height", self.height)] {
            if !(64..=2048).contains(&v) || v % 8 != 0 {
                return bad(format!("{n} {v} must be a multiple of 8 in 64..=2048"));
            }
        }
        Ok(())
    }
}

impl ControlNetParams {
    pub fn validate(&self) -> Result<(), DiffusionError> {
        let unit = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
        if self.model.trim().is_empty() {
            return Err(DiffusionError::Config("ControlNet model name is empty".into()));
        }
        if !(self.weight.is_finite() && (0.0..=2.0).contains(&self.weight)) {
            return Err(DiffusionError::Config(format!("ControlNet weight {} outside 0..=2", self.weight)));
        }
        if !unit(self.guidance_start) || !unit(self.guidance_end) || self.guidance_start > self.guidance_end {
            return Err(DiffusionError::Config(format!(
                "guidance start/end {}/{} must satisfy 0 ≤ start ≤ end ≤ 1",
                self.guidance_start, self.guidance_end
            )));
        }
        Ok(())
    }
}

/// One frame to generate.
pub struct FrameRequest<'a> {
    pub frame: usize,
    pub pose_png: &'a [u8],
    pub seed: u64,
    /// img2img loopback: the previous output and how much to change it (0..=1).
    pub init: Option<(&'a [u8], f64)>,
}

/// A diffusion server able to turn a pose image into a picture.
pub trait Backend {
    fn name(&self) -> &'static str;
    /// The generated image as PNG bytes.
    fn generate(&mut self, req: &FrameRequest<'_>) -> Result<Vec<u8>, DiffusionError>;
}
