//! The foot lock on real mocap (a Bandai Namco dash from tests/fixtures): a clip with no
//! sliding feet should keep its travel under the stance lock and the default stance-lift.
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
    let lift = lock_feet_with(&m, FootLock::StanceLift);
    let skate = |m: &motion::Motion| physics_metrics(&m.joint_positions(), m.fps).foot_skating_ratio;
    println!(
        "dash: net travel {raw:.2} m, stance lock {:.2} m, stance-lift {:.2} m, all-low lock {:.2} m; skating {:.3} / {:.3} / {:.3} / {:.3}",
        net_travel_m(&stance), net_travel_m(&lift), net_travel_m(&all_low), skate(&m), skate(&stance), skate(&lift), skate(&all_low)
    );
    assert!(net_travel_m(&stance) > 0.9 * raw, "stance lock shortened the dash to {:.2} of {raw:.2} m", net_travel_m(&stance));
    assert!(skate(&stance) <= skate(&m) + 1e-6, "the lock must not add skating");
    // The default keeps the travel too, and leaves no sliding toe.
    assert!(net_travel_m(&lift) > 0.9 * raw, "stance-lift shortened the dash to {:.2} of {raw:.2} m", net_travel_m(&lift));
    assert_eq!(skate(&lift), 0.0);
    // Real mocap lifts its feet: the lift touches a minority of a real dash's toe frames
    // (toe-offs that brush the floor), never by more than the clearance above the floor.
    let (before, after) = (m.joint_positions(), lift.joint_positions());
    let toes = [motion::skeleton::joint::L_FOOT, motion::skeleton::joint::R_FOOT];
    let lifts: Vec<f32> = before.iter().zip(&after).flat_map(|(a, b)| toes.map(|j| b[j].y - a[j].y)).collect();
    let lifted = lifts.iter().filter(|&&l| l > 0.005).count() as f32 / lifts.len() as f32;
    let highest = lifts.iter().copied().fold(0.0, f32::max);
    println!("dash under stance-lift: {:.0} % of toe frames lifted > 5 mm, highest lift {:.3} m", 100.0 * lifted, highest);
    assert!(lifted < 0.35 && highest < 0.1, "a real dash should need little lifting: {lifted}, {highest} m");
}
