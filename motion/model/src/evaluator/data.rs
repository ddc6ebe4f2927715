//! Labelled clips from the dataset cache: normalised features, action and (action, style)
//! group indices, caption embeddings. Shared by evaluator training and `motion eval`.

use std::collections::BTreeMap;
use std::path::Path;

use motion::dataset::{DatasetCache, Split};
use motion::features::FEATURE_DIM;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::text_encoder::EMBEDDING_DIM;
use crate::train::{Stats, TrainError, caption_embeddings};

/// One clip of the cache with its labels as indices.
#[derive(Debug, Clone)]
pub struct LabelledClip {
    pub name: String,
    pub split: Split,
    /// First frame row in [`LabelledClips::features`].
    pub start: usize,
    pub frames: usize,
    /// Index into [`LabelledClips::actions`].
    pub action: usize,
    /// Index into [`LabelledClips::groups`]: clips of one group share their captions.
    pub group: usize,
    /// Indices into [`LabelledClips::captions`].
    pub captions: Vec<usize>,
}

/// Every captioned clip of a dataset cache, with de-normalised features (as stored).
pub struct LabelledClips {
    pub features: Vec<f32>,
    pub clips: Vec<LabelledClip>,
    pub actions: Vec<String>,
    /// "action/style" names.
    pub groups: Vec<String>,
    pub captions: Vec<String>,
    /// `captions.len() × 384` MiniLM embeddings.
    pub embeddings: Vec<f32>,
}

pub type Embed<'a> = dyn FnMut(&[&str]) -> Result<Vec<[f32; EMBEDDING_DIM]>, String> + 'a;

impl LabelledClips {
    /// `actions`: the class list to use (the evaluator's, when evaluating); `None` takes the
    /// sorted actions of the cache. Clips whose action is not in the list are skipped.
    pub fn new(
        cache: &DatasetCache,
        actions: Option<&[String]>,
        caption_cache_dir: Option<&Path>,
        embed: &mut Embed,
    ) -> Result<Self, TrainError> {
        if cache.mean.len() != FEATURE_DIM {
            return Err(TrainError::Data(format!("dataset has {} features per frame, expected {FEATURE_DIM}", cache.mean.len())));
        }
        let actions: Vec<String> = match actions {
            Some(a) => a.to_vec(),
            None => {
                let set: std::collections::BTreeSet<&String> = cache.clips.iter().map(|c| &c.action).collect();
                set.into_iter().cloned().collect()
            }
        };
        let action_index: BTreeMap<&str, usize> = actions.iter().enumerate().map(|(i, a)| (a.as_str(), i)).collect();
        let mut groups: Vec<String> = Vec::new();
        let mut group_index: BTreeMap<String, usize> = BTreeMap::new();
        let mut captions: Vec<String> = Vec::new();
        let mut caption_index: BTreeMap<String, usize> = BTreeMap::new();
        let mut clips = Vec::new();
        for c in &cache.clips {
            let Some(&action) = action_index.get(c.action.as_str()) else { continue };
            if c.frames == 0 || c.captions.is_empty() {
                continue;
            }
            let key = format!("{}/{}", c.action, c.style);
            let group = *group_index.entry(key.clone()).or_insert_with(|| {
                groups.push(key);
                groups.len() - 1
            });
            let ids = c
                .captions
                .iter()
                .map(|t| {
                    *caption_index.entry(t.clone()).or_insert_with(|| {
                        captions.push(t.clone());
                        captions.len() - 1
                    })
                })
                .collect();
            clips.push(LabelledClip { name: c.name.clone(), split: c.split, start: c.start, frames: c.frames, action, group, captions: ids });
        }
        if clips.is_empty() {
            return Err(TrainError::Data("no captioned clip with a known action in the dataset cache".into()));
        }
        let embeddings = caption_embeddings(&captions, caption_cache_dir, embed)?;
        Ok(Self { features: cache.features.clone(), clips, actions, groups, captions, embeddings })
    }

