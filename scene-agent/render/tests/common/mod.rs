//! Local HTTP servers for the diffusion tests (127.0.0.1 only): a minimal HTTP/1.1 server over
//! std's TcpListener, plus stand-ins for A1111 and ComfyUI that enforce each API's request schema
//! and answer with real PNGs computed from the request (pose image, seed, init image).

#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use scene_render::draw::Canvas;
use scene_render::image_io::{decode_png, encode_png};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Request {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Sleep before answering (timeout tests).
    pub delay: Duration,
}

impl Response {
    pub fn json(status: u16, v: &Value) -> Self {
        Self { status, content_type: "application/json", body: v.to_string().into_bytes(), delay: Duration::ZERO }
    }
    pub fn bytes(status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Self { status, content_type, body, delay: Duration::ZERO }
    }
    pub fn error(status: u16, msg: &str) -> Self {
        Self::json(status, &json!({ "error": msg, "detail": msg }))
    }
}

pub struct Server {
    pub url: String,
    stop: Arc<AtomicBool>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let h = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match h {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut r = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let mut body = Vec::new();
    if let Some(n) = headers.get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(n, 0);
        r.read_exact(&mut body).ok()?;
    } else if headers.get("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    let (path, q) = target.split_once('?').unwrap_or((&target, ""));
    let query = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    Some(Request { method, path: path.to_string(), query, headers, body })
}

/// Serve `handler` on 127.0.0.1 (random port) until the returned [`Server`] is dropped.
pub fn serve(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let stop = Arc::new(AtomicBool::new(false));
    let handler = Arc::new(handler);
    let stop2 = stop.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            if stop2.load(Ordering::SeqCst) {
                break;
            }
            let Ok(mut stream) = conn else { continue };
            let handler = handler.clone();
            std::thread::spawn(move || {
                let Some(req) = read_request(&mut stream) else { return };
                let resp = handler(&req);
                if !resp.delay.is_zero() {
                    std::thread::sleep(resp.delay);
                }
                let head = format!(
                    "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    resp.status,
                    resp.content_type,
                    resp.body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&resp.body);
                let _ = stream.flush();
            });
        }
    });
    Server { url, stop }
}

/// The "generated" picture: the pose image tinted by a seed-derived colour, mixed with the init
/// image by (1 − denoise) for img2img. Real PNG, deterministic, depends on every input.
pub fn fake_diffusion(pose: &Canvas, seed: u64, width: u32, height: u32, init: Option<(&Canvas, f64)>) -> Vec<u8> {
    let tint = [(seed % 251) as u8, (seed / 7 % 253) as u8, (seed / 13 % 255) as u8];
    let mut out = Canvas::new(width, height);
    for y in 0..height {
        for x in 0..width {
            let p = if x < pose.width && y < pose.height { pose.pixel(x, y) } else { [0; 3] };
            let mut v = [0u8; 3];
            for c in 0..3 {
                let generated = (p[c] as u16 / 2 + tint[c] as u16 / 2) as f64;
                v[c] = match init {
                    Some((img, d)) if x < img.width && y < img.height => {
                        (generated * d + img.pixel(x, y)[c] as f64 * (1.0 - d)).round() as u8
                    }
                    _ => generated as u8,
                };
            }
            let i = (y as usize * width as usize + x as usize) * 3;
            out.rgb[i..i + 3].copy_from_slice(&v);
        }
    }
    encode_png(&out).expect("png")
}

pub fn decode_b64_png(v: &Value, what: &str) -> Result<Canvas, String> {
    let s = v.as_str().ok_or(format!("{what} must be a base64 string"))?;
    let bytes = B64.decode(s).map_err(|e| format!("{what}: bad base64: {e}"))?;
    decode_png(&bytes, what).map_err(|e| e.to_string())
}

/// Shared knobs for fault injection.
#[derive(Default)]
pub struct Faults {
    /// Requests that succeeded so far (generation endpoints only).
    pub generated: AtomicUsize,
    /// Fail with HTTP 500 once `generated` reaches this (usize::MAX = never).
    pub fail_at: AtomicUsize,
    /// Answer after this many ms.
    pub delay_ms: AtomicUsize,
    /// Answer with garbage instead of an image once `generated` reaches this.
    pub garbage_at: AtomicUsize,
    pub seen: Mutex<Vec<Value>>,
}

impl Faults {
    pub fn new() -> Arc<Self> {
        let f = Self::default();
        f.fail_at.store(usize::MAX, Ordering::SeqCst);
        f.garbage_at.store(usize::MAX, Ordering::SeqCst);
        Arc::new(f)
    }
}

