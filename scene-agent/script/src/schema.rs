//! The JSON Schema (draft 2020-12) of scene-script version 1, built from the same limits the
//! validator uses. `docs/scene-script.schema.json` is this output; a test keeps them equal.
//!
//! The schema checks structure, types and bounds of plain numbers; the validator additionally
//! checks cross references (ids), schedule values, timeline overlaps and placement conflicts.

use serde_json::{Value, json};

use crate::limits::*;
use crate::vocab;

pub const SCHEMA_ID: &str = "https://example.invalid/scene-script/v1.schema.json";

/// Regex for a Deforum keyframe schedule with plain numbers.
pub const SCHEDULE_PATTERN: &str = r"^\s*[0-9]+\s*:\s*\(\s*[-+]?[0-9.]+([eE][-+]?[0-9]+)?\s*\)(\s*,\s*[0-9]+\s*:\s*\(\s*[-+]?[0-9.]+([eE][-+]?[0-9]+)?\s*\))*\s*,?\s*$";

fn param(desc: &str, lo: f64, hi: f64) -> Value {
    json!({
        "description": format!("{desc} A number, or a keyframe schedule like \"0:(5.0), 80:(3.5)\" (keys are scene frames)."),
        "oneOf": [
            {"type": "number", "minimum": lo, "maximum": hi},
            {"type": "string", "pattern": SCHEDULE_PATTERN, "maxLength": MAX_SCHEDULE_CHARS}
        ]
    })
}

fn id_schema(desc: &str) -> Value {
    json!({"type": "string", "pattern": "^[a-z][a-z0-9_-]*$", "minLength": 1, "maxLength": MAX_ID_CHARS, "description": desc})
}

fn distance(default: f64) -> Value {
    json!({"type": "number", "minimum": MIN_DISTANCE_M, "maximum": MAX_DISTANCE_M, "default": default, "description": "metres"})
}

fn xz() -> Value {
    json!({"type": "array", "items": {"type": "number", "minimum": -MAX_COORD_M, "maximum": MAX_COORD_M}, "minItems": 2, "maxItems": 2, "description": "[x, z] in metres"})
}

fn xyz() -> Value {
    json!({"type": "array", "items": {"type": "number", "minimum": -MAX_COORD_M, "maximum": MAX_COORD_M}, "minItems": 3, "maxItems": 3, "description": "[x, y, z] in metres, Y up"})
}

fn relation(kind: &str, desc: &str, props: Value, required: &[&str]) -> Value {
    let mut p = props;
    if let Some(o) = p.as_object_mut() {
        o.insert("type".into(), json!({"const": kind}));
    }
    let mut req = vec!["type"];
    req.extend_from_slice(required);
    json!({"type": "object", "description": desc, "properties": p, "required": req, "additionalProperties": false})
}

/// The relation variants, one schema each (used as `oneOf`).
pub fn relation_schema() -> Value {
    json!({"oneOf": [
        relation("face_each_other", "a and b stand `distance` apart, facing each other.", json!({"a": id_schema("character id"), "b": id_schema("character id"), "distance": distance(2.0)}), &["a", "b"]),
        relation("side_by_side", "b stands `distance` to the right of a, facing the same way.", json!({"a": id_schema("character id"), "b": id_schema("character id"), "distance": distance(1.0)}), &["a", "b"]),
        relation("behind", "subject stands `distance` behind reference, facing the same way.", json!({"subject": id_schema("character id"), "reference": id_schema("character id"), "distance": distance(1.5)}), &["subject", "reference"]),
        relation("in_front_of", "subject stands `distance` in front of reference, facing it.", json!({"subject": id_schema("character id"), "reference": id_schema("character id"), "distance": distance(1.5)}), &["subject", "reference"]),
        relation("facing", "subject turns to face target.", json!({"subject": id_schema("character id"), "target": id_schema("character id")}), &["subject", "target"]),
        relation("circle", "members stand evenly on a circle.", json!({
            "members": {"type": "array", "items": id_schema("character id"), "minItems": 2, "maxItems": MAX_CHARACTERS, "uniqueItems": true},
            "radius": distance(2.0),
            "center": xz(),
            "facing": {"enum": ["center", "outward"], "default": "center"}
        }), &["members"]),
    ]})
}

pub fn motion_clip_schema() -> Value {
    json!({
        "type": "object",
        "description": "One entry of a character's motion timeline.",
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": MAX_PROMPT_CHARS, "description": "Free text prompt for the motion model, e.g. \"walks forward happily\"."},
            "start": {"type": "number", "minimum": 0, "maximum": MAX_DURATION_S, "description": "seconds"},
            "duration": {"type": "number", "minimum": MIN_MOTION_S, "maximum": MAX_DURATION_S, "description": "seconds"},
            "action": {"enum": vocab::action_labels().collect::<Vec<_>>(), "description": "Known action label, when the prompt maps to one."},
            "style": {"enum": vocab::style_labels().collect::<Vec<_>>(), "description": "Known style label."}
        },
        "required": ["text", "start", "duration"],
        "additionalProperties": false
    })
}