    pub fn split(&self, split: Split) -> Vec<usize> {
        (0..self.clips.len()).filter(|&i| self.clips[i].split == split).collect()
    }

    /// De-normalised feature frames of a clip.
    pub fn frames(&self, clip: usize) -> Vec<[f32; FEATURE_DIM]> {
        let c = &self.clips[clip];
        self.features[c.start * FEATURE_DIM..(c.start + c.frames) * FEATURE_DIM]
            .chunks_exact(FEATURE_DIM)
            .map(|r| {
                let mut a = [0f32; FEATURE_DIM];
                a.copy_from_slice(r);
                a
            })
            .collect()
    }

    pub fn embedding(&self, caption: usize) -> [f32; EMBEDDING_DIM] {
        let mut a = [0f32; EMBEDDING_DIM];
        a.copy_from_slice(&self.embeddings[caption * EMBEDDING_DIM..(caption + 1) * EMBEDDING_DIM]);
        a
    }

    /// Per-feature mean/std of the train split's frames (std floored like the dataset cache).
    pub fn train_stats(&self) -> Stats {
        let mut sum = vec![0f64; FEATURE_DIM];
        let mut sq = vec![0f64; FEATURE_DIM];
        let mut n = 0f64;
        for c in self.clips.iter().filter(|c| c.split == Split::Train) {
            for row in self.features[c.start * FEATURE_DIM..(c.start + c.frames) * FEATURE_DIM].chunks_exact(FEATURE_DIM) {
                for (j, &x) in row.iter().enumerate() {
                    sum[j] += x as f64;
                    sq[j] += (x as f64) * (x as f64);
                }
                n += 1.0;
            }
        }
        let n = n.max(1.0);
        let mean: Vec<f32> = sum.iter().map(|s| (s / n) as f32).collect();
        let std = sq
            .iter()
            .zip(&sum)
            .map(|(q, s)| ((q / n - (s / n).powi(2)).max(0.0).sqrt() as f32).max(motion::dataset::MIN_STD))
            .collect();
        Stats { mean, std }
    }
}

/// Host-side padded batch of normalised motions.
pub struct MotionBatch {
    pub x: Vec<f32>,
    pub valid: Vec<f32>,
    pub b: usize,
    pub frames: usize,
    pub tokens: usize,
}

/// Pads motions (de-normalised feature frames) to a common multiple of `g` frames, cut to
/// `max_frames`, and normalises them with `stats`.
pub fn pad_batch(motions: &[&[[f32; FEATURE_DIM]]], stats: &Stats, g: usize, max_frames: usize) -> MotionBatch {
    let b = motions.len();
    let max_tokens = (max_frames / g).max(1);
    let tokens = motions.iter().map(|m| m.len().min(max_tokens * g).div_ceil(g)).max().unwrap_or(1).max(1);
    let frames = tokens * g;
    let mut x = vec![0f32; b * frames * FEATURE_DIM];
    let mut valid = vec![0f32; b * tokens];
    for (i, m) in motions.iter().enumerate() {
        let len = m.len().min(frames);
        for (t, row) in m[..len].iter().enumerate() {
            let dst = &mut x[(i * frames + t) * FEATURE_DIM..][..FEATURE_DIM];
            for j in 0..FEATURE_DIM {
                dst[j] = (row[j] - stats.mean[j]) / stats.std[j];
            }
        }
        valid[i * tokens..][..len.div_ceil(g)].fill(1.0);
    }
    MotionBatch { x, valid, b, frames, tokens }
}

/// A random crop of a clip for training: 2 s up to `max_frames` (whole clip when shorter).
pub fn random_crop(frames: usize, max_frames: usize, rng: &mut ChaCha8Rng) -> (usize, usize) {
    let min = 40.min(frames);
    let hi = frames.min(max_frames).max(min);
    let len = rng.random_range(min..=hi);
    (rng.random_range(0..=frames - len), len)
}
