//! Diffusion clients against local stand-in servers (127.0.0.1) that enforce each API's request
//! schema and return real PNGs computed from the request.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::{a1111_server, comfy_server, fake_diffusion, Faults};
use scene_render::diffusion::a1111::A1111;
use scene_render::diffusion::comfyui::ComfyUi;
use scene_render::diffusion::http::Http;
use scene_render::diffusion::render::{frame_name, render_sequence, PoseInput, RenderSettings, RenderSummary, TemporalOptions};
use scene_render::diffusion::{Backend, ControlMode, ControlNetParams, DiffusionError, GenParams};
use scene_render::image_io::decode_png;
use scene_render::sequence::{pose_png_name, write_pose_folder, Character, PoseSequence};
use scene_render::skeleton::{smpl, Joints22};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

const SIDE: u32 = 64;
const FRAMES: usize = 6;

/// A figure swinging its arms, so every frame differs.
fn frames() -> Vec<Joints22> {
    (0..FRAMES)
        .map(|i| {
            let s = i as f32 * 0.1;
            let mut j = [[0.0f32; 3]; 22];
            j[smpl::PELVIS] = [0.0, 0.9, 0.0];
            j[smpl::L_HIP] = [0.1, 0.85, 0.0];
            j[smpl::R_HIP] = [-0.1, 0.85, 0.0];
            j[smpl::L_KNEE] = [0.1, 0.45, 0.0];
            j[smpl::R_KNEE] = [-0.1, 0.45, 0.0];
            j[smpl::L_ANKLE] = [0.1, 0.05, 0.0];
            j[smpl::R_ANKLE] = [-0.1, 0.05, 0.0];
            j[smpl::SPINE3] = [0.0, 1.3, 0.0];
            j[smpl::NECK] = [0.0, 1.5, 0.0];
            j[smpl::HEAD] = [0.0, 1.6, 0.0];
            j[smpl::L_SHOULDER] = [0.18, 1.42, 0.0];
            j[smpl::R_SHOULDER] = [-0.18, 1.42, 0.0];
            j[smpl::L_ELBOW] = [0.45, 1.42 - s, 0.0];
            j[smpl::R_ELBOW] = [-0.45, 1.42 + s, 0.0];
            j[smpl::L_WRIST] = [0.7, 1.42 - 2.0 * s, 0.0];
            j[smpl::R_WRIST] = [-0.7, 1.42 + 2.0 * s, 0.0];
            j
        })
        .collect()
}

fn pose_dir(root: &Path) -> std::path::PathBuf {
    let seq = PoseSequence {
        characters: vec![Character { name: "a".into(), frames: frames() }],
        camera: None,
        width: SIDE,
        height: SIDE,
        fps: 20.0,
        auto_fov_y_deg: 40.0,
    };
    let dir = root.join("poses");
    write_pose_folder(&seq, &dir, None).expect("poses");
    dir
}

fn gen_params() -> GenParams {
    GenParams {
        prompt: "a dancer, studio light".into(),
        negative_prompt: "blurry".into(),
        steps: 20,
        cfg_scale: 7.0,
        sampler: "Euler a".into(),
        comfy_sampler: "euler".into(),
        comfy_scheduler: "normal".into(),
        width: SIDE,
        height: SIDE,
        checkpoint: "v1-5-pruned-emaonly.safetensors".into(),
    }
}

fn cn() -> ControlNetParams {
    ControlNetParams {
        model: "control_v11p_sd15_openpose [cab727d4]".into(),
        weight: 1.0,
        guidance_start: 0.0,
        guidance_end: 1.0,
        control_mode: ControlMode::Balanced,
        pixel_perfect: true,
    }
}

fn temporal() -> TemporalOptions {
    TemporalOptions { seed: 1234, loopback_denoise: None, blend_weights: None, every_nth: 1 }
}

