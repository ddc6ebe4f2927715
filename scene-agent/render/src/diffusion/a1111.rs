//! AUTOMATIC1111 WebUI: `/sdapi/v1/txt2img` and `/sdapi/v1/img2img` with one ControlNet unit in
//! `alwayson_scripts.controlnet.args` (module "none": our pose image is already the control map).

use super::http::Http;
use super::{Backend, ControlNetParams, DiffusionError, FrameRequest, GenParams};
use crate::image_io::decode_png;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{json, Value};

pub struct A1111 {
    http: Http,
    params: GenParams,
    cn: ControlNetParams,
}

impl A1111 {
    pub fn new(http: Http, params: GenParams, cn: ControlNetParams) -> Result<Self, DiffusionError> {
        params.validate()?;
        cn.validate()?;
        Ok(Self { http, params, cn })
    }

    /// The request body; public so tests and `--dry-run` can inspect it.
    pub fn request_body(&self, req: &FrameRequest<'_>) -> Value {
        let g = &self.params;
        let unit = json!({
            "enabled": true,
            "module": "none",
            "model": self.cn.model,
            "weight": self.cn.weight,
            "image": B64.encode(req.pose_png),
            "resize_mode": "Crop and Resize",
            "processor_res": g.width.min(g.height),
            "guidance_start": self.cn.guidance_start,
            "guidance_end": self.cn.guidance_end,
            "control_mode": self.cn.control_mode.a1111_name(),
            "pixel_perfect": self.cn.pixel_perfect,
            "save_detected_map": false,
        });
        let mut body = json!({
            "prompt": g.prompt,
            "negative_prompt": g.negative_prompt,
            "seed": req.seed,
            "steps": g.steps,
            "cfg_scale": g.cfg_scale,
            "sampler_name": g.sampler,
            "width": g.width,
            "height": g.height,
            "batch_size": 1,
            "n_iter": 1,
            "send_images": true,
            "save_images": false,
            "alwayson_scripts": { "controlnet": { "args": [unit] } },
        });
        if let Some((init, strength)) = req.init {
            body["init_images"] = json!([B64.encode(init)]);
            body["denoising_strength"] = json!(strength);
        }
        body
    }

    fn path(req: &FrameRequest<'_>) -> &'static str {
        if req.init.is_some() { "/sdapi/v1/img2img" } else { "/sdapi/v1/txt2img" }
    }
}

impl Backend for A1111 {
    fn name(&self) -> &'static str {
        "a1111"
    }

    fn generate(&mut self, req: &FrameRequest<'_>) -> Result<Vec<u8>, DiffusionError> {
        let path = Self::path(req);
        let url = format!("{}{path}", self.http.base());
        let reply = self.http.post_json(path, &self.request_body(req))?;
        let malformed = |what: String| DiffusionError::Malformed { url: url.clone(), what };
        let first = reply
            .get("images")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("no \"images\": [base64 PNG] in the reply".into()))?;
        // Some versions prefix a data URL header.
        let b64 = first.split_once("base64,").map_or(first, |(_, b)| b);
        let png = B64.decode(b64.trim()).map_err(|e| malformed(format!("images[0] is not base64: {e}")))?;
        let img = decode_png(&png, &format!("image from {url}")).map_err(|e| malformed(e.to_string()))?;
        if img.width == 0 || img.height == 0 {
            return Err(malformed("empty image".into()));
        }
        Ok(png)
    }
}