pub fn character_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": id_schema("Short id: lowercase letters, digits, '_' or '-'."),
            "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS},
            "position": xz(),
            "yaw_deg": {"type": "number", "minimum": -360, "maximum": 360, "description": "Heading in degrees about +Y; 0 faces +Z."},
            "motions": {"type": "array", "items": {"$ref": "#/$defs/motion"}, "maxItems": MAX_MOTIONS_PER_CHARACTER}
        },
        "required": ["id"],
        "additionalProperties": false
    })
}

pub fn camera_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "mode": {"enum": ["static", "orbit", "dolly", "follow"]},
            "target": xyz(),
            "eye": xyz(),
            "character": id_schema("Character to follow (mode follow)."),
            "distance": param("Horizontal distance from the target in metres.", MIN_CAMERA_DISTANCE_M, MAX_COORD_M),
            "height": param("Eye height in metres.", -MAX_COORD_M, MAX_COORD_M),
            "azimuth_deg": param("Direction from target to eye in degrees about +Y; 0 = in front (+Z).", -3600.0, 3600.0),
            "orbit_speed_deg_per_s": {"type": "number", "minimum": -MAX_ORBIT_SPEED, "maximum": MAX_ORBIT_SPEED, "default": DEFAULT_ORBIT_SPEED},
            "fov_deg": param("Vertical field of view in degrees.", MIN_FOV_DEG, MAX_FOV_DEG),
            "interpolation": {"enum": ["linear", "step", "cubic"], "default": "linear"}
        },
        "required": ["mode"],
        "additionalProperties": false
    })
}

pub fn render_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "width": {"type": "integer", "minimum": MIN_SIZE, "maximum": MAX_SIZE, "multipleOf": SIZE_MULTIPLE, "default": 768},
            "height": {"type": "integer", "minimum": MIN_SIZE, "maximum": MAX_SIZE, "multipleOf": SIZE_MULTIPLE, "default": 512},
            "fps": {"type": "integer", "minimum": MIN_FPS, "maximum": MAX_FPS},
            "style_prompt": {"type": "string", "maxLength": MAX_STYLE_PROMPT_CHARS},
            "negative_prompt": {"type": "string", "maxLength": MAX_STYLE_PROMPT_CHARS},
            "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED},
            "backend": {"enum": ["none", "a1111", "comfyui"], "default": "none"},
            "controlnet": {
                "type": "object",
                "properties": {
                    "model": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS * 2},
                    "weight": {"type": "number", "minimum": 0, "maximum": MAX_CONTROLNET_WEIGHT, "default": 1.0}
                },
                "required": ["model"],
                "additionalProperties": false
            },
            "output_dir": {"type": "string", "minLength": 1, "maxLength": MAX_PATH_CHARS, "pattern": r"^(?!/)(?!.*(^|/)\.\.(/|$))[^\\:]+$", "default": "frames", "description": "Relative folder inside the output folder."}
        },
        "additionalProperties": false
    })
}

/// The full schema document.
pub fn scene_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "scene-script v1",
        "description": "A multi-character motion scene: characters, placement relations, motion timelines, camera and render settings. Metres, Y up, characters face +Z at rest.",
        "type": "object",
        "properties": {
            "version": {"const": crate::FORMAT_VERSION},
            "title": {"type": "string", "maxLength": MAX_NAME_CHARS * 2},
            "duration": {"type": "number", "minimum": MIN_DURATION_S, "maximum": MAX_DURATION_S, "description": "seconds"},
            "fps": {"type": "integer", "minimum": MIN_FPS, "maximum": MAX_FPS, "default": DEFAULT_FPS},
            "characters": {"type": "array", "items": {"$ref": "#/$defs/character"}, "minItems": 1, "maxItems": MAX_CHARACTERS},
            "relations": {"type": "array", "items": {"$ref": "#/$defs/relation"}, "maxItems": MAX_RELATIONS},
            "camera": {"$ref": "#/$defs/camera"},
            "render": {"$ref": "#/$defs/render"}
        },
        "required": ["version", "duration", "characters"],
        "additionalProperties": false,
        "$defs": {
            "character": character_schema(),
            "motion": motion_clip_schema(),
            "relation": relation_schema(),
            "camera": camera_schema(),
            "render": render_schema()
        }
    })
}

/// The schema as published in docs (pretty JSON with a trailing newline).
pub fn scene_schema_pretty() -> String {
    let mut s = serde_json::to_string_pretty(&scene_schema()).unwrap_or_default();
    s.push('\n');
    s
}