fn settings(backend: &str, t: &TemporalOptions) -> RenderSettings {
    RenderSettings { backend: backend.into(), generation: gen_params(), controlnet: cn(), temporal: t.clone() }
}

fn run(backend: &mut dyn Backend, t: &TemporalOptions, poses: &Path, out: &Path) -> Result<RenderSummary, DiffusionError> {
    let settings = settings(backend.name(), t);
    render_sequence(backend, &settings, PoseInput { dir: poses, frames: FRAMES, fps: 20.0 }, out, false, None)
}

fn a1111(url: &str, timeout: Duration) -> A1111 {
    A1111::new(Http::new(url, timeout, None).expect("http"), gen_params(), cn()).expect("backend")
}

fn comfy(url: &str) -> ComfyUi {
    let mut c = ComfyUi::new(Http::new(url, Duration::from_secs(10), None).expect("http"), gen_params(), cn(), Duration::from_secs(10))
        .expect("backend");
    c.poll_interval = Duration::from_millis(10);
    c
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn raw_count(out: &Path) -> usize {
    std::fs::read_dir(out.join("raw")).map(|d| d.count()).unwrap_or(0)
}

/// Expected output of the stand-in for frame `f` (txt2img).
fn expected(poses: &Path, f: usize, seed: u64) -> Vec<u8> {
    let pose = decode_png(&read(poses, &pose_png_name(f)), "pose").expect("pose");
    fake_diffusion(&pose, seed, SIDE, SIDE, None)
}

/// Number of frames announced in an APNG's acTL chunk.
fn apng_frames(bytes: &[u8]) -> Option<u32> {
    let i = bytes.windows(4).position(|w| w == b"acTL")?;
    Some(u32::from_be_bytes(bytes[i + 4..i + 8].try_into().ok()?))
}

#[test]
fn a1111_txt2img_fixed_seed_all_frames_and_preview() {
    let tmp = tempfile::tempdir().expect("tmp");
    let poses = pose_dir(tmp.path());
    let faults = Faults::new();
    let server = a1111_server(faults.clone());
    let out = tmp.path().join("out");
    let s = run(&mut a1111(&server.url, Duration::from_secs(10)), &temporal(), &poses, &out).expect("render");
    assert_eq!((s.generated, s.kept_from_before), (FRAMES, 0));
    let seen = faults.seen.lock().expect("lock");
    assert_eq!(seen.len(), FRAMES);
    for (f, body) in seen.iter().enumerate() {
        assert_eq!(body["seed"], 1234, "one seed for every frame");
        assert!(body.get("init_images").is_none());
        assert_eq!(body["alwayson_scripts"]["controlnet"]["args"][0]["save_detected_map"], false);
        // The server's output is a function of the pose it received: the right pose was sent.
        assert_eq!(read(&out.join("raw"), &frame_name(f)), expected(&poses, f, 1234), "frame {f}");
        assert_eq!(read(&out.join("frames"), &frame_name(f)), read(&out.join("raw"), &frame_name(f)));
    }
    assert_eq!(apng_frames(&read(&out, "preview.png")), Some(FRAMES as u32));
}

#[test]
fn a1111_loopback_sends_previous_output_as_init() {
    let tmp = tempfile::tempdir().expect("tmp");
    let poses = pose_dir(tmp.path());
    let faults = Faults::new();
    let server = a1111_server(faults.clone());
    let out = tmp.path().join("out");
    let t = TemporalOptions { loopback_denoise: Some(0.35), ..temporal() };
    run(&mut a1111(&server.url, Duration::from_secs(10)), &t, &poses, &out).expect("render");
    let seen = faults.seen.lock().expect("lock");
    assert!(seen[0].get("init_images").is_none(), "first frame has nothing to loop back");
    for f in 1..FRAMES {
        let init = B64.decode(seen[f]["init_images"][0].as_str().expect("init")).expect("b64");
        assert_eq!(init, read(&out.join("raw"), &frame_name(f - 1)), "frame {f} init = output {}", f - 1);
        assert_eq!(seen[f]["denoising_strength"], 0.35);
    }
}

#[test]
fn a1111_server_error_keeps_frames_and_resume_continues() {
    let tmp = tempfile::tempdir().expect("tmp");
    let poses = pose_dir(tmp.path());
    let faults = Faults::new();
    faults.fail_at.store(3, Ordering::SeqCst);
    let server = a1111_server(faults.clone());
    let out = tmp.path().join("out");
    let err = run(&mut a1111(&server.url, Duration::from_secs(10)), &temporal(), &poses, &out).expect_err("500");
    assert!(matches!(err, DiffusionError::Status { status: 500, .. }), "{err}");
    assert!(err.to_string().contains("/sdapi/v1/txt2img") && err.to_string().contains("CUDA out of memory"), "{err}");
    assert_eq!(raw_count(&out), 3, "finished frames are kept, nothing half-written");
    let before: Vec<_> = (0..3).map(|f| read(&out.join("raw"), &frame_name(f))).collect();
    faults.fail_at.store(usize::MAX, Ordering::SeqCst);
    let s = run(&mut a1111(&server.url, Duration::from_secs(10)), &temporal(), &poses, &out).expect("resume");
    assert_eq!((s.kept_from_before, s.generated), (3, 3));
    for (f, b) in before.iter().enumerate() {
        assert_eq!(&read(&out.join("raw"), &frame_name(f)), b);
    }
    assert_eq!(faults.generated.load(Ordering::SeqCst), FRAMES, "no frame generated twice");
}

#[test]
fn a1111_timeout_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let poses = pose_dir(tmp.path());
    let faults = Faults::new();
    faults.delay_ms.store(3000, Ordering::SeqCst);
    let server = a1111_server(faults.clone());
    let out = tmp.path().join("out");
    let err = run(&mut a1111(&server.url, Duration::from_millis(700)), &temporal(), &poses, &out).expect_err("timeout");
    assert!(matches!(err, DiffusionError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("timeout"), "{err}");
    assert_eq!(raw_count(&out), 0);
}

#[test]
fn a1111_malformed_image_is_an_error_and_earlier_frames_stay() {
    let tmp = tempfile::tempdir().expect("tmp");
    let poses = pose_dir(tmp.path());
    let faults = Faults::new();
    faults.garbage_at.store(2, Ordering::SeqCst);
    let server = a1111_server(faults.clone());
    let out = tmp.path().join("out");
    let err = run(&mut a1111(&server.url, Duration::from_secs(10)), &temporal(), &poses, &out).expect_err("garbage");
    assert!(matches!(err, DiffusionError::Malformed { .. }), "{err:?}");
    assert!(err.to_string().contains("not a PNG"), "{err}");
    assert_eq!(raw_count(&out), 2);
}

#[test]
fn unreachable_server_is_a_connect_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let poses = pose_dir(tmp.path());
    // Bind then drop to get a closed local port.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let out = tmp.path().join("out");
    let err = run(&mut a1111(&format!("http://127.0.0.1:{port}"), Duration::from_secs(5)), &temporal(), &poses, &out)
        .expect_err("refused");
    assert!(matches!(err, DiffusionError::Connect { .. }), "{err:?}");
}

