//! `scene-agent validate`: check a scene script, print placement and camera samples.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use scene_script::Scene;

#[derive(Args)]
pub struct ValidateArgs {
    /// Scene script (.json) to check.
    pub scene: PathBuf,
}

pub fn run(a: ValidateArgs) -> Result<()> {
    let text = std::fs::read_to_string(&a.scene).with_context(|| format!("cannot read {}", a.scene.display()))?;
    let scene = Scene::from_json(&text).with_context(|| format!("{}", a.scene.display()))?;
    println!("{}: valid", a.scene.display());
    print_summary(&scene);
    Ok(())
}

/// A short human description of a scene: cast, placement, timelines, camera.
pub fn print_summary(scene: &Scene) {
    let s = &scene.script;
    println!("{} s at {} fps ({} frames), {} character(s)", s.duration, s.fps, scene.frame_count(), s.characters.len());
    for (c, p) in s.characters.iter().zip(&scene.placements) {
        let name = c.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
        println!("  {}{name} at x={:.2} z={:.2}, facing {:.0}°", c.id, p.position[0], p.position[2], p.yaw.to_degrees());
        for m in &c.motions {
            let label = [m.action.as_deref(), m.style.as_deref()].iter().flatten().copied().collect::<Vec<_>>().join(", ");
            println!("    {:>5.2}-{:<5.2} s  {}{}", m.start, m.start + m.duration, m.text, if label.is_empty() { String::new() } else { format!(" [{label}]") });
        }
    }
    let c0 = scene.camera_at(0.0);
    let c1 = scene.camera_at(s.duration as f32);
    let f = |v: [f32; 3]| format!("({:.1}, {:.1}, {:.1})", v[0], v[1], v[2]);
    println!("  camera {:?}: eye {} -> {}, looking at {}, fov {:.0}°", s.camera.mode, f(c0.eye), f(c1.eye), f(c0.target), c0.vfov_deg);
}
