//! Golden test: our OpenPose drawing against an independent OpenCV reference
//! (`reference/openpose_reference.py`, committed output in `tests/fixtures/golden/`).
//!
//! Tolerance: at most 0.05 % of an image's pixels may differ (any channel); the committed
//! fixtures currently match exactly. Regenerate the inputs with
//! `cargo test -p scene-render --test golden -- --ignored regenerate_golden_inputs`, then run the
//! Python script on the folder.

use scene_render::draw::{Canvas, Pose18, PoseDrawer};
use scene_render::image_io::decode_png;
use scene_render::sequence::{read_joints_npy, Character, PoseFrames, PoseSequence};
use scene_render::{Camera, CameraPath, OpenPoseFrame};
use std::path::{Path, PathBuf};

/// Share of pixels allowed to differ from the reference.
const MAX_DIFF_FRACTION: f64 = 0.0005;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden")
}

fn draw(frame: &OpenPoseFrame) -> Canvas {
    let people = frame.to_poses().expect("valid keypoints");
    let mut c = Canvas::new(frame.canvas_width, frame.canvas_height);
    PoseDrawer::new().draw_people(&mut c, &people);
    c
}

#[test]
fn drawing_matches_opencv_reference() {
    let mut cases = 0;
    let mut entries: Vec<_> = std::fs::read_dir(fixture_dir())
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    entries.sort();
    for json in entries {
        let frame: OpenPoseFrame = serde_json::from_slice(&std::fs::read(&json).expect("read")).expect("json");
        let ours = draw(&frame);
        let png = std::fs::read(json.with_extension("png")).expect("reference png next to json");
        let reference = decode_png(&png, "reference").expect("decode");
        assert_eq!((ours.width, ours.height), (reference.width, reference.height), "{}", json.display());
        let total = (ours.width * ours.height) as usize;
        let differing = ours.rgb.chunks_exact(3).zip(reference.rgb.chunks_exact(3)).filter(|(a, b)| a != b).count();
        let lit = reference.rgb.chunks_exact(3).filter(|p| p.iter().any(|&v| v > 0)).count();
        // Guard against a vacuous pass on empty images.
        assert!(lit > 500, "{}: reference has only {lit} drawn pixels", json.display());
        let frac = differing as f64 / total as f64;
        println!("{}: {differing} of {total} pixels differ ({lit} drawn)", json.display());
        assert!(
            frac <= MAX_DIFF_FRACTION,
            "{}: {differing} pixels differ ({:.4} %), tolerance {:.3} %",
            json.display(),
            frac * 100.0,
            MAX_DIFF_FRACTION * 100.0
        );
        cases += 1;
    }
    assert!(cases >= 3, "expected the committed golden fixtures, found {cases}");
}

/// Tiny deterministic generator for the synthetic stress poses.
struct Lcg(u64);
impl Lcg {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn write_frame(name: &str, frame: &OpenPoseFrame) {
    let path = fixture_dir().join(name);
    std::fs::write(&path, serde_json::to_vec(frame).expect("json")).expect("write fixture");
}

#[test]
#[ignore = "regenerates the golden inputs; run the Python reference afterwards"]
fn regenerate_golden_inputs() {
    std::fs::create_dir_all(fixture_dir()).expect("mkdir");
    let npy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/humanml3d/new_joints/012314.npy");
    let frames = read_joints_npy(&npy).expect("HumanML3D clip");
    // 1. Real clip, auto framing, three frames.
    let seq = PoseSequence {
        characters: vec![Character { name: "a".into(), frames: frames.clone() }],
        camera: None,
        width: 512,
        height: 512,
        fps: 20.0,
        auto_fov_y_deg: 40.0,
    };
    let mut pf = PoseFrames::new(&seq).expect("frames");
    for i in [0usize, 60, 120] {
        let people = pf.draw(i).expect("draw").to_vec();
        write_frame(&format!("humanml3d_012314_f{i:03}.json"), &OpenPoseFrame::from_poses(&people, 512, 512));
    }
    // 2. Two characters, close oblique camera: limbs cross the canvas edge, points leave it.
    let shifted: Vec<_> = frames.iter().map(|f| f.map(|p| [p[0] + 0.9, p[1], p[2] - 0.4])).collect();
    let seq = PoseSequence {
        characters: vec![
            Character { name: "a".into(), frames: frames.clone() },
            Character { name: "b".into(), frames: shifted },
        ],
        camera: Some(CameraPath::Fixed(Camera {
            position: [1.6, 1.3, 2.0],
            target: [0.4, 0.9, 0.0],
            up: [0.0, 1.0, 0.0],
            fov_y_deg: 50.0,
        })),
        width: 640,
        height: 384,
        fps: 20.0,
        auto_fov_y_deg: 40.0,
    };
    let mut pf = PoseFrames::new(&seq).expect("frames");
    let people = pf.draw(90).expect("draw").to_vec();
    write_frame("two_people_clipped_640x384.json", &OpenPoseFrame::from_poses(&people, 640, 384));
    // 3. Synthetic: random keypoints anywhere on a small canvas, every limb angle and length.
    let mut rng = Lcg(7);
    let people: Vec<Pose18> = (0..3)
        .map(|_| {
            let mut p: Pose18 = [None; 18];
            for k in p.iter_mut() {
                if rng.next_f64() > 0.1 {
                    *k = Some([rng.next_f64() * 256.0, rng.next_f64() * 200.0]);
                }
            }
            p
        })
        .collect();
    write_frame("synthetic_random_256x200.json", &OpenPoseFrame::from_poses(&people, 256, 200));
}
