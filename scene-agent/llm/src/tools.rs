//! The tools the model edits the scene with. Each call changes a draft script; errors go back
//! to the model as the tool result so it can fix them.

use scene_script::{Camera, Character, MotionClip, Relation, Render, SceneScript, limits, schema};
use serde::Deserialize;
use serde_json::{Value, json};

/// Removes keys that some servers' grammar converters cannot handle (regex patterns,
/// `$schema`/`$id`), recursively.
pub fn llm_safe_schema(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "pattern" | "$schema" | "$id" | "default"))
                .map(|(k, v)| (k.clone(), llm_safe_schema(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(llm_safe_schema).collect()),
        other => other.clone(),
    }
}

fn tool(name: &str, description: &str, parameters: Value) -> Value {
    json!({"type": "function", "function": {"name": name, "description": description, "parameters": llm_safe_schema(&parameters)}})
}

fn obj(props: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
}

/// Tool definitions for the `tools` field of a request.
pub fn tool_definitions() -> Vec<Value> {
    let defs = schema::scene_schema()["$defs"].clone();
    let id = json!({"type": "string", "description": "character id: lowercase letters, digits, '_' or '-'"});
    let xz = json!({"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2});
    let mut scene_param = schema::scene_schema();
    if let Some(o) = scene_param.as_object_mut() {
        o.remove("$defs");
    }
    vec![
        tool("set_basics", "Set the scene length in seconds, the fps and/or the title.", obj(json!({
            "duration": {"type": "number", "minimum": limits::MIN_DURATION_S, "maximum": limits::MAX_DURATION_S},
            "fps": {"type": "integer", "minimum": limits::MIN_FPS, "maximum": limits::MAX_FPS},
            "title": {"type": "string"}
        }), &[])),
        tool("add_character", "Add a character. Leave out position to place it with set_placement relations.", obj(json!({
            "id": id, "name": {"type": "string"}, "position": xz, "yaw_deg": {"type": "number"}
        }), &["id"])),
        tool("edit_character", "Change a character's name, id, absolute position or heading.", obj(json!({
            "id": id, "new_id": id, "name": {"type": "string"}, "position": xz, "yaw_deg": {"type": "number"}
        }), &["id"])),
        tool("remove_character", "Remove a character and the relations that mention it.", obj(json!({"id": id}), &["id"])),
        tool("set_motion", "Replace a character's motion timeline (clips must not overlap and must end by the scene end).", json!({
            "type": "object",
            "properties": {"character": id, "motions": {"type": "array", "items": defs["motion"]}},
            "required": ["character", "motions"],
            "additionalProperties": false
        })),
        tool("set_placement", "Replace the placement relations; the program solves them into coordinates.", json!({
            "type": "object",
            "properties": {"relations": {"type": "array", "items": defs["relation"]}},
            "required": ["relations"],
            "additionalProperties": false
        })),
        tool("set_camera", "Replace the camera. Numeric parameters may be schedules like \"0:(5.0), 80:(3.5)\" (keys in frames).", defs["camera"].clone()),
        tool("set_render", "Change render settings (only the given fields).", {
            let mut r = defs["render"].clone();
            if let Some(o) = r.as_object_mut() { o.remove("required"); }
            r
        }),
        tool("submit_scene", "Replace the whole scene with a complete scene script.", json!({
            "type": "object",
            "properties": {"scene": scene_param},
            "required": ["scene"],
            "additionalProperties": false,
            "$defs": defs
        })),
        tool("finish", "Call when the scene is complete. The scene is validated; fix any errors you get back.", obj(json!({
            "summary": {"type": "string", "description": "one sentence for the user"}
        }), &[])),
    ]
}

/// What a tool call did.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// Draft changed (or no-op); message for the model.
    Ok(String),
    /// The model asked to finish, with its summary.
    Finish(String),
}

fn parse<T: for<'de> Deserialize<'de>>(tool: &str, args: &Value) -> Result<T, String> {
    serde_json::from_value(args.clone()).map_err(|e| format!("{tool}: bad arguments: {e}"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Basics {
    duration: Option<f64>,
    fps: Option<u32>,
    title: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddChar {
    id: String,
    name: Option<String>,
    position: Option<[f64; 2]>,
    yaw_deg: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditChar {
    id: String,
    new_id: Option<String>,
    name: Option<String>,
    position: Option<[f64; 2]>,
    yaw_deg: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdOnly {
    id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetMotion {
    character: String,
    motions: Vec<MotionClip>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetPlacement {
    relations: Vec<Relation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Submit {
    scene: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Finish {
    #[serde(default)]
    summary: String,
}

fn find<'a>(draft: &'a mut SceneScript, id: &str) -> Result<&'a mut Character, String> {
    let ids: Vec<String> = draft.characters.iter().map(|c| c.id.clone()).collect();
    draft.characters.iter_mut().find(|c| c.id == id).ok_or_else(|| format!("no character {id:?}; characters are: {}", ids.join(", ")))
}

/// Applies one tool call to the draft. Bounds are checked at `finish` (and by `Scene::new`),
/// but obviously broken input is refused here already so the model hears about it early.
pub fn apply(draft: &mut SceneScript, name: &str, args: &Value) -> Result<Applied, String> {
    match name {
        "set_basics" => {
            let b: Basics = parse(name, args)?;
            if let Some(d) = b.duration {
                draft.duration = d;
            }
            if let Some(f) = b.fps {
                draft.fps = f;
            }
            if b.title.is_some() {
                draft.title = b.title;
            }
            Ok(Applied::Ok(format!("duration {} s, fps {}", draft.duration, draft.fps)))
        }
        "add_character" => {
            let a: AddChar = parse(name, args)?;
            if draft.characters.iter().any(|c| c.id == a.id) {
                return Err(format!("character {:?} already exists; use edit_character", a.id));
            }
            if draft.characters.len() >= limits::MAX_CHARACTERS {
                return Err(format!("a scene has at most {} characters", limits::MAX_CHARACTERS));
            }
            if !scene_script::script::valid_id(&a.id) {
                return Err(format!("{:?} is not a valid id: use lowercase letters, digits, '_' or '-', starting with a letter", a.id));
            }
            draft.characters.push(Character { id: a.id.clone(), name: a.name, position: a.position, yaw_deg: a.yaw_deg, motions: vec![] });
            Ok(Applied::Ok(format!("added {:?}", a.id)))
        }
        "edit_character" => {
            let e: EditChar = parse(name, args)?;
            let c = find(draft, &e.id)?;
            if e.name.is_some() {
                c.name = e.name;
            }
            if e.position.is_some() {
                c.position = e.position;
            }
            if e.yaw_deg.is_some() {
                c.yaw_deg = e.yaw_deg;
            }
            if let Some(new) = e.new_id {
                c.id = new.clone();
                rename_refs(draft, &e.id, &new);
            }
            Ok(Applied::Ok(format!("edited {:?}", e.id)))
        }
        "remove_character" => {
            let r: IdOnly = parse(name, args)?;
            find(draft, &r.id)?;
            draft.characters.retain(|c| c.id != r.id);
            draft.relations.retain(|rel| !relation_ids(rel).contains(&r.id.as_str()));
            if draft.camera.character.as_deref() == Some(r.id.as_str()) {
                draft.camera = Camera::default();
            }
            Ok(Applied::Ok(format!("removed {:?}", r.id)))
        }
        "set_motion" => {
            let s: SetMotion = parse(name, args)?;
            let c = find(draft, &s.character)?;
            c.motions = s.motions;
            Ok(Applied::Ok(format!("{:?} has {} motion clip(s)", s.character, c.motions.len())))
        }
        "set_placement" => {
            let s: SetPlacement = parse(name, args)?;
            draft.relations = s.relations;
            Ok(Applied::Ok(format!("{} relation(s) set", draft.relations.len())))
        }
        "set_camera" => {
            draft.camera = parse::<Camera>(name, args)?;
            Ok(Applied::Ok("camera set".into()))
        }
        "set_render" => {
            // Merge: the given fields over the current ones.
            let mut cur = serde_json::to_value(&draft.render).map_err(|e| e.to_string())?;
            let Some(patch) = args.as_object() else { return Err("set_render: arguments must be an object".into()) };
            if let Some(o) = cur.as_object_mut() {
                for (k, v) in patch {
                    o.insert(k.clone(), v.clone());
                }
            }
            draft.render = parse::<Render>(name, &cur)?;
            Ok(Applied::Ok("render settings set".into()))
        }
        "submit_scene" => {
            let s: Submit = parse(name, args)?;
            let mut new = SceneScript::from_value(s.scene).map_err(|e| format!("submit_scene: {e}"))?;
            new.normalize_labels();
            *draft = new;
            Ok(Applied::Ok("scene replaced".into()))
        }
        "finish" => {
            let f: Finish = parse(name, args)?;
            Ok(Applied::Finish(f.summary))
        }
        other => Err(format!(
            "unknown tool {other:?}; the tools are set_basics, add_character, edit_character, remove_character, set_motion, set_placement, set_camera, set_render, submit_scene, finish"
        )),
    }
}

fn relation_ids(r: &Relation) -> Vec<&str> {
    match r {
        Relation::FaceEachOther { a, b, .. } | Relation::SideBySide { a, b, .. } => vec![a, b],
        Relation::Behind { subject, reference, .. } | Relation::InFrontOf { subject, reference, .. } => vec![subject, reference],
        Relation::Facing { subject, target } => vec![subject, target],
        Relation::Circle { members, .. } => members.iter().map(String::as_str).collect(),
    }
}

fn rename_refs(draft: &mut SceneScript, old: &str, new: &str) {
    let fix = |s: &mut String| {
        if s == old {
            *s = new.to_string();
        }
    };
    for r in &mut draft.relations {
        match r {
            Relation::FaceEachOther { a, b, .. } | Relation::SideBySide { a, b, .. } => {
                fix(a);
                fix(b)
            }
            Relation::Behind { subject, reference, .. } | Relation::InFrontOf { subject, reference, .. } => {
                fix(subject);
                fix(reference)
            }
            Relation::Facing { subject, target } => {
                fix(subject);
                fix(target)
            }
            Relation::Circle { members, .. } => members.iter_mut().for_each(fix),
        }
    }
    if let Some(c) = &mut draft.camera.character {
        fix(c);
    }
}
