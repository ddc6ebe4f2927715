//! Characters + camera → per-frame OpenPose images and JSON in an output folder.

use crate::camera::{Camera, CameraPath, Projector};
use crate::draw::{Canvas, Pose18, PoseDrawer};
use crate::fsutil::{create_dir, write_atomic};
use crate::image_io::{contact_sheet, encode_png, MAX_SIDE_PX};
use crate::openpose_json::OpenPoseFrame;
use crate::skeleton::{coco18_world, Joints22};
use crate::RenderError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const MAX_FRAMES: usize = 100_000;
pub const MAX_CHARACTERS: usize = 64;
pub const MIN_SIDE_PX: u32 = 16;

/// One character's motion: joint positions per frame (see [`Joints22`]).
#[derive(Debug, Clone)]
pub struct Character {
    pub name: String,
    pub frames: Vec<Joints22>,
}

pub fn check_canvas(width: u32, height: u32) -> Result<(), RenderError> {
    if !(MIN_SIDE_PX..=MAX_SIDE_PX).contains(&width) || !(MIN_SIDE_PX..=MAX_SIDE_PX).contains(&height) {
        return Err(RenderError::Limit(format!(
            "canvas {width}×{height} outside {MIN_SIDE_PX}..={MAX_SIDE_PX} px per side"
        )));
    }
    Ok(())
}

/// Everything needed to draw a pose sequence.
#[derive(Debug, Clone)]
pub struct PoseSequence {
    pub characters: Vec<Character>,
    /// `None`: frame every joint of every character over all frames once (fixed framing).
    pub camera: Option<CameraPath>,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    /// Field of view used when the camera is framed automatically.
    pub auto_fov_y_deg: f64,
}

impl PoseSequence {
    /// Frames in the sequence: the longest character; shorter ones hold their last pose.
    pub fn frame_count(&self) -> usize {
        self.characters.iter().map(|c| c.frames.len()).max().unwrap_or(0)
    }

    pub fn validate(&self) -> Result<(), RenderError> {
        check_canvas(self.width, self.height)?;
        if self.characters.is_empty() {
            return Err(RenderError::Input("no characters".into()));
        }
        if self.characters.len() > MAX_CHARACTERS {
            return Err(RenderError::Limit(format!("{} characters > {MAX_CHARACTERS}", self.characters.len())));
        }
        if let Some(c) = self.characters.iter().find(|c| c.frames.is_empty()) {
            return Err(RenderError::Input(format!("character {:?} has no frames", c.name)));
        }
        if self.frame_count() > MAX_FRAMES {
            return Err(RenderError::Limit(format!("{} frames > {MAX_FRAMES}", self.frame_count())));
        }
        if !(self.fps > 0.0 && self.fps <= 240.0) {
            return Err(RenderError::Input(format!("fps {} outside (0, 240]", self.fps)));
        }
        if let Some(c) = &self.camera {
            c.validate()?;
        }
        Ok(())
    }

    /// The camera path actually used: the given one, or a fixed camera framing everything.
    pub fn resolved_camera(&self) -> Result<CameraPath, RenderError> {
        match &self.camera {
            Some(c) => Ok(c.clone()),
            None => {
                let pts = self.characters.iter().flat_map(|c| c.frames.iter().flatten());
                Ok(CameraPath::Fixed(Camera::frame_points(pts, self.width, self.height, self.auto_fov_y_deg)?))
            }
        }
    }
}

/// Project every character at `frame` (held at its last pose past its end).
pub fn project_frame(characters: &[Character], frame: usize, projector: &Projector, out: &mut Vec<Pose18>) {
    out.clear();
    for c in characters {
        let Some(joints) = c.frames.get(frame).or(c.frames.last()) else { continue };
        let world = coco18_world(joints);
        let mut pose: Pose18 = [None; 18];
        for (k, p) in world.iter().enumerate() {
            pose[k] = p.and_then(|p| projector.project(p));
        }
        out.push(pose);
    }
}

/// Draws frames of a sequence into one reused canvas.
pub struct PoseFrames<'a> {
    seq: &'a PoseSequence,
    camera: CameraPath,
    drawer: PoseDrawer,
    people: Vec<Pose18>,
    pub canvas: Canvas,
}

