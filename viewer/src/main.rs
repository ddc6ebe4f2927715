//! `viewer FILE.glb` — plays, inspects and captures exported animations. See docs/viewer.md.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bevy::app::AppExit;
use clap::Parser;

const AFTER_HELP: &str = concat!(
    "Keys:\n",
    "  Space/K  play / pause          Left/Right  step one frame (pauses)\n",
    "  Shift+Left/Right  -/+ 1 s      Home/0  first frame\n",
    "  Up/Down  speed x2 / /2         1  normal speed\n",
    "  L  loop on/off                 drag on the bottom bar  scrub\n",
    "  S  skeleton overlay            G  ground grid\n",
    "  C  file's animated camera      F  follow the characters\n",
    "  R  reset the orbit view        H  key help on screen        Q  quit\n",
    "Mouse: left drag orbits, right or middle drag pans, wheel zooms.\n\n",
    "The viewer reloads the file when it changes on disk and keeps the playhead.\n\n",
    "Screenshot without a display (Debian: apt-get install xvfb mesa-vulkan-drivers):\n",
    "  XDG_RUNTIME_DIR=$(mktemp -d) xvfb-run -a -s \"-screen 0 1024x768x24\" \\\n",
    "    viewer walk.glb --screenshot walk.png --at 1.5\n\n",
    "Exit status: 0 success; 1 the file could not be loaded or the screenshot failed;\n",
    "2 bad arguments, missing file, not a GLB, folder without scene.glb."
);

/// Play, inspect and capture exported character animations (.glb).
#[derive(Parser, Debug)]
#[command(name = "viewer", version, about, after_help = AFTER_HELP)]
struct Args {
    /// A .glb file (from `motion convert`/`motion generate`) or a `scene-agent build` output
    /// folder (its scene.glb is shown).
    file: PathBuf,
    /// Render one frame to this PNG file and exit (needs a display or Xvfb).
    #[arg(long, value_name = "PNG")]
    screenshot: Option<PathBuf>,
    /// Time in seconds to show (screenshot) or to start from. Times past the end of the clip
    /// are clamped to its last frame (with a warning).
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
    at: f32,
    /// Window (and screenshot) size in pixels.
    #[arg(long, value_name = "WxH", default_value = "1280x720", value_parser = parse_size)]
    size: (u32, u32),
    /// Playback speed (0.125 to 8).
    #[arg(long, default_value_t = 1.0)]
    speed: f32,
    /// Start paused.
    #[arg(long)]
    paused: bool,
    /// Start with the skeleton overlay on.
    #[arg(long)]
    skeleton: bool,
    /// Start looking through the file's animated camera (if it has one).
    #[arg(long)]
    camera: bool,
    /// Hide the ground grid.
    #[arg(long)]
    no_grid: bool,
    /// Show the frame/time readout and timeline bar in the screenshot.
    #[arg(long)]
    hud: bool,
    /// Give up on a screenshot after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 180)]
    timeout: u64,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once(['x', 'X']).ok_or("expected WIDTHxHEIGHT, e.g. 960x540")?;
    let w: u32 = w.trim().parse().map_err(|_| format!("bad width in {s:?}"))?;
    let h: u32 = h.trim().parse().map_err(|_| format!("bad height in {s:?}"))?;
    if !(16..=8192).contains(&w) || !(16..=8192).contains(&h) {
        return Err(format!("size {w}x{h} out of range (16..=8192 per side)"));
    }
    Ok((w, h))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let usage_error = |msg: String| {
        eprintln!("viewer: {msg}");
        ExitCode::from(2)
    };
    let info = match viewer::source::inspect(&args.file) {
        Ok(i) => i,
        Err(e) => return usage_error(e.to_string()),
    };
    if !(args.at.is_finite() && args.at >= 0.0) {
        return usage_error(format!("--at must be a time in seconds >= 0, got {}", args.at));
    }
    if !(args.speed.is_finite() && args.speed > 0.0) {
        return usage_error(format!("--speed must be > 0, got {}", args.speed));
    }
    let screenshot = match &args.screenshot {
        None => None,
        Some(p) => {
            let parent = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            if !parent.is_dir() {
                return usage_error(format!(
                    "cannot write {}: folder {} does not exist",
                    p.display(),
                    parent.display()
                ));
            }
            match std::path::absolute(p) {
                Ok(p) => Some(p),
                Err(e) => return usage_error(format!("cannot resolve {}: {e}", p.display())),
            }
        }
    };
    if screenshot.is_some() && args.at > info.duration + 1e-4 {
        eprintln!(
            "viewer: --at {} s is past the end of the clip ({:.2} s); showing the last frame",
            args.at, info.duration
        );
    }
    let mut opts = viewer::ViewerOptions::new(info);
    opts.screenshot = screenshot;
    opts.at = args.at;
    opts.size = args.size;
    opts.speed = args.speed;
    opts.paused = args.paused;
    opts.skeleton = args.skeleton;
    opts.scene_camera = args.camera;
    opts.grid = !args.no_grid;
    opts.hud = args.hud;
    opts.timeout = Duration::from_secs(args.timeout);
    match viewer::build_app(&opts).run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}
