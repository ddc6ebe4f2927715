//! `scene-agent build` and `scene-agent poses` on a scene script, with motions from a dataset
//! cache made of the two Bandai Namco fixture clips.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture_cache(dir: &Path) -> PathBuf {
    let src = e2e_tests::lay_out_bandai_fixtures(&dir.join("src")).unwrap();
    let (cache, _) = motion::dataset::build(&src, &motion::dataset::BuildOptions::default(), &|_, _| {}).unwrap();
    let out = dir.join("cache");
    std::fs::create_dir_all(&out).unwrap();
    cache.write(&out.join(motion::dataset::CACHE_FILE)).unwrap();
    out
}

const SCENE: &str = r#"{"version": 1, "duration": 3.0, "fps": 20,
  "characters": [
    {"id": "a", "motions": [{"text": "dashes", "start": 0, "duration": 1.5, "action": "dash"}, {"text": "waves with the left hand", "start": 1.5, "duration": 1.5, "action": "wave-left-hand"}]},
    {"id": "b", "motions": [{"text": "waves", "start": 0, "duration": 3, "action": "wave-left-hand"}]}],
  "relations": [{"type": "face_each_other", "a": "a", "b": "b", "distance": 4}],
  "camera": {"mode": "orbit"},
  "render": {"width": 384, "height": 256}}"#;

fn run(args: &[&str]) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_scene-agent")).args(args).output().unwrap();
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

#[test]
fn build_writes_a_valid_scene_glb_and_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let cache = fixture_cache(dir.path());
    let scene = dir.path().join("scene.json");
    std::fs::write(&scene, SCENE).unwrap();
    let out = dir.path().join("out");
    let (ok, text) = run(&["build", scene.to_str().unwrap(), "-o", out.to_str().unwrap(), "--dataset", cache.to_str().unwrap()]);
    assert!(ok, "{text}");
    assert!(text.contains("dataset clip dataset-1_dash_normal_001"), "{text}");
    let chars = motion::import::glb::read_glb_characters(&std::fs::read(out.join("scene.glb")).unwrap(), Path::new("scene.glb")).unwrap();
    assert_eq!(chars.len(), 2);
    assert_eq!(chars[0].frames.len(), 60);
    let tool = repo().join("../tools/gltf-validator");
    if tool.join("node_modules/gltf-validator").is_dir() {
        let o = Command::new("node").arg(tool.join("validate.mjs")).arg(out.join("scene.glb")).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    }
    // Poses straight from the scene script: the scene's size and camera, one frame per scene frame.
    let poses = dir.path().join("poses");
    let (ok, text) = run(&["poses", scene.to_str().unwrap(), "-o", poses.to_str().unwrap(), "--dataset", cache.to_str().unwrap()]);
    assert!(ok, "{text}");
    assert!(text.contains("60 pose frames (384×256, 2 character(s))"), "{text}");
    assert!(poses.join("pose_00059.png").is_file());
}

#[test]
fn build_refuses_a_missing_cache_and_bad_scripts_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let scene = dir.path().join("scene.json");
    std::fs::write(&scene, SCENE).unwrap();
    let out = dir.path().join("out");
    let (ok, text) = run(&["build", scene.to_str().unwrap(), "-o", out.to_str().unwrap(), "--dataset", dir.path().join("nope").to_str().unwrap()]);
    assert!(!ok && text.contains("motion dataset build"), "{text}");
    std::fs::write(&scene, SCENE.replace("\"duration\": 3.0", "\"duration\": 9999")).unwrap();
    let (ok, text) = run(&["build", scene.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(!ok && text.contains("duration"), "{text}");
    assert!(!out.exists(), "nothing may be written for a refused scene");
}
