//! The `motion` binary end to end: conversions that real tools open (checked with the Khronos
//! glTF validator), round trips, and clear refusals of bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn motion(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_motion")).args(args).output().expect("run motion")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Runs the Khronos glTF validator (tools/gltf-validator) and returns its JSON report.
fn validate(glb: &Path) -> serde_json::Value {
    let tool = repo().join("tools/gltf-validator");
    assert!(
        tool.join("node_modules/gltf-validator").is_dir(),
        "the glTF validator is not installed: run `npm ci --prefix tools/gltf-validator` (.ci/run does)"
    );
    let o = Command::new("node").arg(tool.join("validate.mjs")).arg(glb).output().expect("node must be installed to run the glTF validator");
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("validator output is not JSON ({e}): {}", text(&o)))
}

fn assert_clean(glb: &Path) {
    let r = validate(glb);
    assert_eq!((r["numErrors"].as_u64(), r["numWarnings"].as_u64()), (Some(0), Some(0)), "{}: {r:#}", glb.display());
}

/// "mean 0.0001 cm" → 0.0001
fn mean_error_cm(out: &str) -> f64 {
    let after = out.split("mean ").nth(1).expect("error line");
    after.split(" cm").next().and_then(|v| v.trim().parse().ok()).expect("number")
}

#[test]
fn humanml3d_joints_and_features_become_valid_glb_within_a_centimetre() {
    let dir = tempfile::tempdir().unwrap();
    for (input, name) in [("new_joints/012314.npy", "joints.glb"), ("new_joint_vecs/012314.npy", "vecs.glb")] {
        let src = repo().join("../shared/data/humanml3d").join(input);
        assert!(src.exists(), "test data missing: {} (these tests read the shared data set: clone the repository with `shared/` beside it, see README)", src.display());
        let out = dir.path().join(name);
        let o = motion(&["convert", src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o));
        let mean = mean_error_cm(&text(&o));
        println!("{input}: mean position error {mean} cm");
        assert!(mean < 1.0, "{}", text(&o));
        assert_clean(&out);
    }
}

#[test]
fn bandai_bvh_converts_to_clean_glb_bvh_and_npy() {
    let dir = tempfile::tempdir().unwrap();
    for clip in ["dataset-1_dash_normal_001", "dataset-2_wave-left-hand_active_011"] {
        let src = repo().join("tests/fixtures/bandai").join(format!("{clip}.bvh"));
        for ext in ["glb", "bvh", "npy"] {
            let out = dir.path().join(format!("{clip}.{ext}"));
            let o = motion(&["convert", src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
            assert!(o.status.success(), "{}", text(&o));
            assert!(text(&o).contains("Bandai Namco"), "{}", text(&o));
            assert!(mean_error_cm(&text(&o)) < 1.0);
        }
        assert_clean(&dir.path().join(format!("{clip}.glb")));
        // Our BVH reads back (canonical names) and converts again without loss.
        let again = dir.path().join(format!("{clip}-again.npy"));
        let o = motion(&["convert", dir.path().join(format!("{clip}.bvh")).to_str().unwrap(), "-o", again.to_str().unwrap()]);
        assert!(o.status.success() && text(&o).contains("canonical joint names"), "{}", text(&o));
        let a = motion_datasets::humanml3d::read_joint_positions(&dir.path().join(format!("{clip}.npy"))).unwrap();
        let b = motion_datasets::humanml3d::read_joint_positions(&again).unwrap();
        assert_eq!(a.len(), b.len());
        let max = a.iter().zip(&b).flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt())).fold(0.0f32, f32::max);
        assert!(max < 1e-3, "BVH round trip moved a joint by {max} m");
    }
}

#[test]
fn canonical_retarget_output_is_valid_and_resampled() {
    let dir = tempfile::tempdir().unwrap();
    let src = repo().join("tests/fixtures/bandai/dataset-2_wave-left-hand_active_011.bvh");
    let out = dir.path().join("w.glb");
    let o = motion(&["convert", src.to_str().unwrap(), "-o", out.to_str().unwrap(), "--canonical", "--fps", "30"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("at 30.00 fps"), "{}", text(&o));
    assert_clean(&out);
}

#[test]
fn bad_input_is_refused_clearly_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.glb");
    let o_str = out.to_str().unwrap();
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (b"HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 zero\n".to_vec(), "bad.bvh", "bad.bvh:4"),
        (b"not a numpy file".to_vec(), "bad.npy", "not a valid .npy"),
        (b"glTF garbage".to_vec(), "bad.glb", "not a valid glTF"),
        (b"whatever".to_vec(), "bad.txt", "unknown file type"),
    ];
    for (bytes, name, expect) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let o = motion(&["convert", p.to_str().unwrap(), "-o", o_str]);
        assert!(!o.status.success());
        assert!(text(&o).contains(expect), "{name}: {}", text(&o));
        assert!(!text(&o).contains("panicked"), "{}", text(&o));
    }
    let o = motion(&["convert", "/nonexistent/x.bvh", "-o", o_str]);
    assert!(!o.status.success() && text(&o).contains("/nonexistent/x.bvh"));
    // Nothing, not even a temporary file, was left behind.
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).filter(|n| !n.to_string_lossy().starts_with("bad.")).collect();
    assert!(left.is_empty(), "{left:?}");
    // An existing output is kept unless --force.
    std::fs::write(&out, b"keep me").unwrap();
    let src = repo().join("tests/fixtures/bandai/dataset-1_dash_normal_001.bvh");
    let o = motion(&["convert", src.to_str().unwrap(), "-o", o_str]);
    assert!(!o.status.success() && text(&o).contains("--force"));
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
}

