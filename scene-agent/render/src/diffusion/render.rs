//! The frame loop: pose folder in, diffused frames out, resumable, with the rotoscoping
//! workflow's temporal options. Layout of the output folder:
//!
//! * `raw/frame_NNNNN.png` — backend outputs, written atomically as each frame finishes; a
//!   rerun keeps every valid one and continues after it;
//! * `frames/frame_NNNNN.png` — final frames (blended when blend weights are given);
//! * `preview.png` (animated PNG) and `preview.mp4` when `ffmpeg` is on the PATH;
//! * `render.json` — the settings, so a resume with different settings is refused.

use super::{Backend, DiffusionError, FrameRequest};
use crate::draw::Canvas;
use crate::fsutil::{child, create_dir, write_atomic};
use crate::image_io::{decode_png, encode_png};
use crate::sequence::pose_png_name;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Temporal consistency options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemporalOptions {
    /// One seed for every frame (the main flicker reducer).
    pub seed: u64,
    /// img2img loopback: previous output as init image with this denoising strength (0..=1).
    pub loopback_denoise: Option<f64>,
    /// Blend each final frame from its neighbours, e.g. `[0.1, 0.8, 0.1]` (odd length, centred).
    pub blend_weights: Option<Vec<f64>>,
    /// Diffuse only every Nth pose frame (1 = all).
    pub every_nth: usize,
}

impl TemporalOptions {
    pub fn validate(&self) -> Result<(), DiffusionError> {
        let bad = |m: String| Err(DiffusionError::Config(m));
        if self.every_nth == 0 || self.every_nth > 1000 {
            return bad(format!("every-nth {} outside 1..=1000", self.every_nth));
        }
        if let Some(d) = self.loopback_denoise
            && !(d.is_finite() && d > 0.0 && d <= 1.0)
        {
            return bad(format!("loopback denoising strength {d} outside (0, 1]"));
        }
        if let Some(w) = &self.blend_weights {
            if w.is_empty() || w.len() % 2 == 0 || w.len() > 31 {
                return bad(format!("blend weights need an odd count ≤ 31, got {}", w.len()));
            }
            if w.iter().any(|v| !v.is_finite() || *v < 0.0) || w.iter().sum::<f64>() <= 0.0 {
                return bad("blend weights must be non-negative with a positive sum".into());
            }
        }
        Ok(())
    }

    /// Parse "0.1,0.8,0.1".
    pub fn parse_weights(s: &str) -> Result<Vec<f64>, DiffusionError> {
        s.split(',')
            .map(|p| p.trim().parse::<f64>().map_err(|e| DiffusionError::Config(format!("blend weight {p:?}: {e}"))))
            .collect()
    }
}

pub fn frame_name(frame: usize) -> String {
    format!("frame_{frame:05}.png")
}

pub const RAW_DIR: &str = "raw";
pub const FRAMES_DIR: &str = "frames";
pub const SETTINGS_NAME: &str = "render.json";
pub const PREVIEW_APNG: &str = "preview.png";
pub const PREVIEW_MP4: &str = "preview.mp4";
pub const MAX_PREVIEW_FRAMES: usize = 2000;

/// Everything that determines the pixels; compared on resume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderSettings {
    pub backend: String,
    pub generation: super::GenParams,
    pub controlnet: super::ControlNetParams,
    pub temporal: TemporalOptions,
}

#[derive(Debug, Clone, Default)]
pub struct RenderSummary {
    /// Source (pose) frame indices that were diffused, in order.
    pub frames: Vec<usize>,
    pub generated: usize,
    pub kept_from_before: usize,
    pub preview_apng: Option<PathBuf>,
    pub preview_mp4: Option<PathBuf>,
}

/// A folder of pose frames (`pose_NNNNN.png`, `frames` of them) at `fps`.
#[derive(Debug, Clone, Copy)]
pub struct PoseInput<'a> {
    pub dir: &'a Path,
    pub frames: usize,
    pub fps: f64,
}

