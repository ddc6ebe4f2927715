//! Headless tests of the timeline, playback and reload systems: a Bevy `App` with
//! `MinimalPlugins` (no window, no renderer) driven by `App::update()` with a fixed time step.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use viewer::playback::{DrivenPlayer, PlaybackPlugin, Timeline, TimelineCommand, key_command};
use viewer::reload::{FileWatch, ReloadPlugin};
use viewer::scene::ViewedFile;

const STEP: f32 = 0.1;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// An app with the playback plugin on a 2 s, 20 fps clip, advancing 0.1 s per update.
fn app_with(timeline: Timeline) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f32(STEP)))
        .add_plugins(PlaybackPlugin { timeline });
    // The first update starts the clock (zero delta); from then on each update is one step.
    app.update();
    app
}

fn timeline(app: &App) -> Timeline {
    app.world().resource::<Timeline>().clone()
}

fn send(app: &mut App, cmd: TimelineCommand) {
    app.world_mut().write_message(cmd);
    app.update();
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() < 1e-4
}

#[test]
fn plays_at_real_time_and_speed() {
    let mut app = app_with(Timeline::new(2.0, 20.0));
    let t0 = timeline(&app).time;
    for _ in 0..5 {
        app.update();
    }
    let t1 = timeline(&app).time;
    assert!(close(t1 - t0, 0.5), "5 updates of 0.1 s moved {t0} -> {t1}");
    send(&mut app, TimelineCommand::SetSpeed(2.0));
    let t2 = timeline(&app).time;
    app.update();
    assert!(close(timeline(&app).time - t2, 0.2), "speed 2 should move 0.2 s per 0.1 s update");
    send(&mut app, TimelineCommand::ScaleSpeed(1000.0));
    assert_eq!(timeline(&app).speed, viewer::playback::MAX_SPEED);
}

#[test]
fn pause_resume_and_scrub() {
    let mut app = app_with(Timeline::new(2.0, 20.0));
    send(&mut app, TimelineCommand::Pause);
    let t = timeline(&app).time;
    for _ in 0..4 {
        app.update();
    }
    assert_eq!(timeline(&app).time, t, "paused timeline must not move");
    send(&mut app, TimelineCommand::ScrubTo(1.234));
    assert!(close(timeline(&app).time, 1.234));
    send(&mut app, TimelineCommand::ScrubTo(99.0));
    assert!(close(timeline(&app).time, 2.0), "scrub clamps to the clip");
    send(&mut app, TimelineCommand::ScrubTo(-3.0));
    assert_eq!(timeline(&app).time, 0.0);
    send(&mut app, TimelineCommand::TogglePlay);
    assert!(timeline(&app).playing);
    app.update();
    assert!(timeline(&app).time > 0.0);
}

#[test]
fn step_frames_on_the_20fps_grid() {
    let mut app = app_with(Timeline::new(2.0, 20.0));
    send(&mut app, TimelineCommand::ScrubTo(0.51)); // still playing: lands a little later
    send(&mut app, TimelineCommand::Step(1));
    let tl = timeline(&app);
    assert!(!tl.playing, "stepping pauses");
    let f = tl.frame();
    assert!(close(tl.time, f as f32 / 20.0), "on the frame grid: {}", tl.time);
    send(&mut app, TimelineCommand::Step(1));
    assert_eq!(timeline(&app).frame(), f + 1);
    assert!(close(timeline(&app).time, (f + 1) as f32 * 0.05));
    send(&mut app, TimelineCommand::Step(-3));
    assert_eq!(timeline(&app).frame(), f - 2);
    // Looping: stepping back from frame 0 goes to the last frame (40 of 0..=40), and forward wraps.
    send(&mut app, TimelineCommand::Restart);
    send(&mut app, TimelineCommand::Step(-1));
    assert_eq!(timeline(&app).frame(), 40);
    assert!(close(timeline(&app).time, 2.0));
    send(&mut app, TimelineCommand::Step(1));
    assert_eq!(timeline(&app).frame(), 0);
    // Not looping: clamps at the ends.
    send(&mut app, TimelineCommand::ToggleLoop);
    send(&mut app, TimelineCommand::Step(-5));
    assert_eq!(timeline(&app).frame(), 0);
}

#[test]
fn looping_wraps_and_non_looping_stops_at_the_end() {
    let mut tl = Timeline::new(2.0, 20.0);
    tl.time = 1.95;
    let mut app = app_with(tl.clone());
    app.update();
    // 1.95 + 0.1 (+ the warm-up update's zero) wraps to 0.05.
    let t = timeline(&app).time;
    assert!(close(t, 0.05), "wrapped to {t}");
    assert!(timeline(&app).playing);

    tl.looping = false;
    let mut app = app_with(tl);
    app.update();
    app.update();
    let end = timeline(&app);
    assert!(close(end.time, 2.0) && !end.playing, "stops on the last frame: {end:?}");
    send(&mut app, TimelineCommand::TogglePlay);
    // Play from the end restarts.
    assert!(timeline(&app).playing);
    assert!(timeline(&app).time <= 0.1 + 1e-4);
}

