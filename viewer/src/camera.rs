//! Cameras: an orbit camera (left drag orbits, right or middle drag pans, wheel zooms) that
//! can follow the characters, and the file's own animated camera (key C) when it has one.

use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::mesh::skinning::SkinnedMesh;
use bevy::prelude::*;

/// The viewer's own camera, orbiting `focus`.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct OrbitCamera {
    /// Point looked at (metres).
    pub focus: Vec3,
    /// Rotation about +Y in radians (0 = looking from +Z, the characters' front).
    pub yaw: f32,
    /// Elevation in radians (positive = looking down).
    pub pitch: f32,
    /// Distance from `focus` in metres.
    pub distance: f32,
}

impl Default for OrbitCamera {
    fn default() -> Self {
        Self { focus: Vec3::new(0.0, 0.9, 0.0), yaw: 0.55, pitch: 0.22, distance: 4.2 }
    }
}

impl OrbitCamera {
    /// Camera transform for the current orbit.
    pub fn transform(&self) -> Transform {
        let rot = Quat::from_euler(EulerRot::YXZ, self.yaw, -self.pitch, 0.0);
        let eye = self.focus + rot * Vec3::new(0.0, 0.0, self.distance);
        Transform::from_translation(eye).looking_at(self.focus, Vec3::Y)
    }
}

/// Which camera renders the view.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ViewMode {
    /// The viewer's orbit camera.
    #[default]
    Orbit,
    /// The animated camera stored in the file.
    SceneCamera,
}

/// Camera options.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct CameraSettings {
    /// Keep the orbit focus on the characters' centre as they move.
    pub follow: bool,
    /// Set the orbit distance to fit all characters once they are posed.
    pub needs_fit: bool,
}

impl Default for CameraSettings {
    fn default() -> Self {
        Self { follow: true, needs_fit: true }
    }
}

/// Height of the timeline strip at the bottom of the window, where dragging scrubs instead of
/// orbiting (pixels).
pub const TIMELINE_STRIP_PX: f32 = 36.0;

/// Orbit camera, mouse controls and the switch to the file's camera.
pub struct CameraPlugin {
    /// Start with the file's animated camera.
    pub start_with_scene_camera: bool,
}

impl Plugin for CameraPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(if self.start_with_scene_camera { ViewMode::SceneCamera } else { ViewMode::Orbit })
            .init_resource::<CameraSettings>()
            .add_systems(Startup, spawn_orbit_camera)
            .add_systems(Update, (camera_keys, mouse_orbit, follow_characters).chain())
            .add_systems(
                PostUpdate,
                sync_camera
                    .after(bevy::transform::TransformSystems::Propagate)
                    .before(bevy::camera::visibility::VisibilitySystems::UpdateFrusta),
            );
    }
}

fn spawn_orbit_camera(mut commands: Commands) {
    let orbit = OrbitCamera::default();
    commands.spawn((Name::new("orbit camera"), Camera3d::default(), IsDefaultUiCamera, orbit.transform(), orbit));
}

fn camera_keys(
    keys: Res<ButtonInput<KeyCode>>,
    mut mode: ResMut<ViewMode>,
    mut settings: ResMut<CameraSettings>,
    mut orbit: Query<&mut OrbitCamera>,
    file: Option<Res<crate::scene::ViewedFile>>,
) {
    if keys.just_pressed(KeyCode::KeyC) {
        let has_camera = file.is_some_and(|f| f.info.has_camera);
        *mode = match *mode {
            ViewMode::Orbit if has_camera => ViewMode::SceneCamera,
            ViewMode::Orbit => {
                info!("this file has no animated camera");
                ViewMode::Orbit
            }
            ViewMode::SceneCamera => ViewMode::Orbit,
        };
    }
    if keys.just_pressed(KeyCode::KeyF) {
        settings.follow = !settings.follow;
    }
    if keys.just_pressed(KeyCode::KeyR) {
        for mut o in &mut orbit {
            let focus = o.focus;
            *o = OrbitCamera { focus, ..default() };
        }
        settings.needs_fit = true;
    }
}

