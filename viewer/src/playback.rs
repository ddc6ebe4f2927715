//! Playback: the timeline (playhead, play/pause, speed, looping, frame stepping) and the system
//! that poses every character from it.
//!
//! The viewer never lets Bevy's animation clock run: every [`AnimationPlayer`] plays the clip
//! paused and is sought to [`Timeline::time`] each frame, so all characters (and the animated
//! camera) in a file stay on the same frame whatever happens to the players (reloads, new
//! players spawning late).

use bevy::app::AnimationSystems;
use bevy::prelude::*;

/// Lowest and highest playback speed the keys can reach.
pub const MIN_SPEED: f32 = 0.125;
/// See [`MIN_SPEED`].
pub const MAX_SPEED: f32 = 8.0;

/// The playhead and how it moves.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Playhead in seconds, within `0..=duration`.
    pub time: f32,
    /// Clip length in seconds.
    pub duration: f32,
    /// Frames per second of the clip (one step = `1 / fps`).
    pub fps: f32,
    /// Whether the playhead advances with wall-clock time.
    pub playing: bool,
    /// Playback rate (1 = real time).
    pub speed: f32,
    /// Wrap to the start at the end (otherwise stop on the last frame).
    pub looping: bool,
}

impl Default for Timeline {
    fn default() -> Self {
        Self::new(0.0, crate::source::DEFAULT_FPS)
    }
}

impl Timeline {
    /// A looping timeline at the start, playing at normal speed.
    pub fn new(duration: f32, fps: f32) -> Self {
        Self {
            time: 0.0,
            duration: duration.max(0.0),
            fps: if fps > 0.0 && fps.is_finite() { fps } else { crate::source::DEFAULT_FPS },
            playing: true,
            speed: 1.0,
            looping: true,
        }
    }

    /// Moves the playhead by `dt` seconds of wall-clock time (times `speed`) when playing.
    pub fn advance(&mut self, dt: f32) {
        if !self.playing || self.duration <= 0.0 {
            return;
        }
        let t = self.time + dt * self.speed;
        if t <= self.duration {
            self.time = t;
        } else if self.looping {
            self.time = t.rem_euclid(self.duration);
        } else {
            self.time = self.duration;
            self.playing = false;
        }
    }

    /// Puts the playhead at `t` seconds, clamped to the clip.
    pub fn scrub_to(&mut self, t: f32) {
        self.time = if t.is_finite() { t.clamp(0.0, self.duration) } else { 0.0 };
    }

    /// Current frame index (0-based): the frame shown at or just before the playhead.
    pub fn frame(&self) -> usize {
        ((self.time * self.fps) + 1e-3).floor().max(0.0) as usize
    }

    /// Index of the last frame.
    pub fn last_frame(&self) -> usize {
        (self.duration * self.fps).round() as usize
    }

    /// Pauses and moves `frames` whole frames (negative = back), snapping to the frame grid;
    /// wraps around when looping, else stops at the ends.
    pub fn step(&mut self, frames: i32) {
        self.playing = false;
        let last = self.last_frame() as i64;
        let mut f = self.frame() as i64 + frames as i64;
        if self.looping && last > 0 {
            f = f.rem_euclid(last + 1);
        } else {
            f = f.clamp(0, last);
        }
        self.time = (f as f32 / self.fps).min(self.duration);
    }

    /// Sets the playback rate, clamped to [`MIN_SPEED`]..=[`MAX_SPEED`].
    pub fn set_speed(&mut self, speed: f32) {
        self.speed = if speed.is_finite() { speed.clamp(MIN_SPEED, MAX_SPEED) } else { 1.0 };
    }

    /// Adopts a new clip length (after a reload) keeping the playhead where it was, clamped
    /// to the new end.
    pub fn set_clip(&mut self, duration: f32, fps: f32) {
        self.duration = duration.max(0.0);
        if fps > 0.0 && fps.is_finite() {
            self.fps = fps;
        }
        self.time = self.time.clamp(0.0, self.duration);
    }
}

/// Something the user (or a test, or the capture mode) asks the timeline to do.
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub enum TimelineCommand {
    /// Play if paused, pause if playing (restarts from 0 if stopped at the end).
    TogglePlay,
    /// Start playing.
    Play,
    /// Stop advancing.
    Pause,
    /// Pause and move this many frames.
    Step(i32),
    /// Put the playhead at this time (seconds).
    ScrubTo(f32),
    /// Move the playhead by this many seconds.
    ScrubBy(f32),
    /// Set the playback rate.
    SetSpeed(f32),
    /// Multiply the playback rate by this factor.
    ScaleSpeed(f32),
    /// Toggle looping.
    ToggleLoop,
    /// Back to the first frame.
    Restart,
}