#[test]
fn changed_settings_are_refused_on_resume() {
    let tmp = tempfile::tempdir().expect("tmp");
    let poses = pose_dir(tmp.path());
    let server = a1111_server(Faults::new());
    let out = tmp.path().join("out");
    run(&mut a1111(&server.url, Duration::from_secs(10)), &temporal(), &poses, &out).expect("render");
    let other = TemporalOptions { seed: 99, ..temporal() };
    let err = run(&mut a1111(&server.url, Duration::from_secs(10)), &other, &poses, &out).expect_err("changed");
    assert!(matches!(err, DiffusionError::SettingsChanged { .. }), "{err:?}");
}

#[test]
fn blend_weights_mix_adjacent_frames() {
    let tmp = tempfile::tempdir().expect("tmp");
    let poses = pose_dir(tmp.path());
    let server = a1111_server(Faults::new());
    let out = tmp.path().join("out");
    let t = TemporalOptions { blend_weights: Some(vec![0.1, 0.8, 0.1]), ..temporal() };
    run(&mut a1111(&server.url, Duration::from_secs(10)), &t, &poses, &out).expect("render");
    let raw: Vec<_> = (0..FRAMES).map(|f| decode_png(&read(&out.join("raw"), &frame_name(f)), "raw").expect("png")).collect();
    let f = 2;
    let blended = decode_png(&read(&out.join("frames"), &frame_name(f)), "final").expect("png");
    let mut differs = false;
    for i in 0..blended.rgb.len() {
        let want = (0.1 * raw[f - 1].rgb[i] as f64 + 0.8 * raw[f].rgb[i] as f64 + 0.1 * raw[f + 1].rgb[i] as f64).round();
        assert!((blended.rgb[i] as f64 - want).abs() <= 1.0, "byte {i}: {} vs {want}", blended.rgb[i]);
        differs |= blended.rgb[i] != raw[f].rgb[i];
    }
    assert!(differs, "blending changed the frame");
}