fn num(v: &Value, k: &str) -> Result<f64, String> {
    v.get(k).and_then(Value::as_f64).ok_or(format!("field {k:?} must be a number"))
}
fn int(v: &Value, k: &str) -> Result<i64, String> {
    v.get(k).and_then(Value::as_i64).ok_or(format!("field {k:?} must be an integer"))
}
fn string<'a>(v: &'a Value, k: &str) -> Result<&'a str, String> {
    v.get(k).and_then(Value::as_str).ok_or(format!("field {k:?} must be a string"))
}
fn boolean(v: &Value, k: &str) -> Result<bool, String> {
    v.get(k).and_then(Value::as_bool).ok_or(format!("field {k:?} must be a boolean"))
}

/// Validate an A1111 txt2img/img2img body as the WebUI + ControlNet extension would; returns
/// the generated PNG.
pub fn a1111_generate(body: &Value, img2img: bool) -> Result<Vec<u8>, String> {
    const TOP: &[&str] = &[
        "prompt", "negative_prompt", "seed", "steps", "cfg_scale", "sampler_name", "width", "height",
        "batch_size", "n_iter", "send_images", "save_images", "alwayson_scripts", "init_images",
        "denoising_strength", "resize_mode", "scheduler", "styles", "subseed", "restore_faces", "tiling",
    ];
    let obj = body.as_object().ok_or("body must be a JSON object")?;
    if let Some(k) = obj.keys().find(|k| !TOP.contains(&k.as_str())) {
        return Err(format!("extra field {k:?} not permitted"));
    }
    string(body, "prompt")?;
    string(body, "negative_prompt")?;
    let seed = int(body, "seed")?;
    let steps = int(body, "steps")?;
    if !(1..=150).contains(&steps) {
        return Err("steps out of range".into());
    }
    num(body, "cfg_scale")?;
    string(body, "sampler_name")?;
    let (w, h) = (int(body, "width")?, int(body, "height")?);
    if w % 8 != 0 || h % 8 != 0 || w <= 0 || h <= 0 {
        return Err("width/height must be positive multiples of 8".into());
    }
    let units = body
        .pointer("/alwayson_scripts/controlnet/args")
        .and_then(Value::as_array)
        .ok_or("alwayson_scripts.controlnet.args must be an array")?;
    let unit = units.first().ok_or("no ControlNet unit")?;
    if !boolean(unit, "enabled")? {
        return Err("ControlNet unit not enabled".into());
    }
    if string(unit, "module")? != "none" {
        return Err("module must be none for a ready pose map".into());
    }
    if !string(unit, "model")?.contains("openpose") {
        return Err("model must be an openpose ControlNet".into());
    }
    let weight = num(unit, "weight")?;
    let (gs, ge) = (num(unit, "guidance_start")?, num(unit, "guidance_end")?);
    if !((0.0..=2.0).contains(&weight) && 0.0 <= gs && gs <= ge && ge <= 1.0) {
        return Err("weight / guidance range invalid".into());
    }
    let mode = unit.get("control_mode").ok_or("control_mode missing")?;
    let mode_ok = matches!(mode.as_str(), Some("Balanced" | "My prompt is more important" | "ControlNet is more important"))
        || matches!(mode.as_i64(), Some(0..=2));
    if !mode_ok {
        return Err(format!("control_mode {mode} invalid"));
    }
    boolean(unit, "pixel_perfect")?;
    if boolean(unit, "save_detected_map")? {
        return Err("save_detected_map must be false".into());
    }
    let pose = decode_b64_png(unit.get("image").ok_or("unit image missing")?, "unit image")?;
    let init = if img2img {
        let imgs = body.get("init_images").and_then(Value::as_array).ok_or("init_images must be an array")?;
        let init = decode_b64_png(imgs.first().ok_or("init_images empty")?, "init image")?;
        let d = num(body, "denoising_strength")?;
        if !(0.0..=1.0).contains(&d) {
            return Err("denoising_strength out of range".into());
        }
        Some((init, d))
    } else {
        if body.get("init_images").is_some() {
            return Err("txt2img takes no init_images".into());
        }
        None
    };
    Ok(fake_diffusion(&pose, seed as u64, w as u32, h as u32, init.as_ref().map(|(c, d)| (c, *d))))
}

