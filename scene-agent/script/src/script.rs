//! The scene-script document (what is stored as JSON) and its validation.

use serde::{Deserialize, Serialize};

use crate::schedule::{Interpolation, Param};
use crate::{limits, vocab};

/// The format version this program reads and writes.
pub const FORMAT_VERSION: u32 = 1;

fn default_fps() -> u32 {
    limits::DEFAULT_FPS
}

/// A whole scene script (version 1). Unknown fields are refused so that typos surface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneScript {
    /// Format version; must be 1.
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Length of the scene in seconds.
    pub duration: f64,
    /// Frames per second of the motion and camera timelines (schedule keys are in these frames).
    #[serde(default = "default_fps")]
    pub fps: u32,
    pub characters: Vec<Character>,
    /// Placement relations, solved in order into coordinates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<Relation>,
    #[serde(default)]
    pub camera: Camera,
    #[serde(default)]
    pub render: Render,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Character {
    /// Short identifier: lowercase letters, digits, `_` or `-`.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Absolute placement `[x, z]` in metres; leave out to let relations place the character.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<[f64; 2]>,
    /// Absolute heading in degrees about +Y (0 faces +Z).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yaw_deg: Option<f64>,
    #[serde(default)]
    pub motions: Vec<MotionClip>,
}

/// One entry of a character's motion timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MotionClip {
    /// Free text prompt for the motion model.
    pub text: String,
    /// Start time in seconds.
    pub start: f64,
    /// Length in seconds.
    pub duration: f64,
    /// Canonical action label, when the prompt maps to one (see the vocabulary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Canonical style label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
}

/// How characters stand relative to each other. Distances in metres.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Relation {
    /// `a` and `b` stand `distance` apart, facing each other.
    FaceEachOther {
        a: String,
        b: String,
        #[serde(default = "default_face_distance")]
        distance: f64,
    },
    /// `b` stands `distance` to the right of `a`, facing the same way.
    SideBySide {
        a: String,
        b: String,
        #[serde(default = "default_side_distance")]
        distance: f64,
    },
    /// `subject` stands `distance` behind `reference`, facing the same way.
    Behind {
        subject: String,
        reference: String,
        #[serde(default = "default_behind_distance")]
        distance: f64,
    },
    /// `subject` stands `distance` in front of `reference`, facing it.
    InFrontOf {
        subject: String,
        reference: String,
        #[serde(default = "default_behind_distance")]
        distance: f64,
    },
    /// `subject` turns to face `target` (position unchanged).
    Facing { subject: String, target: String },
    /// `members` stand evenly on a circle.
    Circle {
        members: Vec<String>,
        #[serde(default = "default_radius")]
        radius: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        center: Option<[f64; 2]>,
        #[serde(default)]
        facing: CircleFacing,
    },
}