#[test]
fn comfyui_graph_validates_and_every_nth_frame_renders() {
    let tmp = tempfile::tempdir().expect("tmp");
    let poses = pose_dir(tmp.path());
    let faults = Faults::new();
    let (server, state) = comfy_server(faults.clone(), 2);
    let out = tmp.path().join("out");
    let t = TemporalOptions { every_nth: 2, ..temporal() };
    let s = run(&mut comfy(&server.url), &t, &poses, &out).expect("render");
    assert_eq!(s.frames, vec![0, 2, 4]);
    assert_eq!(raw_count(&out), 3);
    for f in [0, 2, 4] {
        assert_eq!(read(&out.join("raw"), &frame_name(f)), expected(&poses, f, 1234), "frame {f}");
    }
    assert!(!out.join("raw").join(frame_name(1)).exists());
    let seen = faults.seen.lock().expect("lock");
    assert_eq!(seen[0]["8"]["inputs"]["seed"], 1234);
    assert_eq!(seen[0]["4"]["class_type"], "EmptyLatentImage");
    assert_eq!(seen[0]["6"]["inputs"]["control_net_name"], "control_v11p_sd15_openpose [cab727d4]");
    assert_eq!(state.uploads.lock().expect("lock").len(), 3, "one pose upload per rendered frame");
    assert_eq!(apng_frames(&read(&out, "preview.png")), Some(3));
}

#[test]
fn comfyui_loopback_encodes_previous_output() {
    let tmp = tempfile::tempdir().expect("tmp");
    let poses = pose_dir(tmp.path());
    let faults = Faults::new();
    let (server, state) = comfy_server(faults.clone(), 0);
    let out = tmp.path().join("out");
    let t = TemporalOptions { loopback_denoise: Some(0.4), ..temporal() };
    run(&mut comfy(&server.url), &t, &poses, &out).expect("render");
    let seen = faults.seen.lock().expect("lock");
    assert_eq!(seen[0]["4"]["class_type"], "EmptyLatentImage");
    let uploads = state.uploads.lock().expect("lock");
    for f in 1..FRAMES {
        assert_eq!(seen[f]["4"]["class_type"], "VAEEncode");
        assert_eq!(seen[f]["8"]["inputs"]["denoise"], 0.4);
        let init_name = seen[f]["11"]["inputs"]["image"].as_str().expect("init name");
        assert_eq!(uploads[init_name], read(&out.join("raw"), &frame_name(f - 1)));
    }
}