/// A1111 stand-in. `faults` injects errors; every accepted body is recorded in `faults.seen`.
pub fn a1111_server(faults: Arc<Faults>) -> Server {
    serve(move |req| {
        let img2img = match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/sdapi/v1/txt2img") => false,
            ("POST", "/sdapi/v1/img2img") => true,
            _ => return Response::error(404, "Not Found"),
        };
        if !req.headers.get("content-type").is_some_and(|c| c.starts_with("application/json")) {
            return Response::error(415, "expected application/json");
        }
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return Response::error(422, "body is not JSON");
        };
        let n = faults.generated.load(Ordering::SeqCst);
        let delay = Duration::from_millis(faults.delay_ms.load(Ordering::SeqCst) as u64);
        if n >= faults.fail_at.load(Ordering::SeqCst) {
            return Response { delay, ..Response::error(500, "CUDA out of memory") };
        }
        match a1111_generate(&body, img2img) {
            Err(e) => Response::json(422, &json!({ "detail": [{ "msg": e }] })),
            Ok(png) => {
                faults.generated.fetch_add(1, Ordering::SeqCst);
                faults.seen.lock().expect("lock").push(body);
                let images = if n >= faults.garbage_at.load(Ordering::SeqCst) { json!(["bm90IGEgcG5n"]) } else { json!([B64.encode(png)]) };
                Response { delay, ..Response::json(200, &json!({ "images": images, "parameters": {}, "info": "{}" })) }
            }
        }
    })
}

/// Output types of the ComfyUI nodes the client uses (index = output slot).
fn node_outputs(class: &str) -> Option<&'static [&'static str]> {
    Some(match class {
        "CheckpointLoaderSimple" => &["MODEL", "CLIP", "VAE"],
        "CLIPTextEncode" => &["CONDITIONING"],
        "EmptyLatentImage" => &["LATENT"],
        "LoadImage" => &["IMAGE", "MASK"],
        "ControlNetLoader" => &["CONTROL_NET"],
        "ControlNetApplyAdvanced" => &["CONDITIONING", "CONDITIONING"],
        "KSampler" => &["LATENT"],
        "VAEDecode" => &["IMAGE"],
        "VAEEncode" => &["LATENT"],
        "SaveImage" => &[],
        _ => return None,
    })
}

/// Required inputs per node: name → expected type ("INT", "FLOAT", "STRING", or a link type).
fn node_inputs(class: &str) -> &'static [(&'static str, &'static str)] {
    match class {
        "CheckpointLoaderSimple" => &[("ckpt_name", "STRING")],
        "CLIPTextEncode" => &[("text", "STRING"), ("clip", "CLIP")],
        "EmptyLatentImage" => &[("width", "INT"), ("height", "INT"), ("batch_size", "INT")],
        "LoadImage" => &[("image", "STRING")],
        "ControlNetLoader" => &[("control_net_name", "STRING")],
        "ControlNetApplyAdvanced" => &[
            ("positive", "CONDITIONING"), ("negative", "CONDITIONING"), ("control_net", "CONTROL_NET"),
            ("image", "IMAGE"), ("strength", "FLOAT"), ("start_percent", "FLOAT"), ("end_percent", "FLOAT"),
        ],
        "KSampler" => &[
            ("model", "MODEL"), ("positive", "CONDITIONING"), ("negative", "CONDITIONING"), ("latent_image", "LATENT"),
            ("seed", "INT"), ("steps", "INT"), ("cfg", "FLOAT"), ("sampler_name", "STRING"), ("scheduler", "STRING"),
            ("denoise", "FLOAT"),
        ],
        "VAEDecode" => &[("samples", "LATENT"), ("vae", "VAE")],
        "VAEEncode" => &[("pixels", "IMAGE"), ("vae", "VAE")],
        "SaveImage" => &[("images", "IMAGE"), ("filename_prefix", "STRING")],
        _ => &[],
    }
}

