//! Hot reload: polls the file's modification time and size; when they change (and have stayed
//! unchanged for one more poll, so a file being written is not read half-way) the viewer re-reads
//! it and reloads the scene. The playhead stays where it was (clamped if the clip got shorter),
//! so an edit made in the chat shows up at the same moment of the animation.

use std::path::PathBuf;
use std::time::SystemTime;

use bevy::prelude::*;

use crate::playback::Timeline;
use crate::scene::ViewedFile;

/// A reload of the viewed file was triggered (the file changed on disk).
#[derive(Message, Debug, Clone, PartialEq)]
pub struct FileChanged {
    /// The file that changed.
    pub path: PathBuf,
}

/// File-watching state.
#[derive(Resource, Debug, Clone)]
pub struct FileWatch {
    /// The watched file.
    pub path: PathBuf,
    /// Seconds between polls.
    pub interval: f32,
    /// (mtime, length) last loaded.
    pub loaded: Option<(SystemTime, u64)>,
    /// (mtime, length) seen at the last poll, when different from `loaded`.
    pub pending: Option<(SystemTime, u64)>,
    /// Seconds since the last poll.
    pub since_poll: f32,
    /// Number of reloads done.
    pub reloads: u32,
}

impl FileWatch {
    /// Starts watching `path` from its current state.
    pub fn new(path: PathBuf, interval: f32) -> Self {
        let loaded = stamp(&path);
        Self { path, interval, loaded, pending: None, since_poll: 0.0, reloads: 0 }
    }
}

fn stamp(path: &std::path::Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// Watches the viewed file and reloads it when it changes.
pub struct ReloadPlugin {
    /// The file.
    pub path: PathBuf,
    /// Seconds between polls (0.25 in the viewer).
    pub interval: f32,
}

impl Plugin for ReloadPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(FileWatch::new(self.path.clone(), self.interval))
            .add_message::<FileChanged>()
            .add_systems(Update, (poll_file, reload_file).chain().after(crate::playback::PlaybackSystems::Advance));
    }
}

fn poll_file(time: Res<Time>, mut watch: ResMut<FileWatch>, mut changed: MessageWriter<FileChanged>) {
    watch.since_poll += time.delta_secs();
    if watch.since_poll < watch.interval {
        return;
    }
    watch.since_poll = 0.0;
    let now = stamp(&watch.path);
    if now.is_none() || now == watch.loaded {
        // Missing (being replaced) or unchanged.
        watch.pending = None;
        return;
    }
    if now == watch.pending {
        // Changed and then stable for one poll: reload.
        watch.loaded = now;
        watch.pending = None;
        watch.reloads += 1;
        changed.write(FileChanged { path: watch.path.clone() });
    } else {
        watch.pending = now;
    }
}

/// Re-reads the file's facts, adopts the new clip length (keeping the playhead) and asks the
/// asset server to reload the scene (Bevy respawns the scene in place; the new animation players
/// are picked up and sought to the playhead).
fn reload_file(
    mut changed: MessageReader<FileChanged>,
    mut file: ResMut<ViewedFile>,
    mut timeline: ResMut<Timeline>,
    assets: Option<Res<AssetServer>>,
) {
    if changed.read().last().is_none() {
        return;
    }
    match crate::source::inspect(&file.info.path) {
        Ok(info) => {
            info!(
                "{} changed: reloading ({} character(s), {:.2} s); playhead stays at {:.2} s",
                info.path.display(),
                info.characters,
                info.duration,
                timeline.time.min(info.duration)
            );
            timeline.set_clip(info.duration, info.fps);
            file.info = info;
            file.error = None;
            if let Some(assets) = assets {
                assets.reload(file.asset_path.clone());
            }
        }
        Err(e) => {
            warn!("{} changed but cannot be read ({e}); keeping the previous version", file.info.path.display());
            file.error = Some(e.0);
        }
    }
}
