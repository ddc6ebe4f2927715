//! Resolving and pre-checking the input before Bevy starts: a `.glb` file or a scene output
//! folder (`scene.glb` + `manifest.json`). Reading the GLB's JSON chunk up front lets the viewer
//! fail with a clear message (missing file, not a GLB, folder without `scene.glb`) instead of a
//! Bevy asset error, and tells it the clip length, frame rate, character count and whether the
//! file has an animated camera.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why an input cannot be viewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError(pub String);

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SourceError {}

/// What the viewer needs to know about a GLB before loading it.
#[derive(Debug, Clone, PartialEq)]
pub struct GlbInfo {
    /// Absolute path of the `.glb` file.
    pub path: PathBuf,
    /// Clip length in seconds (last keyframe time of the first animation; 0 without animation).
    pub duration: f32,
    /// Keyframes per second of the first animation (20 for files from `motion`).
    pub fps: f32,
    /// Number of skinned characters.
    pub characters: usize,
    /// Number of animations in the file (the viewer plays the first, which drives every
    /// character and the camera in files from `motion`).
    pub animations: usize,
    /// The file has a camera node (a `CameraTrack` from `scene-agent build`).
    pub has_camera: bool,
}

impl GlbInfo {
    /// Number of frames (keyframes) in the clip.
    pub fn frames(&self) -> usize {
        (self.duration * self.fps).round() as usize + 1
    }
}

/// Frame rate used when a file has no animation to read one from (the project's canonical rate).
pub const DEFAULT_FPS: f32 = 20.0;

/// Turns a command-line path into the `.glb` to load: the file itself, or `DIR/scene.glb` for
/// a scene output folder. The result is absolute (Bevy resolves relative asset paths against
/// its asset folder, not the working directory).
pub fn resolve_input(path: &Path) -> Result<PathBuf, SourceError> {
    let meta = std::fs::metadata(path).map_err(|e| SourceError(format!("cannot open {}: {e}", path.display())))?;
    let file = if meta.is_dir() {
        let glb = path.join("scene.glb");
        if !glb.is_file() {
            return Err(SourceError(format!(
                "{} is a folder without scene.glb (expected a .glb file or a `scene-agent build` output folder)",
                path.display()
            )));
        }
        glb
    } else {
        path.to_path_buf()
    };
    std::path::absolute(&file).map_err(|e| SourceError(format!("cannot resolve {}: {e}", file.display())))
}

/// Resolves `path` (see [`resolve_input`]) and reads its GLB header and JSON chunk.
pub fn inspect(path: &Path) -> Result<GlbInfo, SourceError> {
    let file = resolve_input(path)?;
    let bytes = std::fs::read(&file).map_err(|e| SourceError(format!("cannot read {}: {e}", file.display())))?;
    let mut info = inspect_bytes(&bytes).map_err(|e| SourceError(format!("{}: {}", file.display(), e.0)))?;
    info.path = file;
    Ok(info)
}

/// Reads a GLB's header and JSON chunk (the `path` field is left empty).
pub fn inspect_bytes(bytes: &[u8]) -> Result<GlbInfo, SourceError> {
    let err = |m: &str| Err(SourceError(m.to_string()));
    if bytes.len() < 20 || &bytes[0..4] != b"glTF" {
        return err("not a GLB file (binary glTF starts with the bytes \"glTF\")");
    }
    let u32_at = |o: usize| u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize;
    if u32_at(4) != 2 {
        return Err(SourceError(format!("unsupported GLB version {} (need 2)", u32_at(4))));
    }
    let json_len = u32_at(12);
    if &bytes[16..20] != b"JSON" || 20 + json_len > bytes.len() {
        return err("damaged GLB: the first chunk is not a complete JSON chunk");
    }
    let doc: serde_json::Value = serde_json::from_slice(&bytes[20..20 + json_len])
        .map_err(|e| SourceError(format!("damaged GLB: invalid JSON chunk ({e})")))?;
    let list = |key: &str| doc.get(key).and_then(|v| v.as_array()).map(|a| a.as_slice()).unwrap_or(&[]);
    let accessors = list("accessors");
    let animations = list("animations");

    // Clip length and rate from the first animation's sampler inputs (keyframe times).
    let (mut duration, mut fps) = (0.0f32, DEFAULT_FPS);
    if let Some(anim) = animations.first() {
        let samplers = anim.get("samplers").and_then(|v| v.as_array()).map(|a| a.as_slice()).unwrap_or(&[]);
        let mut rate_found = false;
        for s in samplers {
            let Some(acc) = s.get("input").and_then(|v| v.as_u64()).and_then(|i| accessors.get(i as usize)) else {
                continue;
            };
            let max = acc.get("max").and_then(|m| m.get(0)).and_then(|v| v.as_f64()).unwrap_or(0.0) as f32;
            let count = acc.get("count").and_then(|v| v.as_u64()).unwrap_or(0);
            if max.is_finite() && max > duration {
                duration = max;
            }
            if !rate_found && count > 1 && max > 0.0 {
                fps = (count - 1) as f32 / max;
                rate_found = true;
            }
        }
    }
    let has_camera = !list("cameras").is_empty() && list("nodes").iter().any(|n| n.get("camera").is_some());
    Ok(GlbInfo {
        path: PathBuf::new(),
        duration,
        fps,
        characters: list("skins").len(),
        animations: animations.len(),
        has_camera,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_glb() {
        assert!(inspect_bytes(b"hello world, this is not a GLB").unwrap_err().0.contains("not a GLB"));
        assert!(inspect_bytes(b"").is_err());
    }

    #[test]
    fn reads_fixture() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/walk_2s.glb");
        let info = inspect(&path).unwrap();
        assert_eq!(info.characters, 1);
        assert!(!info.has_camera);
        assert!((info.duration - 2.0).abs() < 1e-4, "{}", info.duration);
        assert!((info.fps - 20.0).abs() < 1e-3);
        assert_eq!(info.frames(), 41);
        assert!(info.path.is_absolute());
    }

    #[test]
    fn folder_without_scene_glb_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = inspect(dir.path()).unwrap_err();
        assert!(e.0.contains("without scene.glb"), "{e}");
        assert!(inspect(&dir.path().join("missing.glb")).unwrap_err().0.contains("cannot open"));
    }
}
