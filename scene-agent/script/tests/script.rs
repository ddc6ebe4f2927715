//! Scene-script behaviour: parsing, validation messages, placement, camera, and the published
//! JSON Schema agreeing with the validator.

use std::path::PathBuf;

use scene_script::{CameraMode, Scene, SceneScript, ScriptError, limits, schema};
use serde_json::{Value, json};

fn scenes_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes")
}

fn example_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(scenes_dir()).expect("scenes dir").filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
    v.sort();
    assert!(v.len() >= 3);
    v
}

fn base() -> Value {
    json!({
        "version": 1,
        "duration": 8,
        "characters": [
            {"id": "a", "motions": [{"text": "walks", "start": 0, "duration": 4, "action": "walk"}]},
            {"id": "b", "motions": [{"text": "waves", "start": 0, "duration": 8}]}
        ],
        "relations": [{"type": "face_each_other", "a": "a", "b": "b", "distance": 4}],
        "camera": {"mode": "orbit", "distance": "0:(5.0), 80:(3.5)"}
    })
}

fn issues(v: &Value) -> Vec<String> {
    match SceneScript::from_value(v.clone()).and_then(|s| s.validate()) {
        Ok(()) => vec![],
        Err(ScriptError::Invalid(is)) => is.iter().map(|i| i.to_string()).collect(),
        Err(e) => vec![e.to_string()],
    }
}

/// Sets the value at a JSON pointer, creating the last key if its parent object exists.
fn set(v: &mut Value, pointer: &str, x: Value) {
    if let Some(slot) = v.pointer_mut(pointer) {
        *slot = x;
        return;
    }
    let (parent, key) = pointer.rsplit_once('/').unwrap_or_else(|| panic!("bad pointer {pointer}"));
    let obj = v.pointer_mut(parent).and_then(Value::as_object_mut).unwrap_or_else(|| panic!("no parent for {pointer}"));
    obj.insert(key.to_string(), x);
}

#[test]
fn examples_load_and_solve() {
    for p in example_files() {
        let text = std::fs::read_to_string(&p).expect("read");
        let scene = Scene::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(scene.placements.len(), scene.script.characters.len());
        let cam = scene.camera_at(0.0);
        assert!(cam.vfov_deg >= limits::MIN_FOV_DEG as f32);
    }
}

#[test]
fn face_each_other_places_characters_apart_and_facing() {
    let scene = Scene::new(SceneScript::from_value(base()).expect("parse")).expect("valid");
    let (a, b) = (&scene.placements[0], &scene.placements[1]);
    let d = (a.position[0] - b.position[0]).hypot(a.position[2] - b.position[2]);
    assert!((d - 4.0).abs() < 1e-5, "distance {d}");
    // a's forward vector points at b and vice versa.
    let fa = [a.yaw.sin(), a.yaw.cos()];
    let to_b = [(b.position[0] - a.position[0]) / d, (b.position[2] - a.position[2]) / d];
    assert!((fa[0] * to_b[0] + fa[1] * to_b[1] - 1.0).abs() < 1e-5);
    let fb = [b.yaw.sin(), b.yaw.cos()];
    assert!((fb[0] * -to_b[0] + fb[1] * -to_b[1] - 1.0).abs() < 1e-5);
    assert_eq!(a.position[1], 0.0);
}

#[test]
fn side_by_side_behind_circle() {
    let mut v = base();
    v["characters"].as_array_mut().expect("array").push(json!({"id": "c"}));
    v["characters"].as_array_mut().expect("array").push(json!({"id": "d"}));
    set(&mut v, "/relations", json!([
        {"type": "side_by_side", "a": "a", "b": "b", "distance": 1.0},
        {"type": "behind", "subject": "c", "reference": "a", "distance": 2.0},
        {"type": "in_front_of", "subject": "d", "reference": "a", "distance": 3.0}
    ]));
    let s = Scene::new(SceneScript::from_value(v.clone()).expect("parse")).expect("valid");
    let p = |i: usize| s.placements[i].position;
    // a at origin facing +Z; right of a is -X; behind is -Z; in front is +Z facing back.
    assert_eq!(p(0), [0.0, 0.0, 0.0]);
    assert!((p(1)[0] + 1.0).abs() < 1e-5 && p(1)[2].abs() < 1e-5, "{:?}", p(1));
    assert!((p(2)[2] + 2.0).abs() < 1e-5);
    assert!((p(3)[2] - 3.0).abs() < 1e-5);
    assert!((s.placements[3].yaw.abs() - std::f32::consts::PI).abs() < 1e-5);

    set(&mut v, "/relations", json!([{"type": "circle", "members": ["a", "b", "c", "d"], "radius": 3.0}]));
    let s = Scene::new(SceneScript::from_value(v.clone()).expect("parse")).expect("valid");
    for pl in &s.placements {
        let r = pl.position[0].hypot(pl.position[2]);
        assert!((r - 3.0).abs() < 1e-4);
        // Facing the centre: forward is opposite to the position vector.
        let dot = pl.yaw.sin() * pl.position[0] + pl.yaw.cos() * pl.position[2];
        assert!((dot + 3.0).abs() < 1e-4, "{pl:?}");
    }

    // Placing someone twice is a conflict with a message naming the character.
    set(&mut v, "/relations", json!([
        {"type": "behind", "subject": "c", "reference": "a"},
        {"type": "side_by_side", "a": "b", "b": "c"}
    ]));
    let err = Scene::new(SceneScript::from_value(v).expect("parse")).expect_err("conflict").to_string();
    assert!(err.contains("\"c\"") && err.contains("relations[1]"), "{err}");
}

