//! End-to-end tests of the real binary: command-line errors (no display needed) and a
//! screenshot of an exported clip rendered under Xvfb with Mesa's software Vulkan driver
//! (lavapipe), checked for the mannequin's pixels. Needs `xvfb-run` (Debian: `xvfb`) and a
//! Vulkan driver (`mesa-vulkan-drivers`); `.ci/run` installs both via scripts/setup.sh.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_viewer");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(BIN).args(args).output().expect("run viewer")
}

fn assert_clean_failure(out: &Output, code: i32, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(err.contains(needle), "expected {needle:?} in stderr: {err}");
    assert!(!err.contains("panicked"), "must not panic: {err}");
}

#[test]
fn bad_inputs_fail_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.glb");
    assert_clean_failure(&run(&[missing.as_os_str()]), 2, "cannot open");

    let text = dir.path().join("notes.glb");
    std::fs::write(&text, "this is not a GLB file at all").unwrap();
    assert_clean_failure(&run(&[text.as_os_str()]), 2, "not a GLB");

    assert_clean_failure(&run(&[dir.path().as_os_str()]), 2, "without scene.glb");

    let glb = fixture("walk_2s.glb");
    let out = run(&[glb.as_os_str(), "--at".as_ref(), "-1".as_ref()]);
    assert_ne!(out.status.code(), Some(0));
    let nowhere = dir.path().join("no/such/folder/x.png");
    assert_clean_failure(&run(&[glb.as_os_str(), "--screenshot".as_ref(), nowhere.as_os_str()]), 2, "does not exist");
}

#[test]
fn help_explains_keys_and_options() {
    let out = run(&["--help".as_ref()]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in ["--screenshot", "--at", "clamped", "Space/K", "skeleton", "xvfb-run", "reloads"] {
        assert!(help.contains(needle), "--help lacks {needle:?}:\n{help}");
    }
}

/// Mannequin-coloured (warm beige: r > g > b) pixels; the background, ground and grid are
/// grey-blue and the red axis line has g <= b, so none of them count.
fn is_figure(p: &image::Rgb<u8>) -> bool {
    let [r, g, b] = p.0.map(i32::from);
    r > 70 && r >= g + 6 && g >= b + 6
}

fn require_xvfb() {
    let have_xvfb = Command::new("sh")
        .args(["-c", "command -v xvfb-run"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        have_xvfb,
        "xvfb-run not found: this test renders the viewer under Xvfb with Mesa's software Vulkan driver. \
         Install them with `apt-get install xvfb mesa-vulkan-drivers` (scripts/setup.sh does it)."
    );
}

#[test]
fn damaged_glb_fails_the_screenshot_cleanly() {
    require_xvfb();
    // Valid header and JSON, binary chunk cut short: passes the pre-check, fails in Bevy's loader.
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("walk_2s.glb")).unwrap();
    let glb = dir.path().join("cut.glb");
    std::fs::write(&glb, &bytes[..bytes.len() / 2]).unwrap();
    let png = dir.path().join("never.png");
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1024x768x24"])
        .arg(BIN)
        .arg(&glb)
        .arg("--screenshot")
        .arg(&png)
        .args(["--size", "160x120", "--timeout", "120"])
        .env("XDG_RUNTIME_DIR", dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a damaged file must fail: {err}");
    assert!(err.contains("viewer: cannot load"), "clear message expected: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!png.exists(), "no screenshot for a file that did not load");
}

#[test]
fn screenshot_under_xvfb_shows_the_figure() {
    require_xvfb();
    let dir = tempfile::tempdir().unwrap();
    let runtime = dir.path().join("xdg");
    std::fs::create_dir(&runtime).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let png = dir.path().join("shot.png");
    let started = Instant::now();
    let mut child = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1024x768x24"])
        .arg(BIN)
        .arg(fixture("walk_2s.glb"))
        .arg("--screenshot")
        .arg(&png)
        .args(["--at", "1.0", "--size", "480x360", "--timeout", "240"])
        .env("XDG_RUNTIME_DIR", &runtime)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start xvfb-run");
    // Bound the wait (the viewer has its own --timeout; this guards against a hung X server).
    let deadline = Duration::from_secs(300);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            panic!("viewer --screenshot did not finish within {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "viewer --screenshot failed ({:?}):\n{log}", out.status);
    eprintln!("screenshot took {:.1} s", started.elapsed().as_secs_f32());

    let img = image::open(&png).expect("screenshot is a PNG").to_rgb8();
    assert_eq!(img.dimensions(), (480, 360), "--size respected");
    let (w, h) = img.dimensions();
    let figure: Vec<(u32, u32)> =
        img.enumerate_pixels().filter(|(_, _, p)| is_figure(p)).map(|(x, y, _)| (x, y)).collect();
    // The camera follows the character: a ~1.4 m figure 4.2 m away fills ~140 px of the 360.
    assert!(figure.len() > 600, "only {} mannequin-coloured pixels: nothing drawn?", figure.len());
    let (sx, sy) = figure.iter().fold((0u64, 0u64), |(a, b), &(x, y)| (a + x as u64, b + y as u64));
    let (cx, cy) = (sx as f32 / figure.len() as f32, sy as f32 / figure.len() as f32);
    assert!(
        (cx - w as f32 / 2.0).abs() < w as f32 / 4.0 && (cy - h as f32 / 2.0).abs() < h as f32 / 4.0,
        "figure should be near the centre, its pixels centre on ({cx:.0}, {cy:.0})"
    );
    let top = figure.iter().map(|p| p.1).min().unwrap();
    let bottom = figure.iter().map(|p| p.1).max().unwrap();
    assert!(bottom - top > 60, "figure only {} px tall", bottom - top);
    // The background is not the figure colour: corners hold none of its pixels.
    let corner = figure.iter().filter(|&&(x, y)| (x < w / 6 || x > 5 * w / 6) && (y < h / 6)).count();
    assert!(corner < 10, "{corner} figure-coloured pixels in the top corners");
}