/// Diffuse the pose frames into `out_dir`. `restart` discards earlier frames instead of resuming.
pub fn render_sequence(
    backend: &mut dyn Backend,
    settings: &RenderSettings,
    poses: PoseInput<'_>,
    out_dir: &Path,
    restart: bool,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<RenderSummary, DiffusionError> {
    let PoseInput { dir: pose_dir, frames: frame_count, fps } = poses;
    settings.temporal.validate()?;
    if frame_count == 0 || frame_count > crate::sequence::MAX_FRAMES {
        return Err(DiffusionError::Config(format!(
            "{frame_count} pose frames outside 1..={}",
            crate::sequence::MAX_FRAMES
        )));
    }
    create_dir(out_dir)?;
    let raw_dir = out_dir.join(RAW_DIR);
    let frames_dir = out_dir.join(FRAMES_DIR);
    create_dir(&raw_dir)?;
    create_dir(&frames_dir)?;
    check_settings(out_dir, settings, restart)?;
    if restart {
        // Stale frames from another frame selection would leak into the preview.
        for dir in [&raw_dir, &frames_dir] {
            remove_frames(dir)?;
        }
    }

    let t = &settings.temporal;
    let todo: Vec<usize> = (0..frame_count).step_by(t.every_nth).collect();
    let mut summary = RenderSummary { frames: todo.clone(), ..Default::default() };
    if let Some(p) = progress {
        p.set_length(todo.len() as u64);
    }
    let mut previous: Option<Vec<u8>> = None;
    for &frame in &todo {
        let raw_path = child(&raw_dir, &frame_name(frame))?;
        if !restart && let Some(png) = read_valid_png(&raw_path) {
            summary.kept_from_before += 1;
            previous = Some(png);
            if let Some(p) = progress {
                p.inc(1);
            }
            continue;
        }
        let pose_path = child(pose_dir, &pose_png_name(frame))?;
        let pose = std::fs::read(&pose_path)
            .map_err(|e| crate::RenderError::Io { path: pose_path.clone(), source: e })?;
        let init = match (t.loopback_denoise, previous.as_deref()) {
            (Some(d), Some(prev)) => Some((prev, d)),
            _ => None,
        };
        let png = backend.generate(&FrameRequest { frame, pose_png: &pose, seed: t.seed, init })?;
        write_atomic(&raw_dir, &frame_name(frame), &png)?;
        summary.generated += 1;
        previous = Some(png);
        if let Some(p) = progress {
            p.inc(1);
        }
    }

    write_final_frames(&raw_dir, &frames_dir, &todo, t.blend_weights.as_deref())?;
    let out_fps = fps / t.every_nth as f64;
    summary.preview_apng = Some(write_apng_preview(&frames_dir, &todo, out_fps, &out_dir.join(PREVIEW_APNG))?);
    summary.preview_mp4 = write_mp4_preview(&frames_dir, out_fps, out_dir);
    Ok(summary)
}

fn remove_frames(dir: &Path) -> Result<(), DiffusionError> {
    let io = |e: std::io::Error| crate::RenderError::Io { path: dir.to_path_buf(), source: e };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("frame_") && name.ends_with(".png") {
            std::fs::remove_file(&path).map_err(io)?;
        }
    }
    Ok(())
}

fn read_valid_png(path: &Path) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).ok()?;
    decode_png(&bytes, "existing frame").ok()?;
    Some(bytes)
}

fn check_settings(out_dir: &Path, settings: &RenderSettings, restart: bool) -> Result<(), DiffusionError> {
    let path = out_dir.join(SETTINGS_NAME);
    if !restart && let Ok(text) = std::fs::read_to_string(&path) {
        let old: Result<RenderSettings, _> = serde_json::from_str(&text);
        match old {
            Ok(old) if &old == settings => {}
            Ok(old) => {
                let what = if old.generation != settings.generation {
                    "generation parameters"
                } else if old.controlnet != settings.controlnet {
                    "ControlNet parameters"
                } else if old.temporal != settings.temporal {
                    "temporal options"
                } else {
                    "backend"
                };
                return Err(DiffusionError::SettingsChanged { dir: out_dir.display().to_string(), what: what.into() });
            }
            Err(e) => {
                return Err(DiffusionError::SettingsChanged {
                    dir: out_dir.display().to_string(),
                    what: format!("unreadable {SETTINGS_NAME}: {e}"),
                });
            }
        }
    }
    let bytes = serde_json::to_vec_pretty(settings).map_err(|e| DiffusionError::Config(e.to_string()))?;
    write_atomic(out_dir, SETTINGS_NAME, &bytes)?;
    Ok(())
}

