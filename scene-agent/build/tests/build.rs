//! Building real scenes from dataset clips (the two Bandai Namco fixtures).

use motion::dataset::{build, BuildOptions};
use motion::import::glb::read_glb_characters;
use motion::retarget::position_error;
use motion::rotation::heading_yaw;
use scene_build::{build_scene, write_scene, DatasetClipSource, BLEND_FRAMES};
use scene_script::Scene;
use std::path::Path;

fn fixture_cache() -> DatasetClipSource {
    let dir = tempfile::tempdir().unwrap();
    e2e_tests::lay_out_bandai_fixtures(dir.path()).unwrap();
    let (cache, _) = build(dir.path(), &BuildOptions::default(), &|_, _| {}).unwrap();
    DatasetClipSource::new(cache).unwrap()
}

const SCENE: &str = r#"{
  "version": 1, "duration": 4.0, "fps": 20,
  "characters": [
    {"id": "alice", "motions": [
      {"text": "a person dashes forward", "start": 0.0, "duration": 2.0, "action": "dash"},
      {"text": "she waves with her left hand", "start": 2.0, "duration": 2.0, "action": "wave-left-hand"}]},
    {"id": "bob", "motions": [{"text": "waves his left hand", "start": 0.5, "duration": 3.0, "action": "wave-left-hand", "style": "active"}]}
  ],
  "relations": [{"type": "face_each_other", "a": "alice", "b": "bob", "distance": 6.0}],
  "camera": {"mode": "orbit", "distance": "0:(7.0), 79:(5.0)", "height": 1.6}
}"#;

fn max_step(m: &motion::Motion, range: std::ops::Range<usize>) -> f32 {
    let p = m.joint_positions();
    range.filter(|&f| f > 0 && f < p.len()).map(|f| p[f].iter().zip(&p[f - 1]).map(|(a, b)| (a - b).norm()).fold(0.0, f32::max)).fold(0.0, f32::max)
}

#[test]
fn two_characters_placed_facing_each_other_with_smooth_joins() {
    let source = fixture_cache();
    let scene = Scene::from_json(SCENE).unwrap();
    let built = build_scene(&scene, &source, 7).unwrap();
    assert_eq!(built.frames, 80);
    assert_eq!(built.characters.len(), 2);
    for c in &built.characters {
        assert_eq!(c.motion.num_frames(), 80);
        let place = scene.placement(&c.id).unwrap();
        let p0 = c.motion.poses[0].root_m;
        assert!((p0.x - place.position[0]).abs() < 1e-3 && (p0.z - place.position[2]).abs() < 1e-3, "{} starts at {p0:?}, placed at {:?}", c.id, place.position);
        let yaw = heading_yaw(&c.motion.poses[0].local[0]);
        let d = (yaw - place.yaw).rem_euclid(std::f32::consts::TAU);
        assert!(d < 1e-3 || d > std::f32::consts::TAU - 1e-3, "{} heading {yaw} vs placement {}", c.id, place.yaw);
    }
    // Facing each other: each one's heading points at the other.
    let (a, b) = (&built.characters[0].motion.poses[0], &built.characters[1].motion.poses[0]);
    let towards = (b.root_m - a.root_m).normalize();
    let f = a.local[0] * nalgebra::Vector3::z();
    let fwd = nalgebra::Vector3::new(f.x, 0.0, f.z).normalize(); // a dash leans forward: compare on the ground
    assert!(towards.x * fwd.x + towards.z * fwd.z > 0.9, "towards {towards:?} fwd {fwd:?} placements {:?}", scene.placements);
    // The join at 2 s (dash -> wave) moves no joint further than the clips themselves do.
    let alice = &built.characters[0];
    assert_eq!(alice.clips.len(), 2);
    let join = alice.clips[1].start_frame;
    let inside = max_step(&alice.motion, 1..join).max(max_step(&alice.motion, join + BLEND_FRAMES + 1..80));
    let at_join = max_step(&alice.motion, join..join + BLEND_FRAMES + 1);
    assert!(at_join <= inside * 1.05 + 0.01, "join step {at_join} m vs {inside} m inside the clips");
    // The camera orbits: its azimuth changes, its distance follows the schedule.
    let (c0, c1) = (built.camera[0], built.camera[79]);
    assert_ne!(c0.eye, c1.eye);
    let dist = |c: scene_script::CameraPose| ((c.eye[0] - c.target[0]).powi(2) + (c.eye[2] - c.target[2]).powi(2)).sqrt();
    assert!((dist(c0) - 7.0).abs() < 1e-3 && (dist(c1) - 5.0).abs() < 1e-3);
}

#[test]
fn written_scene_reads_back_and_is_reproducible() {
    let source = fixture_cache();
    let scene = Scene::from_json(SCENE).unwrap();
    let built = build_scene(&scene, &source, 7).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (glb, manifest) = write_scene(&built, &dir.path().join("out"), 7).unwrap();
    let chars = read_glb_characters(&std::fs::read(&glb).unwrap(), &glb).unwrap();
    assert_eq!(chars.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["alice", "bob"]);
    for (c, b) in chars.iter().zip(&built.characters) {
        assert!(position_error(&b.motion.joint_positions(), &c.frames).max_m < 1e-4);
    }
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    assert_eq!(m["characters"][0]["clips"][1]["source"], "dataset clip dataset-2_wave-left-hand_active_011");
    assert_eq!(m["camera"].as_array().unwrap().len(), 80);
    let again = build_scene(&scene, &source, 7).unwrap();
    assert_eq!(again.characters[1].motion.poses, built.characters[1].motion.poses);
    // The glTF validator accepts it when it is installed (CI installs it).
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/gltf-validator");
    if tool.join("node_modules/gltf-validator").is_dir() {
        let o = std::process::Command::new("node").arg(tool.join("validate.mjs")).arg(&glb).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    }
}

#[test]
fn unknown_motion_is_a_clear_error() {
    let source = fixture_cache();
    let text = SCENE.replace(r#""text": "waves his left hand", "start": 0.5, "duration": 3.0, "action": "wave-left-hand", "style": "active""#, r#""text": "juggles flaming torches", "start": 0.5, "duration": 3.0"#);
    let scene = Scene::from_json(&text).unwrap();
    let e = build_scene(&scene, &source, 7).err().unwrap().to_string();
    assert!(e.contains("bob") && e.contains("juggles"), "{e}");
}
