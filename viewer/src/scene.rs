//! Loading the GLB: spawns its scene, hands every animation player the file's first clip (driven
//! by [`crate::playback`]), tracks loading failures and the clip length.

use bevy::asset::LoadState;
use bevy::prelude::*;
use bevy::world_serialization::WorldInstanceReady;

use crate::playback::{DrivenPlayer, Timeline};
use crate::source::GlbInfo;

/// The file being viewed and what is known about its loading.
#[derive(Resource, Debug, Clone)]
pub struct ViewedFile {
    /// Pre-read facts about the file (path, clip length, characters, camera).
    pub info: GlbInfo,
    /// Asset path used with the asset server (the file name; the asset root is its folder).
    pub asset_path: String,
    /// Set when the file failed to load (shown on screen; fatal in capture mode).
    pub error: Option<String>,
    /// The scene has been spawned (players attached) at least once.
    pub spawned: bool,
    /// Number of times the scene instance became ready (1 after the first load, +1 per reload).
    pub generation: u32,
}

/// Handles of what the viewer loaded.
#[derive(Resource, Debug, Clone)]
pub struct SceneHandles {
    /// Root entity of the spawned scene.
    pub root: Entity,
    /// The whole file (held so hot reload always finds it loaded).
    pub gltf: Handle<Gltf>,
    /// The glTF's first scene.
    pub scene: Handle<WorldAsset>,
    /// The glTF's first animation (absent for files without animation).
    pub clip: Option<Handle<AnimationClip>>,
    /// One-clip graph shared by every player.
    pub graph: Handle<AnimationGraph>,
    /// Node of the clip in `graph`.
    pub node: AnimationNodeIndex,
}

/// Marks the root entity of the viewed scene.
#[derive(Component)]
pub struct ViewedSceneRoot;

/// Spawns the file's scene and keeps its animation players driven by the timeline.
pub struct SceneLoadPlugin {
    /// The file to show.
    pub info: GlbInfo,
}

impl Plugin for SceneLoadPlugin {
    fn build(&self, app: &mut App) {
        let asset_path = self.info.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        app.insert_resource(ViewedFile {
            info: self.info.clone(),
            asset_path,
            error: None,
            spawned: false,
            generation: 0,
        })
        .add_systems(Startup, spawn_scene)
        .add_systems(Update, (attach_players, track_loading));
    }
}

fn spawn_scene(
    mut commands: Commands,
    assets: Res<AssetServer>,
    mut graphs: ResMut<Assets<AnimationGraph>>,
    file: Res<ViewedFile>,
) {
    let path = file.asset_path.clone();
    let gltf: Handle<Gltf> = assets.load(path.clone());
    let scene: Handle<WorldAsset> = assets.load(GltfAssetLabel::Scene(0).from_asset(path.clone()));
    let clip: Option<Handle<AnimationClip>> =
        (file.info.animations > 0).then(|| assets.load(GltfAssetLabel::Animation(0).from_asset(path)));
    let (graph, node) = match &clip {
        Some(c) => AnimationGraph::from_clip(c.clone()),
        None => {
            let g = AnimationGraph::new();
            let root = g.root;
            (g, root)
        }
    };
    let graph = graphs.add(graph);
    let root = commands
        .spawn((Name::new("viewed scene"), ViewedSceneRoot, WorldAssetRoot(scene.clone())))
        .observe(|_: On<WorldInstanceReady>, mut file: ResMut<ViewedFile>| {
            file.spawned = true;
            file.generation += 1;
            file.error = None;
        })
        .id();
    commands.insert_resource(SceneHandles { root, gltf, scene, clip, graph, node });
}

/// Gives each new animation player (one per animated hierarchy root: each character's pelvis,
/// the camera) the shared graph; [`crate::playback::drive_players`] seeks it.
fn attach_players(
    mut commands: Commands,
    handles: Option<Res<SceneHandles>>,
    new_players: Query<Entity, Added<AnimationPlayer>>,
) {
    let Some(handles) = handles else { return };
    if handles.clip.is_none() {
        return;
    }
    for entity in &new_players {
        commands.entity(entity).insert((AnimationGraphHandle(handles.graph.clone()), DrivenPlayer(handles.node)));
    }
}

/// Records load failures and adopts the clip length once the clip is (re)loaded.
fn track_loading(
    assets: Res<AssetServer>,
    handles: Option<Res<SceneHandles>>,
    clips: Res<Assets<AnimationClip>>,
    mut clip_events: MessageReader<AssetEvent<AnimationClip>>,
    mut file: ResMut<ViewedFile>,
    mut timeline: ResMut<Timeline>,
) {
    let Some(handles) = handles else { return };
    let failed = [assets.load_state(handles.gltf.id()), assets.load_state(handles.scene.id())]
        .into_iter()
        .find_map(|s| if let LoadState::Failed(e) = s { Some(e) } else { None });
    if let Some(err) = failed {
        let msg = format!("cannot load {}: {err}", file.info.path.display());
        if file.error.as_deref() != Some(msg.as_str()) {
            error!("{msg}");
            file.error = Some(msg);
        }
    }
    let Some(clip_handle) = &handles.clip else { return };
    for ev in clip_events.read() {
        let id = clip_handle.id();
        if (ev.is_loaded_with_dependencies(id) || ev.is_modified(id) || ev.is_added(id))
            && let Some(clip) = clips.get(id)
        {
            let fps = file.info.fps;
            timeline.set_clip(clip.duration(), fps);
        }
    }
}

/// Everything is on screen: the scene spawned and (when the file has one) its clip is loaded.
pub fn scene_ready(file: &ViewedFile, handles: Option<&SceneHandles>, clips: &Assets<AnimationClip>) -> bool {
    file.spawned && handles.is_some_and(|h| h.clip.as_ref().is_none_or(|c| clips.contains(c)))
}