/// Validate an API-format graph like ComfyUI's `validate_prompt`: known classes, every required
/// input present with the right type, links to existing nodes/slots of the right type, uploaded
/// images only, at least one output node.
pub fn comfy_validate(graph: &Value, uploads: &HashMap<String, Vec<u8>>) -> Result<(), String> {
    let nodes = graph.as_object().ok_or("prompt must be an object")?;
    let mut has_output = false;
    for (id, node) in nodes {
        let class = string(node, "class_type").map_err(|e| format!("node {id}: {e}"))?;
        node_outputs(class).ok_or(format!("node {id}: unknown class_type {class}"))?;
        has_output |= class == "SaveImage";
        let inputs = node.get("inputs").and_then(Value::as_object).ok_or(format!("node {id}: no inputs"))?;
        for (name, ty) in node_inputs(class) {
            let v = inputs.get(*name).ok_or(format!("node {id} ({class}): required input {name} missing"))?;
            let ok = match *ty {
                "INT" => v.as_i64().is_some() || v.as_u64().is_some(),
                "FLOAT" => v.as_f64().is_some(),
                "STRING" => v.as_str().is_some(),
                link => {
                    let arr = v.as_array().filter(|a| a.len() == 2).ok_or(format!("node {id}: {name} must be a link"))?;
                    let src = arr[0].as_str().ok_or(format!("node {id}: {name} link id must be a string"))?;
                    let slot = arr[1].as_u64().ok_or(format!("node {id}: {name} link slot must be an integer"))? as usize;
                    let src_class = nodes.get(src).and_then(|n| n.get("class_type")).and_then(Value::as_str)
                        .ok_or(format!("node {id}: {name} links to missing node {src}"))?;
                    node_outputs(src_class).and_then(|o| o.get(slot)).is_some_and(|t| *t == link)
                }
            };
            if !ok {
                return Err(format!("node {id} ({class}): input {name} is not {ty}"));
            }
        }
        if class == "LoadImage" {
            let img = inputs.get("image").and_then(Value::as_str).unwrap_or("");
            if !uploads.contains_key(img) {
                return Err(format!("node {id}: image {img:?} was never uploaded"));
            }
        }
    }
    if !has_output {
        return Err("prompt has no output node".into());
    }
    Ok(())
}

/// Parse `multipart/form-data` into (field name → (file name, bytes)).
/// Field name → (file name, bytes).
type Parts = HashMap<String, (Option<String>, Vec<u8>)>;

fn parse_multipart(req: &Request) -> Result<Parts, String> {
    let ct = req.headers.get("content-type").ok_or("no content-type")?;
    let boundary = ct.split("boundary=").nth(1).ok_or("multipart without boundary")?.trim_matches('"');
    let delim = format!("--{boundary}");
    let body = &req.body;
    let find = |hay: &[u8], needle: &[u8], from: usize| -> Option<usize> {
        hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
    };
    let mut out = HashMap::new();
    let mut pos = find(body, delim.as_bytes(), 0).ok_or("no first boundary")? + delim.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            break;
        }
        pos += 2; // CRLF after boundary
        let head_end = find(body, b"\r\n\r\n", pos).ok_or("part without header end")?;
        let head = String::from_utf8_lossy(&body[pos..head_end]).to_string();
        let next = find(body, format!("\r\n{delim}").as_bytes(), head_end).ok_or("part without closing boundary")?;
        let data = body[head_end + 4..next].to_vec();
        let attr = |k: &str| head.split(';').find_map(|p| p.trim().strip_prefix(&format!("{k}=\"")).map(|v| v.trim_end_matches(['"', '\r', '\n']).split('"').next().unwrap_or("").to_string()));
        let name = attr("name").ok_or("part without name")?;
        out.insert(name, (attr("filename"), data));
        pos = next + 2 + delim.len();
    }
    Ok(out)
}

pub struct ComfyState {
    pub uploads: Mutex<HashMap<String, Vec<u8>>>,
    /// prompt id → (polls left before done, output file name)
    pub history: Mutex<HashMap<String, (usize, String)>>,
    pub outputs: Mutex<HashMap<String, Vec<u8>>>,
    pub counter: AtomicUsize,
    /// Polls answered with `{}` before a prompt shows up as done.
    pub polls_before_done: usize,
    /// Report every prompt as failed in /history.
    pub fail_execution: AtomicBool,
}