#[test]
fn unplaced_characters_do_not_overlap() {
    let v = json!({"version": 1, "duration": 3, "characters": [{"id": "a"}, {"id": "b"}, {"id": "c"}]});
    let s = Scene::new(SceneScript::from_value(v).expect("parse")).expect("valid");
    let xs: Vec<f32> = s.placements.iter().map(|p| p.position[0]).collect();
    assert!(xs[0] < xs[1] && xs[1] < xs[2]);
    assert!((xs[0] + xs[2]).abs() < 1e-5, "row is centred: {xs:?}");
}

#[test]
fn validation_messages_name_the_field() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/version", json!(2), "version: is 2"),
        ("/duration", json!(600), "duration: is 600 s"),
        ("/characters/0/motions/0/duration", json!(9), "characters[0].motions[0]: ends at 9 s"),
        ("/characters/0/motions/0/action", json!("moonwalk"), "characters[0].motions[0].action: \"moonwalk\" is not a known action"),
        ("/characters/0/motions/0/style", json!("hapy"), "did you mean \"happy\""),
        ("/characters/1/id", json!("a"), "characters[1].id: id \"a\" is used twice"),
        ("/characters/1/id", json!("Bad Id"), "is not a valid id"),
        ("/relations/0/b", json!("zed"), "relations[0].b: refers to unknown character \"zed\""),
        ("/relations/0/distance", json!(500), "relations[0].distance: is 500 m"),
        ("/camera/distance", json!("0:(5.0) 80:(3.5)"), "camera.distance: invalid schedule: at character 8"),
        ("/camera/distance", json!("0:(5.0), 900:(3.5)"), "after the last frame 160"),
        ("/camera/distance", json!("0:(5.0), 80:(-3)"), "camera.distance: takes values from -3 m"),
    ];
    for (ptr, val, want) in cases {
        let mut v = base();
        set(&mut v, ptr, val);
        let got = issues(&v);
        assert!(got.iter().any(|m| m.contains(want)), "{ptr}: want {want:?}, got {got:?}");
    }
    assert!(issues(&base()).is_empty());
}

#[test]
fn hard_bounds_are_enforced() {
    let mut v = base();
    let many: Vec<Value> = (0..limits::MAX_CHARACTERS + 1).map(|i| json!({"id": format!("c{i}")})).collect();
    set(&mut v, "/characters", Value::Array(many));
    set(&mut v, "/relations", json!([]));
    assert!(issues(&v).iter().any(|m| m.contains("the limit is 8")));

    let mut v = base();
    v["render"] = json!({"width": 100000, "height": 100});
    let got = issues(&v);
    assert!(got.iter().any(|m| m.starts_with("render.width: is 100000 px")), "{got:?}");
    assert!(got.iter().any(|m| m.starts_with("render.height: is 100 px; it must be a multiple of 8")), "{got:?}");

    let mut v = base();
    set(&mut v, "/characters/0/motions/0/text", json!("x".repeat(limits::MAX_PROMPT_CHARS + 1)));
    assert!(issues(&v).iter().any(|m| m.contains("characters[0].motions[0].text: is 501 characters")));

    let mut v = base();
    v["fps"] = json!(60);
    set(&mut v, "/duration", json!(59));
    set(&mut v, "/camera", json!({"mode": "static"}));
    assert!(issues(&v).iter().any(|m| m.contains("3540 frames; the limit is 1800")));

    for bad in ["../../etc", "/tmp/x", "a/../../b", "C:\\\\x"] {
        let mut v = base();
        v["render"] = json!({"output_dir": bad});
        assert!(issues(&v).iter().any(|m| m.starts_with("render.output_dir")), "{bad}");
    }
}

