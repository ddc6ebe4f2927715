//! Exports read back to the joint positions they were made from.

use motion::convert::{load_motion, ConvertOptions};
use motion::export::{bvh::to_bvh, glb::{glb_bytes, CharacterTrack}};
use motion::import::{glb::read_glb_characters, positions_from_bvh};
use motion::retarget::{position_error, Target};
use motion_datasets::bvh::Bvh;
use std::path::{Path, PathBuf};

fn shared(p: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data").join(p);
    assert!(path.exists(), "test data missing: {} (these tests read the shared data set: clone the repository with `shared/` beside it, see README)", path.display());
    path
}

fn humanml3d_motion(target: Target) -> motion::Motion {
    let opts = ConvertOptions { target, ..Default::default() };
    load_motion(&shared("humanml3d/new_joints/012314.npy"), &opts).unwrap().0
}

#[test]
fn glb_round_trip_reproduces_every_frame() {
    for target in [Target::Fitted, Target::Canonical] {
        let m = humanml3d_motion(target);
        let bytes = glb_bytes(&[CharacterTrack { name: "c", motion: &m }], None).unwrap();
        let chars = read_glb_characters(&bytes, Path::new("mem.glb")).unwrap();
        assert_eq!(chars.len(), 1);
        assert_eq!(chars[0].frames.len(), m.num_frames());
        assert!((chars[0].fps - 20.0).abs() < 1e-3);
        let e = position_error(&m.joint_positions(), &chars[0].frames);
        assert!(e.max_m < 1e-4, "{target:?}: {e:?}");
    }
}

#[test]
fn glb_with_two_characters_keeps_them_apart() {
    let a = humanml3d_motion(Target::Canonical);
    let b = a.mirrored().transformed(1.0, nalgebra::Vector3::new(2.0, 0.0, 0.0));
    let bytes = glb_bytes(&[CharacterTrack { name: "alice", motion: &a }, CharacterTrack { name: "bob", motion: &b }], None).unwrap();
    let chars = read_glb_characters(&bytes, Path::new("mem.glb")).unwrap();
    assert_eq!(chars.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["alice", "bob"]);
    assert!(position_error(&b.joint_positions(), &chars[1].frames).max_m < 1e-4);
}

#[test]
fn bvh_round_trip_through_the_reader() {
    let m = humanml3d_motion(Target::Fitted);
    let text = to_bvh(&m).to_text();
    let bvh = Bvh::parse(&text, Path::new("mem.bvh")).unwrap();
    assert_eq!(bvh.num_frames(), m.num_frames());
    assert!((1.0 / bvh.frame_time_s - 20.0).abs() < 1e-3);
    let (frames, _, map) = positions_from_bvh(&bvh, Path::new("mem.bvh"), None).unwrap();
    assert_eq!(map, "canonical");
    let e = position_error(&m.joint_positions(), &frames);
    assert!(e.max_m < 1e-4, "{e:?}");
}

#[test]
fn humanml3d_features_and_joints_convert_within_a_centimetre() {
    for file in ["humanml3d/new_joint_vecs/012314.npy", "humanml3d/new_joint_vecs/012314_f64.npy", "humanml3d/new_joints/012314.npy"] {
        let (_, report) = load_motion(&shared(file), &ConvertOptions::default()).unwrap();
        assert_eq!(report.input_frames, 170);
        assert!(report.error.mean_m < 0.01, "{file}: {:?}", report.error);
    }
}

