//! What is drawn over the characters: ground grid, skeleton lines (key S), frame/time readout,
//! timeline bar (drag on it to scrub) and key help (key H).

use bevy::mesh::skinning::SkinnedMesh;
use bevy::prelude::*;

use crate::camera::{CameraSettings, TIMELINE_STRIP_PX, ViewMode};
use crate::playback::{Timeline, TimelineCommand};
use crate::scene::ViewedFile;

/// What the overlay shows.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct OverlaySettings {
    /// Bone lines and joint dots drawn over the bodies.
    pub skeleton: bool,
    /// Ground grid.
    pub grid: bool,
    /// Key help panel.
    pub help: bool,
    /// Readout and timeline bar (off in screenshots unless asked for).
    pub hud: bool,
}

impl Default for OverlaySettings {
    fn default() -> Self {
        Self { skeleton: false, grid: true, help: false, hud: true }
    }
}

/// Gizmo group for the skeleton, drawn in front of the bodies.
#[derive(Default, Reflect, GizmoConfigGroup)]
pub struct SkeletonGizmos;

/// Key help, also printed by `--help`.
pub const KEY_HELP: &str = "\
Space/K  play / pause          Left/Right  step one frame (pauses)
Shift+Left/Right  -/+ 1 s      Home/0  first frame
Up/Down  speed x2 / /2         1  normal speed
L  loop on/off                 drag on the bottom bar  scrub
S  skeleton overlay            G  ground grid
C  file's animated camera      F  follow the characters
R  reset the orbit view        H  this help
mouse: left drag orbit, right/middle drag pan, wheel zoom     Q  quit";

#[derive(Component)]
struct Readout;
#[derive(Component)]
struct HelpPanel;
#[derive(Component)]
struct TimelineBar;
#[derive(Component)]
struct TimelineFill;

/// Grid, skeleton, readout, timeline bar and help.
pub struct OverlayPlugin {
    /// Initial settings.
    pub settings: OverlaySettings,
}

impl Plugin for OverlayPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(self.settings.clone())
            .init_gizmo_group::<SkeletonGizmos>()
            .add_systems(Startup, (spawn_hud, configure_gizmos))
            .add_systems(Update, (overlay_keys, scrub_with_mouse, draw_grid, draw_skeletons, update_hud));
    }
}

fn configure_gizmos(mut store: ResMut<GizmoConfigStore>) {
    let (config, _) = store.config_mut::<SkeletonGizmos>();
    config.depth_bias = -1.0;
    config.line.width = 3.0;
    let (config, _) = store.config_mut::<DefaultGizmoConfigGroup>();
    config.line.width = 1.0;
}

fn spawn_hud(mut commands: Commands, settings: Res<OverlaySettings>) {
    let vis = if settings.hud { Visibility::Inherited } else { Visibility::Hidden };
    let text_font = TextFont { font_size: 15.0.into(), ..default() };
    commands.spawn((
        Readout,
        Text::new(""),
        text_font.clone(),
        TextColor(Color::srgb(0.92, 0.92, 0.92)),
        Node { position_type: PositionType::Absolute, top: Val::Px(8.0), left: Val::Px(10.0), ..default() },
        vis,
    ));
    commands.spawn((
        HelpPanel,
        Text::new(KEY_HELP),
        text_font,
        TextColor(Color::srgb(0.85, 0.85, 0.85)),
        BackgroundColor(Color::srgba(0.0, 0.0, 0.0, 0.6)),
        Node {
            position_type: PositionType::Absolute,
            top: Val::Px(34.0),
            left: Val::Px(10.0),
            padding: UiRect::all(Val::Px(6.0)),
            ..default()
        },
        if settings.help { Visibility::Inherited } else { Visibility::Hidden },
    ));
    commands
        .spawn((
            TimelineBar,
            Node {
                position_type: PositionType::Absolute,
                bottom: Val::Px(12.0),
                left: Val::Px(10.0),
                right: Val::Px(10.0),
                height: Val::Px(8.0),
                ..default()
            },
            BackgroundColor(Color::srgba(1.0, 1.0, 1.0, 0.18)),
            vis,
        ))
        .with_children(|bar| {
            bar.spawn((
                TimelineFill,
                Node { width: Val::Percent(0.0), height: Val::Percent(100.0), ..default() },
                BackgroundColor(Color::srgb(0.95, 0.6, 0.2)),
            ));
        });
}

fn overlay_keys(
    keys: Res<ButtonInput<KeyCode>>,
    mut settings: ResMut<OverlaySettings>,
    mut help: Query<&mut Visibility, With<HelpPanel>>,
    mut exit: MessageWriter<AppExit>,
) {
    if keys.just_pressed(KeyCode::KeyS) {
        settings.skeleton = !settings.skeleton;
    }
    if keys.just_pressed(KeyCode::KeyG) {
        settings.grid = !settings.grid;
    }
    if keys.just_pressed(KeyCode::KeyH) {
        settings.help = !settings.help;
        for mut v in &mut help {
            *v = if settings.help { Visibility::Inherited } else { Visibility::Hidden };
        }
    }
    if keys.just_pressed(KeyCode::KeyQ) {
        exit.write(AppExit::Success);
    }
}