#[test]
fn overlapping_motions_are_refused() {
    let mut v = base();
    v["characters"][0]["motions"] = json!([
        {"text": "walks", "start": 0, "duration": 4},
        {"text": "waves", "start": 3, "duration": 2}
    ]);
    let got = issues(&v);
    assert!(got.iter().any(|m| m.contains("characters[0].motions[1]: starts at 3 s, before motions[0] ends at 4 s")), "{got:?}");
}

#[test]
fn unknown_fields_and_bad_types_are_parse_errors() {
    let mut v = base();
    v["colour"] = json!("red");
    let e = SceneScript::from_value(v).expect_err("unknown field").to_string();
    assert!(e.contains("unknown field `colour`"), "{e}");
    let e = SceneScript::from_json("{\"version\": 1, \"duration\": \"long\"}").expect_err("type").to_string();
    assert!(e.contains("line 1"), "{e}");
}

#[test]
fn synonyms_are_normalised_before_validation() {
    let mut v = base();
    set(&mut v, "/characters/0/motions/0/action", json!("jog"));
    v["characters"][0]["motions"][0]["style"] = json!("old man");
    let mut s = SceneScript::from_value(v).expect("parse");
    assert!(s.validate().is_err());
    s.normalize_labels();
    s.validate().expect("valid after normalising");
    assert_eq!(s.characters[0].motions[0].action.as_deref(), Some("run"));
    assert_eq!(s.characters[0].motions[0].style.as_deref(), Some("elderly"));
    // "waves" in free text resolves to an action.
    assert_eq!(s.characters[1].motions[0].action.as_deref(), Some("wave-right-hand"));
}

#[test]
fn camera_orbit_dolly_follow_static() {
    let mut v = base();
    set(&mut v, "/camera", json!({"mode": "orbit", "distance": 5, "height": 2, "azimuth_deg": 0, "orbit_speed_deg_per_s": 90}));
    let s = Scene::new(SceneScript::from_value(v.clone()).expect("parse")).expect("valid");
    let c0 = s.camera_at(0.0);
    let c1 = s.camera_at(1.0);
    assert!((c0.eye[2] - 5.0).abs() < 1e-4 && c0.eye[0].abs() < 1e-4, "{c0:?}");
    assert!((c1.eye[0] - 5.0).abs() < 1e-4 && c1.eye[2].abs() < 1e-4, "{c1:?}");
    assert_eq!(c0.eye[1], 2.0);
    assert_eq!(c0.target, [0.0, 1.0, 0.0]);
    assert_eq!(c0.vfov_deg, 45.0);

    set(&mut v, "/camera", json!({"mode": "dolly", "distance": "0:(8), 160:(4)", "azimuth_deg": 90}));
    let s = Scene::new(SceneScript::from_value(v.clone()).expect("parse")).expect("valid");
    assert!((s.camera_at(0.0).eye[0] - 8.0).abs() < 1e-4);
    assert!((s.camera_at(4.0).eye[0] - 6.0).abs() < 1e-4);
    assert!((s.camera_at(8.0).eye[0] - 4.0).abs() < 1e-4);
    assert!((s.camera_at(100.0).eye[0] - 4.0).abs() < 1e-4, "clamped to the end");

    set(&mut v, "/camera", json!({"mode": "follow", "character": "b", "distance": 3}));
    let s = Scene::new(SceneScript::from_value(v.clone()).expect("parse")).expect("valid");
    let b = s.placement("b").expect("b").position;
    assert_eq!(s.camera_at(1.0).target, [b[0], 1.0, b[2]]);
    let moved = s.camera_at_with(1.0, |id| (id == "b").then_some([7.0, 0.0, 7.0]));
    assert_eq!(moved.target, [7.0, 1.0, 7.0]);

    set(&mut v, "/camera", json!({"mode": "static", "eye": [0, 2, 9], "target": [0, 1, 0], "fov_deg": "0:(60), 160:(30)", "interpolation": "step"}));
    let s = Scene::new(SceneScript::from_value(v.clone()).expect("parse")).expect("valid");
    assert_eq!(s.camera_at(3.0).eye, [0.0, 2.0, 9.0]);
    assert_eq!(s.camera_at(7.9).vfov_deg, 60.0, "step holds the key value");
    assert_eq!(s.script.camera.mode, CameraMode::Static);

    set(&mut v, "/camera", json!({"mode": "follow"}));
    assert!(issues(&v).iter().any(|m| m.contains("camera.character: mode \"follow\" needs")));
}