#[test]
fn every_player_is_sought_to_the_playhead() {
    let mut app = app_with(Timeline::new(2.0, 20.0));
    let (_, node) = AnimationGraph::from_clip(Handle::<AnimationClip>::default());
    let a = app.world_mut().spawn((AnimationPlayer::default(), DrivenPlayer(node))).id();
    let b = app.world_mut().spawn((AnimationPlayer::default(), DrivenPlayer(node))).id();
    send(&mut app, TimelineCommand::ScrubTo(0.75));
    send(&mut app, TimelineCommand::Pause);
    let t = timeline(&app).time;
    for e in [a, b] {
        let player = app.world().get::<AnimationPlayer>(e).unwrap();
        let anim = player.animation(node).expect("clip started on every player");
        assert!(anim.is_paused(), "Bevy's clock must not move the clip");
        assert_eq!(anim.seek_time(), t, "both characters on the playhead");
    }
    // A player spawned later (e.g. after a reload) joins at the same time.
    let c = app.world_mut().spawn((AnimationPlayer::default(), DrivenPlayer(node))).id();
    app.update();
    assert_eq!(app.world().get::<AnimationPlayer>(c).unwrap().animation(node).unwrap().seek_time(), t);
}

#[test]
fn keys_map_to_commands() {
    assert_eq!(key_command(KeyCode::Space, false), Some(TimelineCommand::TogglePlay));
    assert_eq!(key_command(KeyCode::ArrowRight, false), Some(TimelineCommand::Step(1)));
    assert_eq!(key_command(KeyCode::ArrowLeft, false), Some(TimelineCommand::Step(-1)));
    assert_eq!(key_command(KeyCode::ArrowRight, true), Some(TimelineCommand::ScrubBy(1.0)));
    assert_eq!(key_command(KeyCode::ArrowUp, false), Some(TimelineCommand::ScaleSpeed(2.0)));
    assert_eq!(key_command(KeyCode::KeyL, false), Some(TimelineCommand::ToggleLoop));
    assert_eq!(key_command(KeyCode::KeyZ, false), None);
}

#[test]
fn readout_shows_frame_time_and_speed() {
    let mut tl = Timeline::new(2.0, 20.0);
    tl.time = 1.5;
    tl.playing = false;
    tl.speed = 0.5;
    let s = viewer::overlay::readout_text(&tl, None, viewer::camera::ViewMode::Orbit, false);
    assert!(s.starts_with("frame 30/40   1.50/2.00 s   speed 0.5x   paused"), "{s}");
}

fn touch(path: &Path, from: &Path, bump_s: u64) {
    std::fs::copy(from, path).unwrap();
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() + Duration::from_secs(bump_s)).unwrap();
}

#[test]
fn reload_keeps_the_playhead() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("walk.glb");
    std::fs::copy(fixture("walk_2s.glb"), &path).unwrap();
    let info = viewer::source::inspect(&path).unwrap();
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f32(STEP)))
        .add_plugins(PlaybackPlugin { timeline: Timeline::new(info.duration, info.fps) })
        .insert_resource(ViewedFile {
            info: info.clone(),
            asset_path: "walk.glb".into(),
            error: None,
            spawned: true,
            generation: 1,
        })
        .add_plugins(ReloadPlugin { path: path.clone(), interval: 0.0 });
    app.update();
    send(&mut app, TimelineCommand::Pause);
    send(&mut app, TimelineCommand::ScrubTo(1.5));
    for _ in 0..3 {
        app.update();
    }
    assert_eq!(app.world().resource::<FileWatch>().reloads, 0, "no change, no reload");

    // Same clip written again (new mtime): reloaded, playhead untouched.
    touch(&path, &fixture("walk_2s.glb"), 10);
    for _ in 0..3 {
        app.update();
    }
    assert_eq!(app.world().resource::<FileWatch>().reloads, 1);
    let tl = timeline(&app);
    assert!(close(tl.time, 1.5) && !tl.playing, "playhead kept: {tl:?}");

    // A shorter clip replaces it: the playhead is clamped to the new end, still paused.
    touch(&path, &fixture("walk_1s.glb"), 20);
    for _ in 0..3 {
        app.update();
    }
    assert_eq!(app.world().resource::<FileWatch>().reloads, 2);
    let tl = timeline(&app);
    assert!(close(tl.duration, 1.0), "{tl:?}");
    assert!(close(tl.time, 1.0) && !tl.playing, "{tl:?}");
    assert!(close(app.world().resource::<ViewedFile>().info.duration, 1.0));

    // A broken write is reported and the previous version kept.
    std::fs::write(&path, b"not a glb").unwrap();
    let f = std::fs::File::options().write(true).open(&path).unwrap();
    f.set_modified(SystemTime::now() + Duration::from_secs(30)).unwrap();
    for _ in 0..3 {
        app.update();
    }
    let file = app.world().resource::<ViewedFile>();
    assert!(file.error.as_deref().is_some_and(|e| e.contains("not a GLB")), "{:?}", file.error);
    assert!(close(timeline(&app).duration, 1.0));
}