/// Weighted average of a frame and its neighbours: `neighbours[k]` is the frame at offset
/// `k - weights.len() / 2` (`None` past the sequence ends, whose weight is dropped and the rest
/// renormalised). Frames of another size than the centre one are skipped.
pub fn blend(neighbours: &[Option<&Canvas>], weights: &[f64]) -> Option<Canvas> {
    let base = (*neighbours.get(weights.len() / 2)?)?;
    let mut acc = vec![0f64; base.rgb.len()];
    let mut wsum = 0.0;
    for (f, &w) in neighbours.iter().zip(weights) {
        let Some(f) = f else { continue };
        if f.width != base.width || f.height != base.height || w == 0.0 {
            continue;
        }
        wsum += w;
        for (a, &v) in acc.iter_mut().zip(&f.rgb) {
            *a += w * v as f64;
        }
    }
    if wsum <= 0.0 {
        return Some(base.clone());
    }
    Some(Canvas {
        width: base.width,
        height: base.height,
        rgb: acc.iter().map(|v| (v / wsum).round().clamp(0.0, 255.0) as u8).collect(),
    })
}

fn load(dir: &Path, frame: usize) -> Result<Canvas, DiffusionError> {
    let path = child(dir, &frame_name(frame))?;
    let bytes = std::fs::read(&path).map_err(|e| crate::RenderError::Io { path: path.clone(), source: e })?;
    Ok(decode_png(&bytes, &path.display().to_string())?)
}

fn write_final_frames(raw_dir: &Path, frames_dir: &Path, todo: &[usize], weights: Option<&[f64]>) -> Result<(), DiffusionError> {
    let Some(w) = weights.filter(|w| w.len() > 1) else {
        for &f in todo {
            let src = child(raw_dir, &frame_name(f))?;
            let bytes = std::fs::read(&src).map_err(|e| crate::RenderError::Io { path: src.clone(), source: e })?;
            write_atomic(frames_dir, &frame_name(f), &bytes)?;
        }
        return Ok(());
    };
    // Sliding window of decoded frames, so memory stays at `weights.len()` frames.
    let half = w.len() / 2;
    let mut cache: Vec<(usize, Canvas)> = Vec::new();
    for (pos, &f) in todo.iter().enumerate() {
        cache.retain(|(p, _)| *p + half >= pos);
        let lo = pos.saturating_sub(half);
        for (p, &frame) in todo.iter().enumerate().take(pos + half + 1).skip(lo) {
            if !cache.iter().any(|(q, _)| *q == p) {
                cache.push((p, load(raw_dir, frame)?));
            }
        }
        let neighbours: Vec<Option<&Canvas>> = (0..w.len())
            .map(|k| {
                let p = (pos + k).checked_sub(half)?;
                cache.iter().find(|(q, _)| *q == p).map(|(_, c)| c)
            })
            .collect();
        let out = blend(&neighbours, w).ok_or_else(|| DiffusionError::Config("blend window without centre frame".into()))?;
        write_atomic(frames_dir, &frame_name(f), &encode_png(&out)?)?;
    }
    Ok(())
}