impl<'a> PoseFrames<'a> {
    pub fn new(seq: &'a PoseSequence) -> Result<Self, RenderError> {
        seq.validate()?;
        let camera = seq.resolved_camera()?;
        Ok(Self {
            seq,
            camera,
            drawer: PoseDrawer::new(),
            people: Vec::with_capacity(seq.characters.len()),
            canvas: Canvas::new(seq.width, seq.height),
        })
    }

    pub fn camera(&self) -> &CameraPath {
        &self.camera
    }

    /// Draw frame `i` into `self.canvas`; returns the projected keypoints.
    pub fn draw(&mut self, i: usize) -> Result<&[Pose18], RenderError> {
        let proj = Projector::new(&self.camera.at(i), self.seq.width, self.seq.height)?;
        project_frame(&self.seq.characters, i, &proj, &mut self.people);
        self.canvas.clear();
        self.drawer.draw_people(&mut self.canvas, &self.people);
        Ok(&self.people)
    }
}

/// `pose_00012.png` / `pose_00012_keypoints.json` (OpenPose's `_keypoints.json` suffix).
pub fn pose_png_name(frame: usize) -> String {
    format!("pose_{frame:05}.png")
}
pub fn pose_json_name(frame: usize) -> String {
    format!("pose_{frame:05}_keypoints.json")
}
pub const MANIFEST_NAME: &str = "poses.json";
pub const CONTACT_SHEET_NAME: &str = "contact_sheet.png";

/// What `poses` wrote; saved as `poses.json` so `render` can take a pose folder as input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PosesManifest {
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub frames: usize,
    pub characters: Vec<String>,
    pub camera: CameraPath,
}

/// Write PNG + JSON for every frame, a contact sheet and the manifest into `out_dir`.
pub fn write_pose_folder(
    seq: &PoseSequence,
    out_dir: &Path,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<PosesManifest, RenderError> {
    create_dir(out_dir)?;
    let mut frames = PoseFrames::new(seq)?;
    let n = seq.frame_count();
    // Up to 16 evenly spaced frames on the contact sheet.
    let sheet_every = n.div_ceil(16).max(1);
    let mut sheet_frames = Vec::new();
    for i in 0..n {
        let people = frames.draw(i)?;
        let json = OpenPoseFrame::from_poses(people, seq.width, seq.height);
        let json = serde_json::to_vec(&json).map_err(|e| RenderError::Json(e.to_string()))?;
        write_atomic(out_dir, &pose_json_name(i), &json)?;
        write_atomic(out_dir, &pose_png_name(i), &encode_png(&frames.canvas)?)?;
        if i % sheet_every == 0 {
            sheet_frames.push(frames.canvas.clone());
        }
        if let Some(p) = progress {
            p.inc(1);
        }
    }
    if let Some(sheet) = contact_sheet(&sheet_frames, 4) {
        write_atomic(out_dir, CONTACT_SHEET_NAME, &encode_png(&sheet)?)?;
    }
    let manifest = PosesManifest {
        width: seq.width,
        height: seq.height,
        fps: seq.fps,
        frames: n,
        characters: seq.characters.iter().map(|c| c.name.clone()).collect(),
        camera: frames.camera().clone(),
    };
    let bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| RenderError::Json(e.to_string()))?;
    write_atomic(out_dir, MANIFEST_NAME, &bytes)?;
    Ok(manifest)
}