#[test]
fn comfyui_execution_error_and_bad_view_are_reported() {
    let tmp = tempfile::tempdir().expect("tmp");
    let poses = pose_dir(tmp.path());
    let faults = Faults::new();
    let (server, state) = comfy_server(faults.clone(), 1);
    state.fail_execution.store(true, Ordering::SeqCst);
    let out = tmp.path().join("out");
    let err = run(&mut comfy(&server.url), &temporal(), &poses, &out).expect_err("exec error");
    assert!(matches!(err, DiffusionError::Server(_)) && err.to_string().contains("CUDA out of memory"), "{err}");
    assert_eq!(raw_count(&out), 0);

    state.fail_execution.store(false, Ordering::SeqCst);
    faults.garbage_at.store(faults.generated.load(Ordering::SeqCst) + 1, Ordering::SeqCst);
    let err = run(&mut comfy(&server.url), &temporal(), &poses, &out).expect_err("html instead of png");
    assert!(matches!(err, DiffusionError::Malformed { .. }), "{err:?}");
    assert_eq!(raw_count(&out), 1, "the frame finished before the bad reply is kept");
}

#[test]
fn comfyui_graph_timeout_while_waiting() {
    let tmp = tempfile::tempdir().expect("tmp");
    let poses = pose_dir(tmp.path());
    let (server, _state) = comfy_server(Faults::new(), 1_000_000);
    let mut c = comfy(&server.url);
    c.max_wait = Duration::from_millis(300);
    let err = run(&mut c, &temporal(), &poses, &tmp.path().join("out")).expect_err("never done");
    assert!(matches!(err, DiffusionError::Timeout { .. }) && err.to_string().contains("/history/"), "{err}");
}

#[test]
fn restart_discards_old_frames_and_settings() {
    let tmp = tempfile::tempdir().expect("tmp");
    let poses = pose_dir(tmp.path());
    let faults = Faults::new();
    let server = a1111_server(faults.clone());
    let out = tmp.path().join("out");
    run(&mut a1111(&server.url, Duration::from_secs(10)), &temporal(), &poses, &out).expect("render");
    assert_eq!(raw_count(&out), FRAMES);
    let t = TemporalOptions { every_nth: 3, ..temporal() };
    let settings = settings("a1111", &t);
    let s = render_sequence(&mut a1111(&server.url, Duration::from_secs(10)), &settings, PoseInput { dir: &poses, frames: FRAMES, fps: 20.0 }, &out, true, None)
        .expect("restart");
    assert_eq!((s.generated, s.kept_from_before), (2, 0));
    assert_eq!(raw_count(&out), 2, "frames of the old selection are gone");
    assert_eq!(std::fs::read_dir(out.join("frames")).expect("frames").count(), 2);
}

#[test]
fn credentials_go_in_the_authorization_header_only() {
    let tmp = tempfile::tempdir().expect("tmp");
    let poses = pose_dir(tmp.path());
    let server = common::serve(|req| {
        if req.headers.get("authorization").map(String::as_str) != Some("Basic dXNlcjpzM2NyZXQ=") {
            return common::Response::error(401, "Not authenticated");
        }
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
        match common::a1111_generate(&body, false) {
            Ok(png) => common::Response::json(200, &serde_json::json!({ "images": [B64.encode(png)] })),
            Err(e) => common::Response::error(422, &e),
        }
    });
    let out = tmp.path().join("out");
    let err = run(&mut a1111(&server.url, Duration::from_secs(10)), &temporal(), &poses, &out).expect_err("401");
    assert!(matches!(err, DiffusionError::Status { status: 401, .. }), "{err:?}");
    let auth = scene_render::diffusion::http::authorization_from_secret("user:s3cret");
    let http = Http::new(&server.url, Duration::from_secs(10), Some(auth)).expect("http");
    let mut backend = A1111::new(http, gen_params(), cn()).expect("backend");
    run(&mut backend, &temporal(), &poses, &out).expect("authenticated");
    let settings = std::fs::read_to_string(out.join("render.json")).expect("settings");
    assert!(!settings.contains("s3cret") && !settings.contains("dXNlcjpzM2NyZXQ"));
}