impl Timeline {
    /// Applies one command.
    pub fn apply(&mut self, cmd: TimelineCommand) {
        match cmd {
            TimelineCommand::TogglePlay => {
                if self.playing {
                    self.playing = false;
                } else {
                    if !self.looping && self.time >= self.duration {
                        self.time = 0.0;
                    }
                    self.playing = true;
                }
            }
            TimelineCommand::Play => self.playing = true,
            TimelineCommand::Pause => self.playing = false,
            TimelineCommand::Step(n) => self.step(n),
            TimelineCommand::ScrubTo(t) => self.scrub_to(t),
            TimelineCommand::ScrubBy(dt) => self.scrub_to(self.time + dt),
            TimelineCommand::SetSpeed(s) => self.set_speed(s),
            TimelineCommand::ScaleSpeed(f) => self.set_speed(self.speed * f),
            TimelineCommand::ToggleLoop => self.looping = !self.looping,
            TimelineCommand::Restart => self.time = 0.0,
        }
    }
}

/// The key bindings of the timeline (also listed by `--help` and the on-screen help).
pub fn key_command(key: KeyCode, shift: bool) -> Option<TimelineCommand> {
    Some(match key {
        KeyCode::Space | KeyCode::KeyK => TimelineCommand::TogglePlay,
        KeyCode::ArrowRight | KeyCode::Period if shift => TimelineCommand::ScrubBy(1.0),
        KeyCode::ArrowLeft | KeyCode::Comma if shift => TimelineCommand::ScrubBy(-1.0),
        KeyCode::ArrowRight | KeyCode::Period => TimelineCommand::Step(1),
        KeyCode::ArrowLeft | KeyCode::Comma => TimelineCommand::Step(-1),
        KeyCode::ArrowUp | KeyCode::BracketRight => TimelineCommand::ScaleSpeed(2.0),
        KeyCode::ArrowDown | KeyCode::BracketLeft => TimelineCommand::ScaleSpeed(0.5),
        KeyCode::Digit1 => TimelineCommand::SetSpeed(1.0),
        KeyCode::KeyL => TimelineCommand::ToggleLoop,
        KeyCode::Home | KeyCode::Digit0 => TimelineCommand::Restart,
        _ => return None,
    })
}

/// Marks an [`AnimationPlayer`] the viewer drives, with the graph node of the clip it plays.
#[derive(Component, Debug, Clone, Copy)]
pub struct DrivenPlayer(pub AnimationNodeIndex);

/// Ordering of the playback systems inside `Update`.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum PlaybackSystems {
    /// Keyboard → [`TimelineCommand`]s.
    Input,
    /// Commands applied, then the playhead advanced.
    Advance,
}

/// Timeline state, commands and posing of the characters. Works without a renderer (tests run
/// it under `MinimalPlugins`).
pub struct PlaybackPlugin {
    /// Initial timeline (clip length and rate from the file, start time, paused or not).
    pub timeline: Timeline,
}

impl Plugin for PlaybackPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(self.timeline.clone())
            .add_message::<TimelineCommand>()
            .configure_sets(Update, (PlaybackSystems::Input, PlaybackSystems::Advance).chain())
            .add_systems(Update, keyboard_commands.in_set(PlaybackSystems::Input))
            .add_systems(Update, (apply_commands, advance_timeline).chain().in_set(PlaybackSystems::Advance))
            .add_systems(PostUpdate, drive_players.before(AnimationSystems));
    }
}

fn keyboard_commands(keys: Option<Res<ButtonInput<KeyCode>>>, mut out: MessageWriter<TimelineCommand>) {
    let Some(keys) = keys else { return };
    let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    for &key in keys.get_just_pressed() {
        if let Some(cmd) = key_command(key, shift) {
            out.write(cmd);
        }
    }
}

/// Applies queued [`TimelineCommand`]s in order.
fn apply_commands(mut timeline: ResMut<Timeline>, mut commands: MessageReader<TimelineCommand>) {
    for &cmd in commands.read() {
        timeline.apply(cmd);
    }
}

fn advance_timeline(time: Res<Time>, mut timeline: ResMut<Timeline>) {
    timeline.advance(time.delta_secs());
}

/// Seeks every driven player to the playhead (paused, so Bevy's clock never moves it).
pub fn drive_players(timeline: Res<Timeline>, mut players: Query<(&mut AnimationPlayer, &DrivenPlayer)>) {
    for (mut player, driven) in &mut players {
        if player.animation(driven.0).is_none() {
            player.play(driven.0);
        }
        let Some(anim) = player.animation_mut(driven.0) else { continue };
        anim.set_repeat(bevy::animation::RepeatAnimation::Forever).pause();
        if anim.seek_time() != timeline.time {
            anim.set_seek_time(timeline.time);
        }
    }
}
