//! ComfyUI: upload the pose image (`POST /upload/image`), queue an API-format graph
//! (`POST /prompt`), poll `GET /history/{id}` until it has outputs, fetch the PNG with `GET /view`.
//!
//! Graph: CheckpointLoaderSimple → CLIPTextEncode ×2 → ControlNetApplyAdvanced (ControlNetLoader +
//! LoadImage of the pose) → KSampler (EmptyLatentImage, or LoadImage + VAEEncode of the previous
//! output for loopback) → VAEDecode → SaveImage. ComfyUI has no control mode / pixel-perfect
//! switches; those A1111 options are ignored here.

use super::http::{fastrand_u64, Http};
use super::{Backend, ControlNetParams, DiffusionError, FrameRequest, GenParams};
use crate::image_io::decode_png;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub struct ComfyUi {
    http: Http,
    params: GenParams,
    cn: ControlNetParams,
    client_id: String,
    /// How long to wait for a queued prompt to finish.
    pub max_wait: Duration,
    pub poll_interval: Duration,
}

/// Node id of SaveImage in [`ComfyUi::graph`].
pub const SAVE_NODE: &str = "10";

impl ComfyUi {
    pub fn new(http: Http, params: GenParams, cn: ControlNetParams, max_wait: Duration) -> Result<Self, DiffusionError> {
        params.validate()?;
        cn.validate()?;
        if params.checkpoint.trim().is_empty() {
            return Err(DiffusionError::Config("ComfyUI needs a checkpoint file name (--checkpoint)".into()));
        }
        Ok(Self {
            http,
            params,
            cn,
            client_id: format!("scene-agent-{:016x}", fastrand_u64()),
            max_wait,
            poll_interval: Duration::from_millis(250),
        })
    }

    /// The API-format workflow. `pose_name`/`init_name` are names returned by `/upload/image`.
    pub fn graph(&self, pose_name: &str, seed: u64, init: Option<(&str, f64)>) -> Value {
        let g = &self.params;
        let mut graph = json!({
            "1": { "class_type": "CheckpointLoaderSimple", "inputs": { "ckpt_name": g.checkpoint } },
            "2": { "class_type": "CLIPTextEncode", "inputs": { "text": g.prompt, "clip": ["1", 1] } },
            "3": { "class_type": "CLIPTextEncode", "inputs": { "text": g.negative_prompt, "clip": ["1", 1] } },
            "5": { "class_type": "LoadImage", "inputs": { "image": pose_name } },
            "6": { "class_type": "ControlNetLoader", "inputs": { "control_net_name": self.cn.model } },
            "7": { "class_type": "ControlNetApplyAdvanced", "inputs": {
                "positive": ["2", 0], "negative": ["3", 0], "control_net": ["6", 0], "image": ["5", 0],
                "strength": self.cn.weight, "start_percent": self.cn.guidance_start, "end_percent": self.cn.guidance_end } },
            "8": { "class_type": "KSampler", "inputs": {
                "model": ["1", 0], "positive": ["7", 0], "negative": ["7", 1], "latent_image": ["4", 0],
                "seed": seed, "steps": g.steps, "cfg": g.cfg_scale, "sampler_name": g.comfy_sampler,
                "scheduler": g.comfy_scheduler, "denoise": 1.0 } },
            "9": { "class_type": "VAEDecode", "inputs": { "samples": ["8", 0], "vae": ["1", 2] } },
            SAVE_NODE: { "class_type": "SaveImage", "inputs": { "images": ["9", 0], "filename_prefix": "scene_agent" } },
        });
        match init {
            None => {
                graph["4"] = json!({ "class_type": "EmptyLatentImage",
                    "inputs": { "width": g.width, "height": g.height, "batch_size": 1 } });
            }
            Some((init_name, strength)) => {
                graph["11"] = json!({ "class_type": "LoadImage", "inputs": { "image": init_name } });
                graph["4"] = json!({ "class_type": "VAEEncode", "inputs": { "pixels": ["11", 0], "vae": ["1", 2] } });
                graph["8"]["inputs"]["denoise"] = json!(strength);
            }
        }
        graph
    }