#[test]
fn dataset_build_on_fixture_clips() {
    let dir = tempfile::tempdir().unwrap();
    e2e_tests::lay_out_bandai_fixtures(&dir.path().join("src")).unwrap();
    let out = dir.path().join("cache");
    let o = motion(&["dataset", "build", "--source", dir.path().join("src").to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("all         2"), "{t}");
    assert!(t.contains("knee bent the wrong way: 0; with left/right swapped: 0"), "{t}");
    assert!(out.join("dataset.safetensors").is_file() && out.join("contact-sheet.png").is_file());
    let info = motion(&["dataset", "info", out.to_str().unwrap()]);
    assert!(info.status.success() && text(&info).contains("train"), "{}", text(&info));

    // The evaluator trains on that cache and `motion eval` reports on it (few steps: this
    // checks the plumbing and the files; the synthetic test in motion-model checks learning).
    let ev = dir.path().join("evaluator");
    let o = motion(&["train-evaluator", "--data", out.to_str().unwrap(), "--out", ev.to_str().unwrap(), "--steps", "3", "--batch", "4"]);
    assert!(o.status.success(), "{}", text(&o));
    for f in ["evaluator.bpk", "config.json", "train.json", "stats.json", "actions.json", "action_texts.json"] {
        assert!(ev.join(f).is_file(), "{f} missing: {}", text(&o));
    }
    let report = dir.path().join("report");
    let split = if text(&info).contains("train       2") { "train" } else { "test" };
    let o = motion(&["eval", "--data", out.to_str().unwrap(), "--evaluator", ev.to_str().unwrap(), "--split", split, "--repeats", "2", "--out", report.to_str().unwrap()]);
    let t = text(&o);
    println!("{t}");
    if o.status.success() {
        assert!(t.contains("FID") && t.contains("Foot skating ratio") && t.contains("noise"), "{t}");
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(report.join("eval.json")).unwrap()).unwrap();
        assert_eq!(json["sets"].as_array().map(Vec::len), Some(4), "{json:#}");
        assert!(image::open(report.join("eval.png")).is_ok());
    } else {
        assert!(t.contains("usable clips"), "{t}");
    }
    // Free-form prompts are generated with the shipped model and classified; a prompt file
    // naming an action the evaluator does not know is refused with the line number.
    let prompts = dir.path().join("prompts.tsv");
    std::fs::write(&prompts, "# comment\ndash\tan athlete sprints ahead\nwave-left-hand\ta grandpa waves his left hand\n").unwrap();
    let o = motion(&["eval", "--data", out.to_str().unwrap(), "--evaluator", ev.to_str().unwrap(), "--split", split, "--repeats", "1", "--model", repo().join("models/default").to_str().unwrap(), "--mm-samples", "0", "--prompts", prompts.to_str().unwrap(), "--prompt-samples", "2", "--out", report.to_str().unwrap()]);
    if o.status.success() {
        assert!(text(&o).contains("free-form prompts: action shown in") && text(&o).contains("/4 = "), "{}", text(&o));
    }
    std::fs::write(&prompts, "dash\tok\nflying\ta person flies\n").unwrap();
    let o = motion(&["eval", "--data", out.to_str().unwrap(), "--evaluator", ev.to_str().unwrap(), "--model", repo().join("models/default").to_str().unwrap(), "--prompts", prompts.to_str().unwrap(), "--out", report.to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains(":2: unknown action `flying`"), "{}", text(&o));

    // The judge cannot also choose the candidates it then judges.
    let o = motion(&["eval", "--data", out.to_str().unwrap(), "--evaluator", ev.to_str().unwrap(), "--model", repo().join("models/default").to_str().unwrap(), "--best-of", "2", "--critic", ev.to_str().unwrap(), "--out", dir.path().join("r3").to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains("evaluator itself"), "{}", text(&o));
    assert!(!dir.path().join("r3").exists());
    // Nor as one member of a critic ensemble (the shipped critic with the evaluator inside).
    let ens = dir.path().join("ensemble");
    std::fs::create_dir_all(ens.join("member")).unwrap();
    for (from, to) in [(repo().join("models/critic"), ens.clone()), (ev.clone(), ens.join("member"))] {
        for e in std::fs::read_dir(&from).unwrap().flatten().filter(|e| e.path().is_file()) {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
    let o = motion(&["eval", "--data", out.to_str().unwrap(), "--evaluator", ev.to_str().unwrap(), "--model", repo().join("models/default").to_str().unwrap(), "--critic", ens.to_str().unwrap(), "--out", dir.path().join("r4").to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains("evaluator itself") && text(&o).contains("member"), "{}", text(&o));
    assert!(!dir.path().join("r4").exists());

    // A missing evaluator is named, and nothing is written.
    let o = motion(&["eval", "--data", out.to_str().unwrap(), "--evaluator", dir.path().join("nope").to_str().unwrap(), "--out", dir.path().join("r2").to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains("evaluator.bpk"), "{}", text(&o));
    assert!(!dir.path().join("r2").exists());
}

/// The README's main command: text → rig-ready GLB with the shipped model, reproducible by seed.
#[test]
fn generate_turns_text_into_a_clean_glb_with_the_shipped_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wave.glb");
    let o = motion(&["generate", "an old man waves with his left hand", "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("120 frames") && text(&o).contains("best of 3 (1 guided at every step)"), "{}", text(&o));
    assert_clean(&out);
    // Same seed, same bytes; another seed, another motion.
    let again = dir.path().join("again.glb");
    let o = motion(&["generate", "an old man waves with his left hand", "-o", again.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
    let other = dir.path().join("other.bvh");
    let o = motion(&["generate", "a person runs", "--seed", "7", "--seconds", "2", "-o", other.to_str().unwrap()]);
    assert!(o.status.success() && text(&o).contains("40 frames"), "{}", text(&o));
    // The clean-up (smoothing, foot locking) is applied by default and can be switched off.
    let raw = dir.path().join("raw.bvh");
    let o = motion(&["generate", "a person runs", "--seed", "7", "--seconds", "2", "--smooth", "0", "--no-foot-lock", "-o", raw.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_ne!(std::fs::read(&other).unwrap(), std::fs::read(&raw).unwrap());
    // Best of 4, none fully guided (the shipped critic chooses): still a clean, reproducible GLB.
    let best = dir.path().join("best.glb");
    let o = motion(&["generate", "a person walks forward", "--seconds", "3", "--best-of", "4", "--fully-guided", "0", "-o", best.to_str().unwrap()]);
    assert!(o.status.success() && text(&o).contains("best of 4 in"), "{}", text(&o));
    assert_clean(&best);
    let best2 = dir.path().join("best2.glb");
    let o = motion(&["generate", "a person walks forward", "--seconds", "3", "--best-of", "4", "--fully-guided", "0", "-o", best2.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(&best).unwrap(), std::fs::read(&best2).unwrap());
    // One sample needs no critic.
    let single = dir.path().join("single.glb");
    let o = motion(&["generate", "a person walks forward", "--seconds", "3", "--best-of", "1", "--critic", "/nonexistent", "-o", single.to_str().unwrap()]);
    assert!(o.status.success() && !text(&o).contains("best of"), "{}", text(&o));
    assert_clean(&single);
    // Refusals name the problem and write nothing.
    for (args, says) in [
        (vec!["generate", "a person walks", "--best-of", "0", "-o"], "--best-of"),
        (vec!["generate", "a person walks", "--best-of", "2", "--critic", "/nonexistent", "-o"], "critic"),
        (vec!["generate", "a person walks", "--best-of", "2", "--fully-guided", "3", "-o"], "--fully-guided"),
        (vec!["generate", "   ", "-o"], "empty"),
        (vec!["generate", "a person walks", "--seconds", "0", "-o"], "--seconds"),
        (vec!["generate", "a person walks", "--samples", "99", "-o"], "--samples"),
        (vec!["generate", "a person walks", "--smooth", "50", "-o"], "--smooth"),
        (vec!["generate", "a person walks", "--model", "/nonexistent", "-o"], "model directory /nonexistent"),
    ] {
        let bad = dir.path().join("bad.glb");
        let mut a = args.clone();
        a.push(bad.to_str().unwrap());
        let o = motion(&a);
        assert!(!o.status.success() && text(&o).contains(says), "{args:?}: {}", text(&o));
        assert!(!bad.exists());
    }
    let o = motion(&["generate", "a person walks", "-o", dir.path().join("x.txt").to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains(".glb"), "{}", text(&o));
}
