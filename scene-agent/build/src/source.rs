//! Where a character's motion comes from. [`DatasetClipSource`] picks real mocap clips from the
//! dataset cache by action and style (falling back to the words of the prompt), seeded.

use crate::BuildError;
use motion::dataset::{ClipEntry, DatasetCache};
use motion::features::{decode, FEATURE_DIM};
use motion::Motion;
use rand::seq::IndexedRandom;
use rand::SeedableRng;
use scene_script::MotionClip;

/// A motion for one timeline entry, starting at the origin facing +Z (canonical skeleton,
/// 20 fps), and a description of where it came from.
pub struct SourcedMotion {
    pub motion: Motion,
    pub source: String,
}

pub trait MotionSource {
    /// A motion for `clip` lasting about `seconds` (it may be shorter; the timeline loops it).
    fn motion_for(&self, clip: &MotionClip, seconds: f32, seed: u64) -> Result<SourcedMotion, String>;
}

/// Real clips from the dataset cache (`motion dataset build`).
pub struct DatasetClipSource {
    cache: DatasetCache,
}

/// Scene-vocabulary labels and the dataset labels that mean the same.
fn same_label(scene: &str, data: &str) -> bool {
    let group = |l: &str| -> &'static str {
        match l {
            "dance" | "dance-long" | "dance-short" => "dance",
            "elderly" | "old" => "elderly",
            "tired" | "exhausted" => "tired",
            "masculine" | "masculinity" => "masculine",
            _ => "",
        }
    };
    scene == data || (!group(scene).is_empty() && group(scene) == group(data))
}

fn words(s: &str) -> Vec<String> {
    s.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 2).map(str::to_string).collect()
}

impl DatasetClipSource {
    pub fn new(cache: DatasetCache) -> Result<Self, BuildError> {
        if cache.clips.is_empty() {
            return Err(BuildError::NoMotion { character: String::new(), text: String::new(), why: "the dataset cache has no clips".into() });
        }
        Ok(Self { cache })
    }

    pub fn read(path: &std::path::Path) -> Result<Self, BuildError> {
        Self::new(DatasetCache::read(path)?)
    }

    fn candidates(&self, clip: &MotionClip) -> Vec<&ClipEntry> {
        let all = &self.cache.clips;
        if let Some(action) = &clip.action {
            let by_action: Vec<_> = all.iter().filter(|c| same_label(action, &c.action)).collect();
            if !by_action.is_empty() {
                if let Some(style) = &clip.style {
                    let both: Vec<_> = by_action.iter().copied().filter(|c| same_label(style, &c.style)).collect();
                    if !both.is_empty() {
                        return both;
                    }
                }
                return by_action;
            }
        }
        // No usable label: the clips whose captions share the most words with the prompt.
        let prompt = words(&clip.text);
        let score = |c: &ClipEntry| c.captions.iter().map(|cap| words(cap).iter().filter(|w| prompt.contains(w)).count()).max().unwrap_or(0);
        let best = all.iter().map(score).max().unwrap_or(0);
        if best == 0 {
            return vec![];
        }
        all.iter().filter(|c| score(c) == best).collect()
    }
}

impl MotionSource for DatasetClipSource {
    fn motion_for(&self, clip: &MotionClip, _seconds: f32, seed: u64) -> Result<SourcedMotion, String> {
        let candidates = self.candidates(clip);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let chosen = candidates.choose(&mut rng).ok_or_else(|| {
            format!("no dataset clip matches (action {:?}, style {:?}); use an action the model knows", clip.action, clip.style)
        })?;
        let rows: Vec<[f32; FEATURE_DIM]> = self.cache.clip_rows(chosen).chunks_exact(FEATURE_DIM).map(|r| r.try_into().expect("row of FEATURE_DIM")).collect();
        Ok(SourcedMotion { motion: decode(&rows), source: format!("dataset clip {}", chosen.name) })
    }
}