/// Left drag on the bottom strip scrubs (and pauses while dragging).
fn scrub_with_mouse(
    buttons: Res<ButtonInput<MouseButton>>,
    windows: Query<&Window>,
    mut commands: MessageWriter<TimelineCommand>,
    timeline: Res<Timeline>,
    mut scrubbing: Local<bool>,
) {
    let Some(window) = windows.iter().next() else { return };
    let Some(cursor) = window.cursor_position() else { return };
    if buttons.just_pressed(MouseButton::Left) {
        *scrubbing = cursor.y >= window.height() - TIMELINE_STRIP_PX;
        if *scrubbing {
            commands.write(TimelineCommand::Pause);
        }
    }
    if !buttons.pressed(MouseButton::Left) {
        *scrubbing = false;
    }
    if *scrubbing {
        let w = (window.width() - 20.0).max(1.0);
        let frac = ((cursor.x - 10.0) / w).clamp(0.0, 1.0);
        commands.write(TimelineCommand::ScrubTo(frac * timeline.duration));
    }
}

fn draw_grid(settings: Res<OverlaySettings>, mut gizmos: Gizmos) {
    if !settings.grid {
        return;
    }
    // 20 m x 20 m, 0.5 m cells, on the ground plane (y = 0); a brighter line every metre along
    // the axes' directions is left to the colour of the axis lines below.
    gizmos.grid(
        Isometry3d::from_rotation(Quat::from_rotation_x(std::f32::consts::FRAC_PI_2)),
        UVec2::splat(40),
        Vec2::splat(0.5),
        Color::srgba(0.6, 0.6, 0.65, 0.35),
    );
    gizmos.line(Vec3::new(-10.0, 0.001, 0.0), Vec3::new(10.0, 0.001, 0.0), Color::srgba(0.9, 0.35, 0.35, 0.7));
    gizmos.line(Vec3::new(0.0, 0.001, -10.0), Vec3::new(0.0, 0.001, 10.0), Color::srgba(0.35, 0.55, 0.95, 0.7));
}

/// Bone segments from every joint to its parent joint, and a dot per joint.
fn draw_skeletons(
    settings: Res<OverlaySettings>,
    skinned: Query<&SkinnedMesh>,
    joints: Query<(&GlobalTransform, Option<&ChildOf>)>,
    mut gizmos: Gizmos<SkeletonGizmos>,
) {
    if !settings.skeleton {
        return;
    }
    for mesh in &skinned {
        for &j in &mesh.joints {
            let Ok((g, parent)) = joints.get(j) else { continue };
            let p = g.translation();
            gizmos.sphere(Isometry3d::from_translation(p), 0.02, Color::srgb(0.2, 0.9, 1.0));
            if let Some(parent) = parent
                && mesh.joints.contains(&parent.parent())
                && let Ok((pg, _)) = joints.get(parent.parent())
            {
                gizmos.line(pg.translation(), p, Color::srgb(0.1, 1.0, 0.4));
            }
        }
    }
}

/// Readout text: frame, time, speed, state; the timeline bar's fill.
pub fn readout_text(timeline: &Timeline, file: Option<&ViewedFile>, mode: ViewMode, follow: bool) -> String {
    let state = if timeline.playing { "playing" } else { "paused" };
    let mut s = format!(
        "frame {}/{}   {:.2}/{:.2} s   speed {}x   {}{}",
        timeline.frame(),
        timeline.last_frame(),
        timeline.time,
        timeline.duration,
        fmt_speed(timeline.speed),
        state,
        if timeline.looping { "   loop" } else { "" },
    );
    if mode == ViewMode::SceneCamera {
        s.push_str("   [file camera]");
    } else if follow {
        s.push_str("   [follow]");
    }
    if let Some(f) = file {
        let name = f.info.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        s.push_str(&format!(
            "\n{name}: {} character(s){}   H: keys",
            f.info.characters,
            if f.info.has_camera { ", camera (C)" } else { "" }
        ));
        if let Some(e) = &f.error {
            s.push_str(&format!("\nERROR: {e}"));
        }
    }
    s
}

fn fmt_speed(s: f32) -> String {
    if (s - s.round()).abs() < 1e-4 { format!("{}", s.round() as i64) } else { format!("{s}") }
}

fn update_hud(
    timeline: Res<Timeline>,
    file: Option<Res<ViewedFile>>,
    mode: Option<Res<ViewMode>>,
    cam: Option<Res<CameraSettings>>,
    mut readout: Query<&mut Text, With<Readout>>,
    mut fill: Query<&mut Node, With<TimelineFill>>,
) {
    let text =
        readout_text(&timeline, file.as_deref(), mode.map(|m| *m).unwrap_or_default(), cam.is_some_and(|c| c.follow));
    for mut t in &mut readout {
        if t.0 != text {
            t.0 = text.clone();
        }
    }
    let pct = if timeline.duration > 0.0 { 100.0 * timeline.time / timeline.duration } else { 0.0 };
    for mut n in &mut fill {
        if n.width != Val::Percent(pct) {
            n.width = Val::Percent(pct);
        }
    }
}