/// ComfyUI stand-in: `/upload/image`, `/prompt`, `/history/{id}`, `/view`.
pub fn comfy_server(faults: Arc<Faults>, polls_before_done: usize) -> (Server, Arc<ComfyState>) {
    let state = Arc::new(ComfyState {
        uploads: Mutex::new(HashMap::new()),
        history: Mutex::new(HashMap::new()),
        outputs: Mutex::new(HashMap::new()),
        counter: AtomicUsize::new(0),
        polls_before_done,
        fail_execution: AtomicBool::new(false),
    });
    let st = state.clone();
    let server = serve(move |req| {
        let delay = Duration::from_millis(faults.delay_ms.load(Ordering::SeqCst) as u64);
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/upload/image") => {
                let parts = match parse_multipart(req) {
                    Ok(p) => p,
                    Err(e) => return Response::error(400, &e),
                };
                let Some((Some(fname), data)) = parts.get("image") else { return Response::error(400, "no image part") };
                if decode_png(data, "upload").is_err() {
                    return Response::error(400, "upload is not an image");
                }
                st.uploads.lock().expect("lock").insert(fname.clone(), data.clone());
                Response::json(200, &json!({ "name": fname, "subfolder": "", "type": "input" }))
            }
            ("POST", "/prompt") => {
                let Ok(body) = serde_json::from_slice::<Value>(&req.body) else { return Response::error(400, "not JSON") };
                let Some(graph) = body.get("prompt") else { return Response::error(400, "no prompt") };
                if body.get("client_id").and_then(Value::as_str).is_none() {
                    return Response::error(400, "client_id missing");
                }
                let uploads = st.uploads.lock().expect("lock").clone();
                if let Err(e) = comfy_validate(graph, &uploads) {
                    return Response::json(400, &json!({ "error": { "type": "prompt_outputs_failed_validation", "message": e }, "node_errors": {} }));
                }
                let n = faults.generated.load(Ordering::SeqCst);
                if n >= faults.fail_at.load(Ordering::SeqCst) {
                    return Response { delay, ..Response::error(500, "internal error") };
                }
                faults.seen.lock().expect("lock").push(graph.clone());
                // "Execute" the graph.
                let img = |node: &str| -> Canvas {
                    let name = graph[node]["inputs"]["image"].as_str().unwrap_or("");
                    decode_png(&uploads[name], "upload").expect("validated upload")
                };
                let pose = img("5");
                let seed = graph["8"]["inputs"]["seed"].as_u64().unwrap_or(0);
                let (w, h, init) = if graph["4"]["class_type"] == "VAEEncode" {
                    let init = img("11");
                    let d = graph["8"]["inputs"]["denoise"].as_f64().unwrap_or(1.0);
                    (init.width, init.height, Some((init, d)))
                } else {
                    (graph["4"]["inputs"]["width"].as_u64().unwrap_or(8) as u32, graph["4"]["inputs"]["height"].as_u64().unwrap_or(8) as u32, None)
                };
                let png = fake_diffusion(&pose, seed, w, h, init.as_ref().map(|(c, d)| (c, *d)));
                let id = format!("p-{}", st.counter.fetch_add(1, Ordering::SeqCst));
                let fname = format!("scene_agent_{:05}_.png", n);
                st.outputs.lock().expect("lock").insert(fname.clone(), png);
                st.history.lock().expect("lock").insert(id.clone(), (st.polls_before_done, fname));
                faults.generated.fetch_add(1, Ordering::SeqCst);
                Response { delay, ..Response::json(200, &json!({ "prompt_id": id, "number": n, "node_errors": {} })) }
            }
            ("GET", p) if p.starts_with("/history/") => {
                let id = &p["/history/".len()..];
                let mut hist = st.history.lock().expect("lock");
                let Some(entry) = hist.get_mut(id) else { return Response::json(200, &json!({})) };
                if entry.0 > 0 {
                    entry.0 -= 1;
                    return Response::json(200, &json!({}));
                }
                if st.fail_execution.load(Ordering::SeqCst) {
                    return Response::json(200, &json!({ id: { "outputs": {}, "status": { "status_str": "error", "completed": false,
                        "messages": [["execution_error", { "exception_message": "CUDA out of memory" }]] } } }));
                }
                Response::json(200, &json!({ id: {
                    "prompt": [],
                    "outputs": { "10": { "images": [{ "filename": entry.1, "subfolder": "", "type": "output" }] } },
                    "status": { "status_str": "success", "completed": true, "messages": [] } } }))
            }
            ("GET", "/view") => {
                if req.query.get("type").map(String::as_str) != Some("output") {
                    return Response::error(400, "type must be output");
                }
                let Some(name) = req.query.get("filename") else { return Response::error(400, "filename missing") };
                let n = faults.generated.load(Ordering::SeqCst);
                if n > faults.garbage_at.load(Ordering::SeqCst) {
                    return Response::bytes(200, "text/html", b"<html>proxy error</html>".to_vec());
                }
                match st.outputs.lock().expect("lock").get(name) {
                    Some(png) => Response { delay, ..Response::bytes(200, "image/png", png.clone()) },
                    None => Response::error(404, "no such file"),
                }
            }
            _ => Response::error(404, "Not Found"),
        }
    });
    (server, state)
}
