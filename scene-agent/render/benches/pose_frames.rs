//! Pose-frame throughput on one core: `cargo bench -p scene-render --bench pose_frames`.
//! Prints frames/s for drawing alone and for drawing + PNG + OpenPose JSON encoding (in memory).

use scene_render::bench::{bench_pose_frames, BenchReport};
use scene_render::sequence::read_joints_npy;
use std::path::Path;

fn main() {
    let clip = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/humanml3d/new_joints/012314.npy");
    let frames = match read_joints_npy(&clip) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("benchmark needs the HumanML3D clip: {e}");
            return;
        }
    };
    let r: BenchReport = match bench_pose_frames(&frames, 512, 512, 3000) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("benchmark failed: {e}");
            return;
        }
    };
    println!("{r}");
}
