//! Pose folders from real HumanML3D data: PNG + OpenPose JSON per frame, contact sheet, manifest.

use scene_render::image_io::decode_png;
use scene_render::sequence::{
    pose_json_name, pose_png_name, read_joints_npy, write_pose_folder, Character, PoseFrames, PoseSceneFile, PoseSequence,
};
use scene_render::{Camera, CameraPath, OpenPoseFrame};
use std::path::{Path, PathBuf};

fn clip() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/humanml3d/new_joints/012314.npy");
    assert!(path.exists(), "test data missing: {} (these tests read the shared data set: clone the repository with `shared/` beside it, see README)", path.display());
    path
}

#[test]
fn pose_folder_from_humanml3d_clip() {
    let frames = read_joints_npy(&clip()).expect("real clip");
    assert_eq!(frames.len(), 170);
    let seq = PoseSequence {
        characters: vec![Character { name: "walker".into(), frames: frames[..24].to_vec() }],
        camera: None,
        width: 512,
        height: 384,
        fps: 20.0,
        auto_fov_y_deg: 40.0,
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("poses");
    let manifest = write_pose_folder(&seq, &out, None).expect("write");
    assert_eq!(manifest.frames, 24);
    assert!(matches!(manifest.camera, CameraPath::Fixed(_)), "auto framing is one fixed camera");
    for f in [0, 23] {
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join(pose_json_name(f))).expect("json")).expect("parse");
        assert_eq!(json["canvas_width"], 512);
        assert_eq!(json["canvas_height"], 384);
        let kp = json["people"][0]["pose_keypoints_2d"].as_array().expect("keypoints");
        assert_eq!(kp.len(), 54);
        // The whole body is framed: every keypoint visible with c = 1 and inside the canvas.
        for k in kp.chunks(3) {
            assert_eq!(k[2].as_f64(), Some(1.0));
            let (x, y) = (k[0].as_f64().expect("x"), k[1].as_f64().expect("y"));
            assert!((0.0..512.0).contains(&x) && (0.0..384.0).contains(&y));
        }
        // Head above neck above hips in image space (y grows downwards).
        let y = |i: usize| kp[3 * i + 1].as_f64().expect("y");
        assert!(y(0) < y(1) && y(1) < y(8), "nose {} neck {} hip {}", y(0), y(1), y(8));
        let png = decode_png(&std::fs::read(out.join(pose_png_name(f))).expect("png"), "pose").expect("decode");
        assert_eq!((png.width, png.height), (512, 384));
        // Drawing the JSON again gives the PNG: JSON and image agree.
        let frame: OpenPoseFrame = serde_json::from_value(json).expect("frame");
        let mut c = scene_render::Canvas::new(512, 384);
        scene_render::PoseDrawer::new().draw_people(&mut c, &frame.to_poses().expect("poses"));
        assert_eq!(c, png);
    }
    let sheet = decode_png(&std::fs::read(out.join("contact_sheet.png")).expect("sheet"), "sheet").expect("decode");
    assert!(sheet.width >= 512 && sheet.rgb.iter().any(|&v| v > 0));
}

#[test]
fn points_behind_camera_and_off_canvas_are_left_out() {
    let frames = read_joints_npy(&clip()).expect("real clip");
    let p0 = frames[0][0];
    // Camera standing at the pelvis looking forward (+Z): the legs and most joints are behind or
    // below the view; those must be 0,0,0 in JSON, never clamped onto the canvas.
    let cam = Camera {
        position: [p0[0] as f64, 1.0, p0[2] as f64 + 0.05],
        target: [p0[0] as f64, 1.0, p0[2] as f64 + 5.0],
        up: [0.0, 1.0, 0.0],
        fov_y_deg: 40.0,
    };
    let seq = PoseSequence {
        characters: vec![Character { name: "a".into(), frames: frames[..1].to_vec() }],
        camera: Some(CameraPath::Fixed(cam)),
        width: 256,
        height: 256,
        fps: 20.0,
        auto_fov_y_deg: 40.0,
    };
    let mut pf = PoseFrames::new(&seq).expect("frames");
    let people = pf.draw(0).expect("draw").to_vec();
    let json = OpenPoseFrame::from_poses(&people, 256, 256);
    let kp = &json.people[0].pose_keypoints_2d;
    let missing = kp.chunks(3).filter(|k| k == &[0.0, 0.0, 0.0]).count();
    assert!(missing >= 10, "{missing} of 18 missing");
    assert!(kp.chunks(3).all(|k| k[2] == 0.0 || k[2] == 1.0));
}

#[test]
fn scene_file_with_two_characters_and_keyed_camera() {
    let tmp = tempfile::tempdir().expect("tmp");
    let scene = serde_json::json!({
        "width": 320, "height": 240, "fps": 20,
        "camera": [
            { "frame": 0, "position": [0.5, 1.2, 6.0], "target": [0.5, 1.0, 0.0], "fov_y_deg": 45 },
            { "frame": 10, "position": [2.5, 1.2, 6.0], "target": [2.5, 1.0, 0.0], "fov_y_deg": 45 }
        ],
        "characters": [
            { "name": "a", "motion": clip() },
            { "name": "b", "motion": clip(), "offset": [1.0, 0.0, 0.0] }
        ]
    });
    let path = tmp.path().join("scene.json");
    std::fs::write(&path, scene.to_string()).expect("write");
    let seq = PoseSceneFile::load(&path).expect("load");
    assert_eq!(seq.characters.len(), 2);
    let mut pf = PoseFrames::new(&seq).expect("frames");
    let a = pf.draw(0).expect("draw").to_vec();
    assert_eq!(a.len(), 2, "one pose per character");
    assert!((pf.camera().at(5).position[0] - 1.5).abs() < 1e-9, "keys interpolate");
    let moved = pf.draw(10).expect("draw").to_vec();
    // Same frame seen from the first key: the moved camera (further right, same target) sees the
    let first_key = scene_render::Projector::new(&pf.camera().at(0), 320, 240).expect("proj");
    let mut still = Vec::new();
    scene_render::sequence::project_frame(&seq.characters, 10, &first_key, &mut still);
    let (xm, xs) = (moved[0][1].expect("neck")[0], still[0][1].expect("neck")[0]);
    assert!(xs - xm > 50.0, "the camera panned right, so the character moved left: {xm} vs {xs}");

    let bad = serde_json::json!({ "characters": [ { "name": "x" } ] });
    std::fs::write(&path, bad.to_string()).expect("write");
    assert!(PoseSceneFile::load(&path).is_err());
}