fn mouse_orbit(
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    windows: Query<&Window>,
    mut mode: ResMut<ViewMode>,
    mut settings: ResMut<CameraSettings>,
    mut orbit: Query<&mut OrbitCamera>,
    mut drag_on_camera: Local<bool>,
) {
    // A drag that starts on the timeline strip scrubs (overlay); elsewhere it moves the camera.
    let cursor = windows.iter().next().and_then(|w| w.cursor_position().map(|c| (c, w.height())));
    if buttons.get_just_pressed().next().is_some() {
        *drag_on_camera = cursor.is_none_or(|(c, h)| c.y < h - TIMELINE_STRIP_PX);
    }
    let Ok(mut o) = orbit.single_mut() else { return };
    let delta = motion.delta;
    let dragging = *drag_on_camera && delta != Vec2::ZERO;
    let mut touched = false;
    if dragging && buttons.pressed(MouseButton::Left) {
        o.yaw -= delta.x * 0.008;
        o.pitch = (o.pitch + delta.y * 0.008).clamp(-1.45, 1.45);
        touched = true;
    } else if dragging && (buttons.pressed(MouseButton::Right) || buttons.pressed(MouseButton::Middle)) {
        let t = o.transform();
        let scale = o.distance * 0.0015;
        let pan = (-t.right() * delta.x + t.up() * delta.y) * scale;
        o.focus += pan;
        settings.follow = false;
        touched = true;
    }
    if scroll.delta.y != 0.0 {
        let lines = match scroll.unit {
            MouseScrollUnit::Line => scroll.delta.y,
            MouseScrollUnit::Pixel => scroll.delta.y / 40.0,
        };
        o.distance = (o.distance * 0.9f32.powf(lines)).clamp(0.3, 200.0);
        touched = true;
    }
    if touched && *mode == ViewMode::SceneCamera {
        *mode = ViewMode::Orbit;
    }
}

/// Centre of the characters: mean of their root joints (pelvis) in world space.
pub fn characters_centre(skinned: &Query<&SkinnedMesh>, transforms: &Query<&GlobalTransform>) -> Option<Vec3> {
    let roots: Vec<Vec3> = skinned
        .iter()
        .filter_map(|s| s.joints.first())
        .filter_map(|&j| transforms.get(j).ok())
        .map(|t| t.translation())
        .collect();
    (!roots.is_empty()).then(|| roots.iter().sum::<Vec3>() / roots.len() as f32)
}

/// Largest horizontal distance between two characters' root joints (0 for one character).
pub fn characters_spread(skinned: &Query<&SkinnedMesh>, transforms: &Query<&GlobalTransform>) -> f32 {
    let roots: Vec<Vec2> = skinned
        .iter()
        .filter_map(|s| s.joints.first())
        .filter_map(|&j| transforms.get(j).ok())
        .map(|t| t.translation().xz())
        .collect();
    let mut spread = 0.0f32;
    for (i, a) in roots.iter().enumerate() {
        for b in &roots[i + 1..] {
            spread = spread.max(a.distance(*b));
        }
    }
    spread
}

fn follow_characters(
    mut settings: ResMut<CameraSettings>,
    skinned: Query<&SkinnedMesh>,
    transforms: Query<&GlobalTransform>,
    mut orbit: Query<&mut OrbitCamera>,
) {
    if settings.needs_fit && characters_centre(&skinned, &transforms).is_some() {
        // Back off far enough to see every character (several of them stand metres apart).
        let spread = characters_spread(&skinned, &transforms);
        for mut o in &mut orbit {
            o.distance = OrbitCamera::default().distance.max(spread * 1.4 + 2.0);
        }
        settings.needs_fit = false;
    }
    if !settings.follow {
        return;
    }
    let Some(centre) = characters_centre(&skinned, &transforms) else { return };
    for mut o in &mut orbit {
        // Follow on the ground plane; keep the look-at height near the chest of a standing figure.
        let target = Vec3::new(centre.x, 0.9, centre.z);
        if o.focus.distance(target) > 1e-4 {
            o.focus = target;
        }
    }
}

/// One camera renders (the orbit camera, which also carries the UI). The file's cameras are
/// kept inactive; in scene-camera mode the orbit camera copies the first one's pose and lens
/// every frame, after the animation has moved it.
fn sync_camera(
    mode: Res<ViewMode>,
    mut scene_cams: Query<(&mut Camera, &GlobalTransform, &Projection), Without<OrbitCamera>>,
    mut orbit: Query<(&OrbitCamera, &mut Transform, &mut GlobalTransform, &mut Projection)>,
) {
    for (mut cam, _, _) in &mut scene_cams {
        if cam.is_active {
            cam.is_active = false;
        }
    }
    let Ok((o, mut transform, mut global, mut projection)) = orbit.single_mut() else { return };
    let scene = scene_cams.iter().next().filter(|_| *mode == ViewMode::SceneCamera);
    let (t, p) = match scene {
        Some((_, g, p)) => (g.compute_transform(), p.clone()),
        None => (o.transform(), Projection::Perspective(PerspectiveProjection::default())),
    };
    if *transform != t {
        *transform = t;
        *global = GlobalTransform::from(t);
    }
    let same = match (&*projection, &p) {
        (Projection::Perspective(a), Projection::Perspective(b)) => {
            a.fov == b.fov && a.near == b.near && a.far == b.far
        }
        _ => false,
    };
    if !same {
        *projection = p;
    }
}