/// Read a joint-position `.npy` of shape `[frames, 22, 3]` (f32 or f64, C order).
pub fn read_joints_npy(path: &Path) -> Result<Vec<Joints22>, RenderError> {
    let io = |e: std::io::Error| RenderError::Io { path: path.to_path_buf(), source: e };
    let bad = |m: String| RenderError::Input(format!("{}: {m}", path.display()));
    let meta = std::fs::metadata(path).map_err(io)?;
    // 100k frames × 66 × f64 ≈ 53 MB; anything far beyond is not a motion clip.
    if meta.len() > 64 * 1024 * 1024 {
        return Err(bad(format!("{} bytes is too large for a joint-position file", meta.len())));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let npy = npyz::NpyFile::new(&bytes[..]).map_err(|e| bad(format!("not a .npy file: {e}")))?;
    let shape = npy.shape().to_vec();
    if shape.len() != 3 || shape[1] != 22 || shape[2] != 3 {
        return Err(bad(format!("shape {shape:?}, expected [frames, 22, 3]")));
    }
    if npy.order() != npyz::Order::C {
        return Err(bad("Fortran-ordered arrays are not supported".into()));
    }
    let frames = shape[0] as usize;
    if frames == 0 || frames > MAX_FRAMES {
        return Err(bad(format!("{frames} frames outside 1..={MAX_FRAMES}")));
    }
    let flat: Vec<f32> = match npy.try_data::<f32>() {
        Ok(r) => r.collect::<Result<_, _>>().map_err(|e| bad(format!("reading f32 data: {e}")))?,
        Err(npy) => match npy.try_data::<f64>() {
            Ok(r) => r
                .map(|v| v.map(|v| v as f32))
                .collect::<Result<_, _>>()
                .map_err(|e| bad(format!("reading f64 data: {e}")))?,
            Err(npy) => return Err(bad(format!("dtype {} is not f32 or f64", npy.dtype().descr()))),
        },
    };
    if flat.len() != frames * 66 {
        return Err(bad(format!("{} values for {frames} frames", flat.len())));
    }
    Ok(flat
        .chunks_exact(66)
        .map(|f| {
            let mut j = [[0f32; 3]; 22];
            for (k, p) in f.chunks_exact(3).enumerate() {
                j[k] = [p[0], p[1], p[2]];
            }
            j
        })
        .collect())
}

/// A pose-scene JSON (interim form until the scene-script crate lands): canvas, optional camera
/// (fixed or keyed) and characters given inline or as `.npy` paths relative to the JSON file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoseSceneFile {
    #[serde(default = "default_side")]
    pub width: u32,
    #[serde(default = "default_side")]
    pub height: u32,
    #[serde(default = "default_fps")]
    pub fps: f64,
    #[serde(default)]
    pub camera: Option<CameraPath>,
    pub characters: Vec<CharacterSource>,
}

fn default_side() -> u32 {
    512
}
fn default_fps() -> f64 {
    20.0
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CharacterSource {
    #[serde(default)]
    pub name: Option<String>,
    /// Path of a `[frames, 22, 3]` joint `.npy`, relative to the scene file.
    #[serde(default)]
    pub motion: Option<PathBuf>,
    /// Inline frames instead of `motion`.
    #[serde(default)]
    pub frames: Option<Vec<Joints22>>,
    /// World offset added to every joint (metres).
    #[serde(default)]
    pub offset: [f32; 3],
}

impl PoseSceneFile {
    pub fn load(path: &Path) -> Result<PoseSequence, RenderError> {
        let io = |e: std::io::Error| RenderError::Io { path: path.to_path_buf(), source: e };
        let text = std::fs::read_to_string(path).map_err(io)?;
        let file: PoseSceneFile = serde_json::from_str(&text)
            .map_err(|e| RenderError::Json(format!("{}: {e}", path.display())))?;
        file.into_sequence(path.parent().unwrap_or(Path::new(".")))
    }

    pub fn into_sequence(self, base: &Path) -> Result<PoseSequence, RenderError> {
        let mut characters = Vec::new();
        for (i, c) in self.characters.into_iter().enumerate() {
            let name = c.name.unwrap_or_else(|| format!("character_{i}"));
            let mut frames = match (c.motion, c.frames) {
                (Some(m), None) => read_joints_npy(&base.join(m))?,
                (None, Some(f)) => f,
                _ => {
                    return Err(RenderError::Input(format!(
                        "character {name:?}: give exactly one of \"motion\" (npy path) or \"frames\""
                    )))
                }
            };
            for f in frames.iter_mut().flatten() {
                for (v, o) in f.iter_mut().zip(c.offset) {
                    *v += o;
                }
            }
            characters.push(Character { name, frames });
        }
        let seq = PoseSequence {
            characters,
            camera: self.camera,
            width: self.width,
            height: self.height,
            fps: self.fps,
            auto_fov_y_deg: 40.0,
        };
        seq.validate()?;
        Ok(seq)
    }
}