    fn upload(&self, name: &str, png: &[u8]) -> Result<String, DiffusionError> {
        let reply = self.http.post_multipart(
            "/upload/image",
            &[("overwrite", "true"), ("type", "input")],
            "image",
            name,
            "image/png",
            png,
        )?;
        let url = format!("{}/upload/image", self.http.base());
        let stored = reply.get("name").and_then(Value::as_str).ok_or_else(|| DiffusionError::Malformed {
            url: url.clone(),
            what: format!("upload reply has no \"name\": {reply}"),
        })?;
        // Images in a subfolder are referenced as "subfolder/name" by LoadImage.
        Ok(match reply.get("subfolder").and_then(Value::as_str) {
            Some(sub) if !sub.is_empty() => format!("{sub}/{stored}"),
            _ => stored.to_string(),
        })
    }

    fn wait_for_outputs(&self, prompt_id: &str) -> Result<Value, DiffusionError> {
        let path = format!("/history/{prompt_id}");
        let url = format!("{}{path}", self.http.base());
        let start = Instant::now();
        loop {
            let h = self.http.get_json(&path)?;
            if let Some(entry) = h.get(prompt_id) {
                let status = entry.get("status");
                let status_str = status.and_then(|s| s.get("status_str")).and_then(Value::as_str).unwrap_or("");
                if status_str == "error" {
                    let msgs = status.and_then(|s| s.get("messages")).map(|m| m.to_string()).unwrap_or_default();
                    return Err(DiffusionError::Server(format!(
                        "ComfyUI failed prompt {prompt_id}: {}",
                        super::http::snippet(msgs.as_bytes())
                    )));
                }
                if let Some(out) = entry.get("outputs").and_then(|o| o.get(SAVE_NODE)) {
                    return Ok(out.clone());
                }
                let completed = status.and_then(|s| s.get("completed")).and_then(Value::as_bool).unwrap_or(false);
                if completed {
                    return Err(DiffusionError::Malformed {
                        url,
                        what: format!("prompt {prompt_id} completed without SaveImage output"),
                    });
                }
            }
            if start.elapsed() >= self.max_wait {
                return Err(DiffusionError::Timeout { url, after_s: self.max_wait.as_secs_f64() });
            }
            std::thread::sleep(self.poll_interval);
        }
    }
}

impl Backend for ComfyUi {
    fn name(&self) -> &'static str {
        "comfyui"
    }

    fn generate(&mut self, req: &FrameRequest<'_>) -> Result<Vec<u8>, DiffusionError> {
        let pose_name = self.upload(&format!("scene_agent_pose_{:05}.png", req.frame), req.pose_png)?;
        let init = match req.init {
            Some((png, strength)) => Some((self.upload(&format!("scene_agent_init_{:05}.png", req.frame), png)?, strength)),
            None => None,
        };
        let graph = self.graph(&pose_name, req.seed, init.as_ref().map(|(n, s)| (n.as_str(), *s)));
        let prompt_url = format!("{}/prompt", self.http.base());
        let queued = self.http.post_json("/prompt", &json!({ "prompt": graph, "client_id": self.client_id }))?;
        if let Some(errs) = queued.get("node_errors").filter(|e| e.as_object().is_some_and(|o| !o.is_empty())) {
            return Err(DiffusionError::Server(format!("ComfyUI rejected the graph: {errs}")));
        }
        let prompt_id = queued.get("prompt_id").and_then(Value::as_str).ok_or_else(|| DiffusionError::Malformed {
            url: prompt_url.clone(),
            what: format!("no \"prompt_id\" in {queued}"),
        })?;
        let outputs = self.wait_for_outputs(prompt_id)?;
        let view_url = format!("{}/view", self.http.base());
        let image = outputs
            .get("images")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .ok_or_else(|| DiffusionError::Malformed { url: view_url.clone(), what: format!("no images in outputs {outputs}") })?;
        let field = |k: &str| image.get(k).and_then(Value::as_str).unwrap_or("");
        let filename = field("filename");
        if filename.is_empty() {
            return Err(DiffusionError::Malformed { url: view_url, what: format!("image entry without filename: {image}") });
        }
        let kind = if field("type").is_empty() { "output" } else { field("type") };
        let png = self.http.get("/view", &[("filename", filename), ("subfolder", field("subfolder")), ("type", kind)])?;
        decode_png(&png, &format!("image from {view_url}"))
            .map_err(|e| DiffusionError::Malformed { url: view_url, what: e.to_string() })?;
        Ok(png)
    }
}