fn default_face_distance() -> f64 {
    2.0
}
fn default_side_distance() -> f64 {
    1.0
}
fn default_behind_distance() -> f64 {
    1.5
}
fn default_radius() -> f64 {
    2.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CircleFacing {
    #[default]
    Center,
    Outward,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraMode {
    /// Fixed `eye` looking at `target`.
    #[default]
    Static,
    /// Circles `target` at `distance` and `height`; `azimuth_deg` plus `orbit_speed_deg_per_s * t`.
    Orbit,
    /// Moves along the line to `target` from the `azimuth_deg` direction; `distance` usually a schedule.
    Dolly,
    /// Keeps `distance`/`height` from `character`, looking at it.
    Follow,
}

/// The camera. Numeric parameters may be numbers or schedules like `0:(5.0), 80:(3.5)`
/// (keys in scene frames).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    pub mode: CameraMode,
    /// Look-at point `[x, y, z]`; default: the characters' centroid at 1 m height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<[f64; 3]>,
    /// Eye position, static mode only; default: in front of the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eye: Option<[f64; 3]>,
    /// Character to follow, follow mode only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub character: Option<String>,
    /// Horizontal distance from the target (metres).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance: Option<Param>,
    /// Eye height above the ground (metres).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<Param>,
    /// Direction from the target to the eye, degrees about +Y; 0 = on the +Z side (in front).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azimuth_deg: Option<Param>,
    /// Orbit mode: added turn rate, degrees per second (positive = counter-clockwise from above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orbit_speed_deg_per_s: Option<f64>,
    /// Vertical field of view in degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fov_deg: Option<Param>,
    #[serde(default)]
    pub interpolation: Interpolation,
}

impl Default for Camera {
    fn default() -> Self {
        Camera {
            mode: CameraMode::Static,
            target: None,
            eye: None,
            character: None,
            distance: None,
            height: None,
            azimuth_deg: None,
            orbit_speed_deg_per_s: None,
            fov_deg: None,
            interpolation: Interpolation::Linear,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// Pose images only, no diffusion.
    #[default]
    None,
    /// AUTOMATIC1111 / Forge web UI API.
    A1111,
    #[serde(rename = "comfyui")]
    ComfyUI,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlNet {
    /// Model name as the backend knows it, e.g. `control_v11p_sd15_openpose`.
    pub model: String,
    #[serde(default = "default_cn_weight")]
    pub weight: f64,
}

fn default_cn_weight() -> f64 {
    1.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Render {
    #[serde(default = "default_width")]
    pub width: u32,
    #[serde(default = "default_height")]
    pub height: u32,
    /// Output frame rate; default: the scene fps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fps: Option<u32>,
    #[serde(default)]
    pub style_prompt: String,
    #[serde(default)]
    pub negative_prompt: String,
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub backend: Backend,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlnet: Option<ControlNet>,
    /// Folder for frames, relative to (and inside) the output folder.
    #[serde(default = "default_output_dir")]
    pub output_dir: String,
}

fn default_width() -> u32 {
    768
}
fn default_height() -> u32 {
    512
}
fn default_output_dir() -> String {
    "frames".to_string()
}

impl Default for Render {
    fn default() -> Self {
        Render {
            width: default_width(),
            height: default_height(),
            fps: None,
            style_prompt: String::new(),
            negative_prompt: String::new(),
            seed: 0,
            backend: Backend::None,
            controlnet: None,
            output_dir: default_output_dir(),
        }
    }
}

/// One validation problem: where (a JSON path like `characters[1].motions[0].duration`) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

struct Issues(Vec<Issue>);

impl Issues {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Issue { path: path.into(), message: message.into() });
    }
}

/// Checks an id: lowercase ASCII letters, digits, `_`, `-`; starts with a letter.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= limits::MAX_ID_CHARS
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// A path stays inside its base folder when it is relative, has no `..`, no root, no drive
/// prefix and no backslashes (which would mean a separator on Windows).
pub fn relative_path_is_contained(p: &str) -> bool {
    if p.is_empty() || p.len() > limits::MAX_PATH_CHARS || p.contains('\\') || p.contains('\0') || p.contains(':') {
        return false;
    }
    let path = std::path::Path::new(p);
    path.components().all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir))
}

fn check_text(issues: &mut Issues, path: &str, text: &str, max: usize, required: bool) {
    if required && text.trim().is_empty() {
        issues.push(path, "must not be empty");
    }
    let n = text.chars().count();
    if n > max {
        issues.push(path, format!("is {n} characters long; the limit is {max}"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        issues.push(path, "contains control characters");
    }
}

fn check_range(issues: &mut Issues, path: &str, v: f64, lo: f64, hi: f64, unit: &str) {
    if !v.is_finite() {
        issues.push(path, "must be a finite number");
    } else if v < lo || v > hi {
        issues.push(path, format!("is {v}{unit}; it must be between {lo}{unit} and {hi}{unit}"));
    }
}

#[allow(clippy::too_many_arguments)] // one call site per camera parameter; a struct would only add noise
fn check_param(issues: &mut Issues, path: &str, p: &Param, lo: f64, hi: f64, unit: &str, interp: Interpolation, max_frame: u32) {
    match p.to_schedule() {
        Err(e) => issues.push(path, format!("invalid schedule: {e}")),
        Ok(s) => {
            let (a, b) = s.range(interp);
            if a < lo || b > hi {
                issues.push(path, format!("takes values from {a}{unit} to {b}{unit}; they must stay between {lo}{unit} and {hi}{unit}"));
            }
            if let Some(&(f, _)) = s.keys().last()
                && f > max_frame
            {
                issues.push(path, format!("has a keyframe at frame {f}, after the last frame {max_frame} of the scene"));
            }
        }
    }
}

impl SceneScript {
    /// Parses JSON text. Syntax and type errors name the line and column; the result is not yet
    /// validated.
    pub fn from_json(text: &str) -> Result<Self, crate::ScriptError> {
        if text.len() > limits::MAX_SCRIPT_BYTES {
            return Err(crate::ScriptError::TooLarge { bytes: text.len(), max: limits::MAX_SCRIPT_BYTES });
        }
        let script: SceneScript = serde_json::from_str(text).map_err(|e| crate::ScriptError::Parse(e.to_string()))?;
        Ok(script)
    }

    /// Parses a JSON value (e.g. tool-call arguments).
    pub fn from_value(value: serde_json::Value) -> Result<Self, crate::ScriptError> {
        serde_json::from_value(value).map_err(|e| crate::ScriptError::Parse(e.to_string()))
    }

    pub fn to_json_pretty(&self) -> String {
        // Serialising plain data to a String cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Frames in the scene (`duration * fps`, rounded).
    pub fn frame_count(&self) -> u32 {
        let f = (self.duration * f64::from(self.fps)).round();
        if f.is_finite() && f >= 0.0 && f < f64::from(u32::MAX) { f as u32 } else { u32::MAX }
    }

    pub fn character_index(&self, id: &str) -> Option<usize> {
        self.characters.iter().position(|c| c.id == id)
    }

    /// Rewrites action/style synonyms to canonical labels ("jog" -> "run"), and fills `action`
    /// from the prompt text when it names exactly one known action. Meant for model output
    /// before validation; unknown labels are left for the validator to report.
    pub fn normalize_labels(&mut self) {
        for c in &mut self.characters {
            for m in &mut c.motions {
                if let Some(a) = &m.action
                    && let Some(canon) = vocab::resolve_action(a)
                {
                    m.action = Some(canon.to_string());
                }
                if let Some(s) = &m.style
                    && let Some(canon) = vocab::resolve_style(s)
                {
                    m.style = Some(canon.to_string());
                }
                if m.action.is_none() {
                    m.action = vocab::resolve_action(&m.text).map(str::to_string);
                }
            }
        }
    }

    /// Checks every bound and reference. All problems are reported, each with its JSON path.
    pub fn validate(&self) -> Result<(), crate::ScriptError> {
        let mut is = Issues(Vec::new());
        self.check(&mut is);
        if is.0.is_empty() { Ok(()) } else { Err(crate::ScriptError::Invalid(is.0)) }
    }

    fn check(&self, is: &mut Issues) {
        use limits::*;
        if self.version != crate::FORMAT_VERSION {
            is.push("version", format!("is {}; this program reads version {}", self.version, crate::FORMAT_VERSION));
        }
        if let Some(t) = &self.title {
            check_text(is, "title", t, MAX_NAME_CHARS * 2, false);
        }
        check_range(is, "duration", self.duration, MIN_DURATION_S, MAX_DURATION_S, " s");
        if self.fps < MIN_FPS || self.fps > MAX_FPS {
            is.push("fps", format!("is {}; it must be between {MIN_FPS} and {MAX_FPS}", self.fps));
        }
        let frames = self.frame_count();
        if self.duration.is_finite() && frames > MAX_FRAMES {
            is.push("duration", format!("{} s at {} fps is {frames} frames; the limit is {MAX_FRAMES}", self.duration, self.fps));
        }
        let n = self.characters.len();
        if n == 0 {
            is.push("characters", "needs at least one character");
        } else if n > MAX_CHARACTERS {
            is.push("characters", format!("has {n} characters; the limit is {MAX_CHARACTERS}"));
        }
        for (i, c) in self.characters.iter().enumerate() {
            let p = format!("characters[{i}]");
            if !valid_id(&c.id) {
                is.push(format!("{p}.id"), format!("{:?} is not a valid id: use 1-{MAX_ID_CHARS} lowercase letters, digits, '_' or '-', starting with a letter", c.id));
            }
            if self.characters[..i].iter().any(|o| o.id == c.id) {
                is.push(format!("{p}.id"), format!("id {:?} is used twice", c.id));
            }
            if let Some(name) = &c.name {
                check_text(is, &format!("{p}.name"), name, MAX_NAME_CHARS, true);
            }
            if let Some([x, z]) = c.position {
                check_range(is, &format!("{p}.position[0]"), x, -MAX_COORD_M, MAX_COORD_M, " m");
                check_range(is, &format!("{p}.position[1]"), z, -MAX_COORD_M, MAX_COORD_M, " m");
            }
            if let Some(y) = c.yaw_deg {
                check_range(is, &format!("{p}.yaw_deg"), y, -360.0, 360.0, "°");
            }
            if c.motions.len() > MAX_MOTIONS_PER_CHARACTER {
                is.push(format!("{p}.motions"), format!("has {} entries; the limit is {MAX_MOTIONS_PER_CHARACTER}", c.motions.len()));
            }
            let mut spans: Vec<(f64, f64, usize)> = Vec::new();
            for (j, m) in c.motions.iter().enumerate() {
                let mp = format!("{p}.motions[{j}]");
                check_text(is, &format!("{mp}.text"), &m.text, MAX_PROMPT_CHARS, true);
                check_range(is, &format!("{mp}.start"), m.start, 0.0, MAX_DURATION_S, " s");
                check_range(is, &format!("{mp}.duration"), m.duration, MIN_MOTION_S, MAX_DURATION_S, " s");
                if m.start.is_finite() && m.duration.is_finite() && self.duration.is_finite() && m.start + m.duration > self.duration + 1e-6 {
                    is.push(mp.clone(), format!("ends at {} s, after the scene's end at {} s", m.start + m.duration, self.duration));
                }
                if let Some(a) = &m.action
                    && !vocab::is_action(a)
                {
                    let hint = vocab::suggest(vocab::ACTIONS, a).map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default();
                    is.push(format!("{mp}.action"), format!("{a:?} is not a known action{hint}; known: {}", vocab::action_labels().collect::<Vec<_>>().join(", ")));
                }
                if let Some(s) = &m.style
                    && !vocab::is_style(s)
                {
                    let hint = vocab::suggest(vocab::STYLES, s).map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default();
                    is.push(format!("{mp}.style"), format!("{s:?} is not a known style{hint}; known: {}", vocab::style_labels().collect::<Vec<_>>().join(", ")));
                }
                spans.push((m.start, m.start + m.duration, j));
            }
            spans.sort_by(|a, b| a.0.total_cmp(&b.0));
            for w in spans.windows(2) {
                if w[1].0 < w[0].1 - 1e-6 {
                    is.push(format!("{p}.motions[{}]", w[1].2), format!("starts at {} s, before motions[{}] ends at {} s; a character does one motion at a time", w[1].0, w[0].2, w[0].1));
                }
            }
        }
        self.check_relations(is);
        self.check_camera(is, frames);
        self.check_render(is);
    }

    fn check_ref(&self, is: &mut Issues, path: String, id: &str) {
        if self.character_index(id).is_none() {
            let ids: Vec<&str> = self.characters.iter().map(|c| c.id.as_str()).collect();
            is.push(path, format!("refers to unknown character {id:?}; characters are: {}", ids.join(", ")));
        }
    }

    fn check_relations(&self, is: &mut Issues) {
        use limits::*;
        if self.relations.len() > MAX_RELATIONS {
            is.push("relations", format!("has {} entries; the limit is {MAX_RELATIONS}", self.relations.len()));
        }
        for (i, r) in self.relations.iter().enumerate() {
            let p = format!("relations[{i}]");
            let dist = |is: &mut Issues, d: f64| check_range(is, &format!("{p}.distance"), d, MIN_DISTANCE_M, MAX_DISTANCE_M, " m");
            let pair = |is: &mut Issues, ka: &str, a: &str, kb: &str, b: &str| {
                self.check_ref(is, format!("{p}.{ka}"), a);
                self.check_ref(is, format!("{p}.{kb}"), b);
                if a == b {
                    is.push(p.clone(), format!("relates {a:?} to itself"));
                }
            };
            match r {
                Relation::FaceEachOther { a, b, distance } | Relation::SideBySide { a, b, distance } => {
                    pair(is, "a", a, "b", b);
                    dist(is, *distance);
                }
                Relation::Behind { subject, reference, distance } | Relation::InFrontOf { subject, reference, distance } => {
                    pair(is, "subject", subject, "reference", reference);
                    dist(is, *distance);
                }
                Relation::Facing { subject, target } => pair(is, "subject", subject, "target", target),
                Relation::Circle { members, radius, center, .. } => {
                    if members.len() < 2 {
                        is.push(format!("{p}.members"), "a circle needs at least 2 members");
                    }
                    for (k, m) in members.iter().enumerate() {
                        self.check_ref(is, format!("{p}.members[{k}]"), m);
                        if members[..k].contains(m) {
                            is.push(format!("{p}.members[{k}]"), format!("{m:?} is listed twice"));
                        }
                    }
                    check_range(is, &format!("{p}.radius"), *radius, MIN_DISTANCE_M, MAX_DISTANCE_M, " m");
                    if let Some([x, z]) = center {
                        check_range(is, &format!("{p}.center[0]"), *x, -MAX_COORD_M, MAX_COORD_M, " m");
                        check_range(is, &format!("{p}.center[1]"), *z, -MAX_COORD_M, MAX_COORD_M, " m");
                    }
                }
            }
        }
    }

    fn check_camera(&self, is: &mut Issues, frames: u32) {
        use limits::*;
        let c = &self.camera;
        let interp = c.interpolation;
        let last = frames.max(1);
        for (k, v) in [("target", c.target), ("eye", c.eye)] {
            if let Some(v) = v {
                for (i, x) in v.iter().enumerate() {
                    check_range(is, &format!("camera.{k}[{i}]"), *x, -MAX_COORD_M, MAX_COORD_M, " m");
                }
            }
        }
        if let Some(d) = &c.distance {
            check_param(is, "camera.distance", d, MIN_CAMERA_DISTANCE_M, MAX_COORD_M, " m", interp, last);
        }
        if let Some(h) = &c.height {
            check_param(is, "camera.height", h, -MAX_COORD_M, MAX_COORD_M, " m", interp, last);
        }
        if let Some(a) = &c.azimuth_deg {
            check_param(is, "camera.azimuth_deg", a, -3600.0, 3600.0, "°", interp, last);
        }
        if let Some(f) = &c.fov_deg {
            check_param(is, "camera.fov_deg", f, MIN_FOV_DEG, MAX_FOV_DEG, "°", interp, last);
        }
        if let Some(s) = c.orbit_speed_deg_per_s {
            check_range(is, "camera.orbit_speed_deg_per_s", s, -MAX_ORBIT_SPEED, MAX_ORBIT_SPEED, "°/s");
            if c.mode != CameraMode::Orbit {
                is.push("camera.orbit_speed_deg_per_s", "is only used by mode \"orbit\"");
            }
        }
        if c.eye.is_some() && c.mode != CameraMode::Static {
            is.push("camera.eye", "is only used by mode \"static\"; other modes use distance, height and azimuth_deg");
        }
        match (&c.character, c.mode) {
            (None, CameraMode::Follow) => is.push("camera.character", "mode \"follow\" needs the id of the character to follow"),
            (Some(id), CameraMode::Follow) => self.check_ref(is, "camera.character".into(), id),
            (Some(_), _) => is.push("camera.character", "is only used by mode \"follow\""),
            (None, _) => {}
        }
        if let (Some(eye), Some(t)) = (c.eye, c.target)
            && (eye[0] - t[0]).hypot(eye[2] - t[2]).hypot(eye[1] - t[1]) < 1e-3
        {
            is.push("camera.eye", "is the same point as camera.target");
        }
    }

    fn check_render(&self, is: &mut Issues) {
        use limits::*;
        let r = &self.render;
        for (k, v) in [("width", r.width), ("height", r.height)] {
            if !(MIN_SIZE..=MAX_SIZE).contains(&v) {
                is.push(format!("render.{k}"), format!("is {v} px; it must be between {MIN_SIZE} and {MAX_SIZE}"));
            } else if v % SIZE_MULTIPLE != 0 {
                is.push(format!("render.{k}"), format!("is {v} px; it must be a multiple of {SIZE_MULTIPLE}"));
            }
        }
        if let Some(f) = r.fps
            && !(MIN_FPS..=MAX_FPS).contains(&f)
        {
            is.push("render.fps", format!("is {f}; it must be between {MIN_FPS} and {MAX_FPS}"));
        }
        check_text(is, "render.style_prompt", &r.style_prompt, MAX_STYLE_PROMPT_CHARS, false);
        check_text(is, "render.negative_prompt", &r.negative_prompt, MAX_STYLE_PROMPT_CHARS, false);
        if r.seed > MAX_SEED {
            is.push("render.seed", format!("is {}; it must be at most {MAX_SEED}", r.seed));
        }
        if let Some(cn) = &r.controlnet {
            check_text(is, "render.controlnet.model", &cn.model, MAX_NAME_CHARS * 2, true);
            check_range(is, "render.controlnet.weight", cn.weight, 0.0, MAX_CONTROLNET_WEIGHT, "");
        }
        if !relative_path_is_contained(&r.output_dir) {
            is.push("render.output_dir", format!("{:?} must be a relative path inside the output folder (no '..', no leading '/', no drive, at most {MAX_PATH_CHARS} characters)", r.output_dir));
        }
    }
}
