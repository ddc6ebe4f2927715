//! Bevy viewer for the GLB files written by the motion toolkit (`motion convert`, `motion
//! generate`, `scene-agent build`): plays every character of a file in sync on a timeline,
//! with an orbit camera, ground grid, skeleton overlay, hot reload and a screenshot mode.
//!
//! One plugin per concern, as Bevy's own crates do:
//! - [`playback::PlaybackPlugin`]: timeline state and commands; seeks every animation player;
//! - [`scene::SceneLoadPlugin`]: spawns the file's scene, wires its animation players;
//! - [`camera::CameraPlugin`]: orbit/pan/zoom camera, follow mode, the file's own camera;
//! - [`overlay::OverlayPlugin`]: grid, skeleton, readout, timeline bar, key help;
//! - [`reload::ReloadPlugin`]: reloads the file when it changes, keeping the playhead;
//! - [`capture::CapturePlugin`]: `--screenshot`, render one moment to PNG and exit.
//!
//! The playback and reload plugins need no renderer and are tested headless.

pub mod camera;
pub mod capture;
pub mod overlay;
pub mod playback;
pub mod reload;
pub mod scene;
pub mod source;

use std::path::PathBuf;
use std::time::Duration;

use bevy::asset::{AssetMetaCheck, UnapprovedPathMode};
use bevy::prelude::*;
use bevy::window::WindowResolution;

use playback::Timeline;
use source::GlbInfo;

/// Everything the command line decides.
#[derive(Debug, Clone)]
pub struct ViewerOptions {
    /// The file to show (already inspected).
    pub info: GlbInfo,
    /// Save this moment to PNG and exit.
    pub screenshot: Option<PathBuf>,
    /// Start (or screenshot) time in seconds.
    pub at: f32,
    /// Window size in pixels.
    pub size: (u32, u32),
    /// Playback speed.
    pub speed: f32,
    /// Start paused.
    pub paused: bool,
    /// Start with the skeleton overlay on.
    pub skeleton: bool,
    /// Start with the file's animated camera.
    pub scene_camera: bool,
    /// Show the readout and timeline bar in screenshots.
    pub hud: bool,
    /// Ground grid on.
    pub grid: bool,
    /// Screenshot time-out.
    pub timeout: Duration,
}

impl ViewerOptions {
    /// Defaults for `info`: interactive, 1280x720, from the start, playing.
    pub fn new(info: GlbInfo) -> Self {
        Self {
            info,
            screenshot: None,
            at: 0.0,
            size: (1280, 720),
            speed: 1.0,
            paused: false,
            skeleton: false,
            scene_camera: false,
            hud: true,
            grid: true,
            timeout: Duration::from_secs(180),
        }
    }
}

/// Lights, ground and background.
pub struct StagePlugin;

impl Plugin for StagePlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(ClearColor(Color::srgb(0.11, 0.12, 0.14)))
            .insert_resource(GlobalAmbientLight { brightness: 350.0, ..default() })
            .add_systems(Startup, spawn_stage);
    }
}

fn spawn_stage(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    commands.spawn((
        Name::new("sun"),
        DirectionalLight { illuminance: 9000.0, shadow_maps_enabled: true, ..default() },
        Transform::from_xyz(3.0, 8.0, 5.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    commands.spawn((
        Name::new("ground"),
        Mesh3d(meshes.add(Plane3d::new(Vec3::Y, Vec2::splat(30.0)))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color: Color::srgb(0.2, 0.21, 0.23),
            perceptual_roughness: 0.95,
            ..default()
        })),
        Transform::from_xyz(0.0, -0.002, 0.0),
    ));
}

/// Builds the viewer app (window, renderer and all plugins) for `opts`.
pub fn build_app(opts: &ViewerOptions) -> App {
    let info = &opts.info;
    let dir = info.path.parent().map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|| ".".into());
    let name = info.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let capture = opts.screenshot.is_some();
    let mut resolution = WindowResolution::new(opts.size.0, opts.size.1);
    if capture {
        // One image pixel per window pixel, whatever the desktop's scaling.
        resolution = resolution.with_scale_factor_override(1.0);
    }
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: format!("viewer — {name}"),
                    resolution,
                    resizable: !capture,
                    ..default()
                }),
                ..default()
            })
            .set(AssetPlugin {
                file_path: dir,
                unapproved_path_mode: UnapprovedPathMode::Allow,
                meta_check: AssetMetaCheck::Never,
                ..default()
            }),
    );
    let mut timeline = Timeline::new(info.duration, info.fps);
    timeline.set_speed(opts.speed);
    timeline.scrub_to(opts.at);
    timeline.playing = !opts.paused && !capture;
    app.add_plugins((
        StagePlugin,
        playback::PlaybackPlugin { timeline },
        scene::SceneLoadPlugin { info: info.clone() },
        camera::CameraPlugin { start_with_scene_camera: opts.scene_camera && info.has_camera },
        overlay::OverlayPlugin {
            settings: overlay::OverlaySettings {
                skeleton: opts.skeleton,
                grid: opts.grid,
                help: false,
                hud: opts.hud || !capture,
            },
        },
    ));
    match &opts.screenshot {
        Some(out) => {
            app.add_plugins(capture::CapturePlugin { out: out.clone(), at: opts.at, timeout: opts.timeout });
        }
        None => {
            app.add_plugins(reload::ReloadPlugin { path: info.path.clone(), interval: 0.25 });
        }
    }
    app
}