#[test]
fn serialised_script_round_trips() {
    for p in example_files() {
        let s = SceneScript::from_json(&std::fs::read_to_string(&p).expect("read")).expect("parse");
        let again = SceneScript::from_json(&s.to_json_pretty()).expect("reparse");
        assert_eq!(s, again);
    }
}

// --- The published schema ---

fn docs_schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/scene-script.schema.json")
}

#[test]
fn published_schema_is_current() {
    let want = schema::scene_schema_pretty();
    let path = docs_schema_path();
    if std::env::var_os("SCENE_SCRIPT_BLESS").is_some() {
        std::fs::write(&path, &want).expect("write schema");
    }
    let have = std::fs::read_to_string(&path).expect("docs/scene-script.schema.json exists (run with SCENE_SCRIPT_BLESS=1 to write it)");
    assert!(have == want, "docs/scene-script.schema.json is stale; rerun the tests with SCENE_SCRIPT_BLESS=1");
}

fn schema_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(docs_schema_path()).expect("schema file");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::draft202012::new(&schema).expect("schema compiles")
}

#[test]
fn schema_accepts_what_the_validator_accepts() {
    let v = schema_validator();
    let mut docs: Vec<Value> = example_files().iter().map(|p| serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json")).collect();
    docs.push(base());
    // Minimal document: defaults fill the rest.
    docs.push(json!({"version": 1, "duration": 1, "characters": [{"id": "x"}]}));
    // A serialised script (defaults written out) must be schema-valid too.
    docs.push(serde_json::to_value(SceneScript::from_value(base()).expect("parse")).expect("to value"));
    for d in &docs {
        assert!(issues(d).is_empty(), "validator: {:?}", issues(d));
        let errs: Vec<String> = v.iter_errors(d).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errs.is_empty(), "schema rejects a valid script: {errs:?}");
    }
}

#[test]
fn schema_and_validator_both_refuse_bad_documents() {
    let v = schema_validator();
    let mutations: Vec<(&str, Value)> = vec![
        ("/version", json!(2)),
        ("/duration", json!(0.1)),
        ("/duration", json!(61)),
        ("/fps", json!(0)),
        ("/fps", json!(61)),
        ("/characters", json!([])),
        ("/characters/0/id", json!("Has Space")),
        ("/characters/0/motions/0/text", json!("")),
        ("/characters/0/motions/0/action", json!("fly")),
        ("/characters/0/motions/0/style", json!("purple")),
        ("/characters/0/motions/0/start", json!(-1)),
        ("/characters/0/position", json!([1, 2, 3])),
        ("/relations/0/distance", json!(0.01)),
        ("/relations/0/type", json!("hug")),
        ("/camera/mode", json!("crane")),
        ("/camera/distance", json!("fast")),
        ("/camera/fov_deg", json!(170)),
        ("/camera/interpolation", json!("bezier")),
        ("/render", json!({"width": 4096})),
        ("/render", json!({"height": 500})),
        ("/render", json!({"seed": -1})),
        ("/render", json!({"backend": "midjourney"})),
        ("/render", json!({"output_dir": "../up"})),
        ("/render", json!({"output_dir": "/abs"})),
        ("/render", json!({"controlnet": {"model": "openpose", "weight": 5}})),
        ("/render", json!({"style_prompt": "x".repeat(limits::MAX_STYLE_PROMPT_CHARS + 1)})),
    ];
    for (ptr, val) in mutations {
        let mut d = base();
        set(&mut d, ptr, val.clone());
        assert!(!issues(&d).is_empty(), "validator accepts {ptr} = {val}");
        assert!(!v.is_valid(&d), "schema accepts {ptr} = {val}");
    }
    // Unknown keys anywhere are refused by both.
    for ptr in ["", "/characters/0", "/characters/0/motions/0", "/camera", "/relations/0"] {
        let mut d = base();
        d.pointer_mut(ptr).and_then(Value::as_object_mut).expect("object").insert("ignore_the_schema".into(), json!(true));
        assert!(!issues(&d).is_empty() && !v.is_valid(&d), "unknown key at {ptr:?}");
    }
}
