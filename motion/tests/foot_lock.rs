//! The foot lock on real mocap (a Bandai Namco dash from tests/fixtures): a clip with no
//! sliding feet should keep its travel under the stance lock.
use std::path::PathBuf;

use motion::cleanup::{FootLock, lock_feet_with};
use motion::convert::{ConvertOptions, load_motion};
use motion::physics::physics_metrics;
use motion::retarget::Target;

fn net_travel_m(m: &motion::Motion) -> f32 {
    let (a, b) = (m.poses[0].root_m, m.poses[m.poses.len() - 1].root_m);
    ((b.x - a.x).powi(2) + (b.z - a.z).powi(2)).sqrt()
}

#[test]
fn stance_lock_keeps_a_real_dash_travelling() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/bandai/dataset-1_dash_normal_001.bvh");
    let (m, _) = load_motion(&path, &ConvertOptions { target: Target::Canonical, ..ConvertOptions::default() }).expect("fixture");
    let raw = net_travel_m(&m);
    assert!(raw > 1.5, "fixture should travel: {raw} m");
    let stance = lock_feet_with(&m, FootLock::Stance);
    let all_low = lock_feet_with(&m, FootLock::AllLowToes);
    let skate = |m: &motion::Motion| physics_metrics(&m.joint_positions(), m.fps).foot_skating_ratio;
    println!(
        "dash: net travel {raw:.2} m, stance lock {:.2} m, all-low lock {:.2} m; skating {:.3} / {:.3} / {:.3}",
        net_travel_m(&stance), net_travel_m(&all_low), skate(&m), skate(&stance), skate(&all_low)
    );
    assert!(net_travel_m(&stance) > 0.9 * raw, "stance lock shortened the dash to {:.2} of {raw:.2} m", net_travel_m(&stance));
    assert!(skate(&stance) <= skate(&m) + 1e-6, "the lock must not add skating");
}