/// Animated PNG of the final frames at `fps` (downscaled to ≤ 512 px wide to stay small).
pub fn write_apng_preview(frames_dir: &Path, todo: &[usize], fps: f64, dest: &Path) -> Result<PathBuf, DiffusionError> {
    let frames: Vec<usize> = todo.iter().copied().take(MAX_PREVIEW_FRAMES).collect();
    let Some(&first_frame) = frames.first() else {
        return Err(DiffusionError::Config("no frames to preview".into()));
    };
    let first = load(frames_dir, first_frame)?;
    let factor = first.width.div_ceil(512).max(1);
    let (w, h) = ((first.width / factor).max(1), (first.height / factor).max(1));
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let err = |e: png::EncodingError| crate::RenderError::Image(format!("APNG: {e}"));
        enc.set_animated(frames.len() as u32, 0).map_err(err)?;
        // Frame delay as a fraction of a second: 1000 / (fps × 1000).
        let den = (fps * 100.0).round().clamp(1.0, u16::MAX as f64) as u16;
        enc.set_frame_delay(100, den).map_err(err)?;
        let mut writer = enc.write_header().map_err(err)?;
        for &f in &frames {
            let c = load(frames_dir, f)?;
            let c = if c.width == first.width && c.height == first.height { c } else { first.clone() };
            let small = crate::image_io::downscale(&c, factor);
            let small = if small.width == w && small.height == h { small } else { Canvas::new(w, h) };
            writer.write_image_data(&small.rgb).map_err(err)?;
        }
        writer.finish().map_err(err)?;
    }
    let dir = dest.parent().unwrap_or(Path::new("."));
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or(PREVIEW_APNG);
    Ok(write_atomic(dir, name, &bytes)?)
}

/// `preview.mp4` via ffmpeg when it is installed; `None` (silently) otherwise or on failure.
pub fn write_mp4_preview(frames_dir: &Path, fps: f64, out_dir: &Path) -> Option<PathBuf> {
    let ok = std::process::Command::new("ffmpeg")
        .arg("-version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return None;
    }
    let tmp = out_dir.join(".preview.tmp.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-y", "-loglevel", "error", "-framerate", &format!("{fps}"), "-pattern_type", "glob", "-i"])
        .arg(frames_dir.join("frame_*.png"))
        .args(["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p", "-c:v", "libx264"])
        .arg(&tmp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    let dest = out_dir.join(PREVIEW_MP4);
    match status {
        Ok(s) if s.success() && std::fs::rename(&tmp, &dest).is_ok() => Some(dest),
        _ => {
            let _ = std::fs::remove_file(&tmp);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(v: u8) -> Canvas {
        Canvas { width: 2, height: 1, rgb: vec![v; 6] }
    }

    #[test]
    fn blend_weights_and_edges() {
        let (a, b, c) = (solid(0), solid(100), solid(200));
        let w = [0.1, 0.8, 0.1];
        let mid = blend(&[Some(&a), Some(&b), Some(&c)], &w).expect("centre");
        assert_eq!(mid.rgb[0], 100);
        let skew = blend(&[Some(&a), Some(&b), Some(&b)], &w).expect("centre");
        assert_eq!(skew.rgb[0], 90);
        // At the first frame the missing left neighbour's weight is dropped: (0.8·0 + 0.1·100)/0.9.
        assert_eq!(blend(&[None, Some(&a), Some(&b)], &w).expect("centre").rgb[0], 11);
        assert!(blend(&[Some(&a), None, Some(&b)], &w).is_none());
    }

    #[test]
    fn weights_parse_and_validate() {
        let w = TemporalOptions::parse_weights("0.1, 0.8,0.1").expect("parse");
        let t = TemporalOptions { seed: 1, loopback_denoise: Some(0.4), blend_weights: Some(w), every_nth: 2 };
        t.validate().expect("valid");
        let even = TemporalOptions { blend_weights: Some(vec![0.5, 0.5]), ..t.clone() };
        assert!(even.validate().is_err());
        assert!(TemporalOptions { every_nth: 0, ..t.clone() }.validate().is_err());
        assert!(TemporalOptions { loopback_denoise: Some(1.5), ..t }.validate().is_err());
        assert!(TemporalOptions::parse_weights("0.1,x").is_err());
    }
}
