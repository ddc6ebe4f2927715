//! `--screenshot`: waits until the scene and its animation are loaded and the render pipelines
//! are compiled, poses the characters at `--at`, saves one frame as PNG (written to a temporary
//! file, then renamed) and exits. Exit codes: 0 saved, 1 the file could not be loaded or the
//! capture failed or timed out.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::render::render_resource::PipelineCache;
use bevy::render::view::window::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::render::{Render, RenderApp, RenderSystems};

use crate::playback::Timeline;
use crate::scene::{SceneHandles, ViewedFile, scene_ready};

/// Frames rendered after the scene is ready before the shot, at least.
const MIN_SETTLE_FRAMES: u32 = 20;
/// Consecutive frames without pipelines left to compile before the shot.
const QUIET_FRAMES: u32 = 5;

/// Where the screenshot goes and which moment it shows.
pub struct CapturePlugin {
    /// Output PNG.
    pub out: PathBuf,
    /// Moment to show, seconds (clamped to the clip).
    pub at: f32,
    /// Give up after this long.
    pub timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Loading,
    Settling,
    Shooting,
}

#[derive(Resource)]
struct Capture {
    out: PathBuf,
    at: f32,
    timeout: Duration,
    started: Instant,
    stage: Stage,
    frames: u32,
    quiet: u32,
}

/// Number of render pipelines still compiling, written by the render world each frame.
#[derive(Resource, Clone, Default)]
struct PendingPipelines(Arc<AtomicUsize>);

impl Plugin for CapturePlugin {
    fn build(&self, app: &mut App) {
        let pending = PendingPipelines::default();
        pending.0.store(usize::MAX, Ordering::Relaxed);
        app.insert_resource(Capture {
            out: self.out.clone(),
            at: self.at,
            timeout: self.timeout,
            started: Instant::now(),
            stage: Stage::Loading,
            frames: 0,
            quiet: 0,
        })
        .insert_resource(pending.clone())
        .add_systems(Update, drive_capture.after(crate::playback::PlaybackSystems::Advance));
        if let Some(render_app) = app.get_sub_app_mut(RenderApp) {
            render_app
                .insert_resource(pending)
                .add_systems(Render, count_pending_pipelines.in_set(RenderSystems::Cleanup));
        }
    }
}

fn count_pending_pipelines(cache: Res<PipelineCache>, pending: Res<PendingPipelines>) {
    pending.0.store(cache.waiting_pipelines().count(), Ordering::Relaxed);
}

fn fail(exit: &mut MessageWriter<AppExit>, msg: &str) {
    eprintln!("viewer: {msg}");
    error!("{msg}");
    exit.write(AppExit::from_code(1));
}

#[allow(clippy::too_many_arguments)]
fn drive_capture(
    mut commands: Commands,
    mut cap: ResMut<Capture>,
    mut timeline: ResMut<Timeline>,
    file: Res<ViewedFile>,
    handles: Option<Res<SceneHandles>>,
    clips: Res<Assets<AnimationClip>>,
    pending: Res<PendingPipelines>,
    mut exit: MessageWriter<AppExit>,
) {
    if cap.started.elapsed() > cap.timeout && cap.stage != Stage::Shooting {
        let what = match cap.stage {
            Stage::Loading => "the scene to load",
            _ => "the renderer to compile its pipelines",
        };
        fail(&mut exit, &format!("timed out after {:.0} s waiting for {what}", cap.timeout.as_secs_f32()));
        cap.stage = Stage::Shooting;
        return;
    }
    match cap.stage {
        Stage::Loading => {
            if let Some(e) = &file.error {
                fail(&mut exit, e);
                cap.stage = Stage::Shooting;
                return;
            }
            if scene_ready(&file, handles.as_deref(), &clips) {
                if cap.at > timeline.duration + 1e-4 {
                    warn!(
                        "--at {:.3} s is past the end of the clip ({:.3} s): showing the last frame",
                        cap.at, timeline.duration
                    );
                }
                cap.stage = Stage::Settling;
            }
        }
        Stage::Settling => {
            cap.frames += 1;
            let waiting = pending.0.load(Ordering::Relaxed);
            cap.quiet = if waiting == 0 { cap.quiet + 1 } else { 0 };
            if cap.frames >= MIN_SETTLE_FRAMES && cap.quiet >= QUIET_FRAMES {
                cap.stage = Stage::Shooting;
                let out = cap.out.clone();
                commands.spawn(Screenshot::primary_window()).observe(
                    move |shot: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| match save_png(
                        &shot.image,
                        &out,
                    ) {
                        Ok(()) => {
                            info!("screenshot saved to {}", out.display());
                            exit.write(AppExit::Success);
                        }
                        Err(e) => fail(&mut exit, &e),
                    },
                );
            }
        }
        Stage::Shooting => {}
    }
    // Hold the pose at the requested moment whatever the keys or clock do.
    timeline.playing = false;
    timeline.scrub_to(cap.at);
}

/// Saves an RGB PNG atomically: written next to `out`, then renamed over it.
fn save_png(image: &Image, out: &Path) -> Result<(), String> {
    let rgb = image.clone().try_into_dynamic().map_err(|e| format!("cannot convert the screenshot: {e}"))?.to_rgb8();
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "screenshot.png".into());
    let tmp = out.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    rgb.save_with_format(&tmp, image::ImageFormat::Png).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, out).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot move the screenshot to {}: {e}", out.display())
    })
}
