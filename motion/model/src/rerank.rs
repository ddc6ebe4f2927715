//! Best-of-K sampling: draw K candidate motions per request and keep the one that a
//! text–motion critic judges closest to the text.
//!
//! The critic is a network of the evaluator's kind (motion encoder with an action classifier,
//! a text head over MiniLM embeddings, one joint embedding space) but trained separately, with
//! its own seed and shape, and shipped in its own folder (`models/critic`). The judge of
//! `motion eval` (`models/evaluator`) is never used to choose.
//!
//! A candidate's score has two parts:
//! * the cosine between its motion embedding and the text's (how well it matches the words);
//! * how likely the critic's classifier finds the actions the text names: the text's action
//!   distribution comes from its closeness to each action's mean caption embedding
//!   (`action_texts.json`, written when the critic is trained), so any wording works, and a
//!   text that names no known action spreads its weight and leaves the choice to the cosine.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::evaluator::data::LabelledClips;
use crate::evaluator::eval::{Frames, embed_motions_with_logits, embed_texts};
use crate::evaluator::train::{EVAL_WEIGHTS, LoadEvaluatorError, LoadedEvaluator, load_evaluator};
use crate::text_encoder::EMBEDDING_DIM;
use motion::dataset::Split;

/// Most candidates drawn per requested motion.
pub const MAX_BEST_OF: usize = 16;
/// Candidates per motion of `motion generate` (chosen by measurement, docs/model-card.md).
pub const DEFAULT_BEST_OF: usize = 3;
/// Of the `best_of` candidates per motion, how many `motion generate` guides at every noise
/// level while the others follow the guidance interval (chosen by measurement,
/// docs/model-card.md).
pub const DEFAULT_FULLY_GUIDED: usize = 1;
/// File of a critic folder with each action's mean caption embedding (joint space).
pub const ACTION_TEXTS: &str = "action_texts.json";
/// Softmax temperature turning text–action cosines into the text's action distribution (the
/// contrastive training temperature).
pub const TEXT_ACTION_TEMPERATURE: f32 = 0.1;

/// Each action's mean caption embedding in a critic's joint space (unit length).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActionTexts {
    pub actions: Vec<String>,
    pub embeddings: Vec<Vec<f32>>,
}

impl ActionTexts {
    /// Mean joint-space embedding of the train split's captions of each action.
    pub fn from_train_captions(model: &LoadedEvaluator, data: &LabelledClips, device: &Device) -> Self {
        let n = data.actions.len();
        let mut per_action: Vec<std::collections::BTreeSet<usize>> = vec![Default::default(); n];
        for c in data.split(Split::Train) {
            let clip = &data.clips[c];
            per_action[clip.action].extend(clip.captions.iter().copied());
        }
        let embeddings = per_action
            .iter()
            .map(|caps| {
                let sentences: Vec<[f32; EMBEDDING_DIM]> = caps.iter().map(|&i| data.embedding(i)).collect();
                let rows = embed_texts(model, &sentences, device);
                let mut mean = vec![0f32; model.config.embed_dim];
                for r in &rows {
                    mean.iter_mut().zip(r).for_each(|(m, v)| *m += v);
                }
                let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-8);
                mean.iter().map(|v| v / norm).collect()
            })
            .collect();
        Self { actions: data.actions.clone(), embeddings }
    }
}

/// A loaded critic folder (the evaluator folder format plus [`ACTION_TEXTS`]).
#[derive(Debug)]
pub struct Critic {
    model: LoadedEvaluator,
    action_texts: ActionTexts,
    device: Device,
    /// Further critics (the folder's member subfolders) whose scores are averaged with this
    /// one's.
    others: Vec<Critic>,
}

impl Critic {
    /// Loads a critic folder and, as further members of an ensemble, every subfolder of it
    /// that holds critic weights ([`Critic::member_dirs`]).
    pub fn load(dir: &Path, device: &Device) -> Result<Self, LoadEvaluatorError> {
        let mut critic = Self::load_one(dir, device)?;
        for member in Self::member_dirs(dir).into_iter().skip(1) {
            critic.others.push(Self::load_one(&member, device)?);
        }
        Ok(critic)
    }

    /// `dir` and, sorted by name, its subfolders holding critic weights: the folders whose
    /// models judge together.
    pub fn member_dirs(dir: &Path) -> Vec<PathBuf> {
        let mut members: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir() && p.join(EVAL_WEIGHTS).is_file()).collect())
            .unwrap_or_default();
        members.sort();
        members.insert(0, dir.to_path_buf());
        members
    }

    fn load_one(dir: &Path, device: &Device) -> Result<Self, LoadEvaluatorError> {
        let model = load_evaluator(dir, device)?;
        let p = dir.join(ACTION_TEXTS);
        if !p.is_file() {
            return Err(LoadEvaluatorError::Missing { dir: dir.to_path_buf(), file: ACTION_TEXTS });
        }
        let bad = |message: String| LoadEvaluatorError::Bad { path: p.clone(), message };
        let bytes = std::fs::read(&p).map_err(|e| bad(e.to_string()))?;
        let action_texts: ActionTexts = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        Self::new(model, action_texts, device).map_err(bad)
    }

    /// Checks that the action texts fit the model (same classes, joint-space size, finite).
    pub fn new(model: LoadedEvaluator, action_texts: ActionTexts, device: &Device) -> Result<Self, String> {
        if action_texts.actions != model.actions {
            return Err(format!("its actions {:?} differ from the critic's {:?}", action_texts.actions, model.actions));
        }
        let d = model.config.embed_dim;
        if action_texts.embeddings.len() != model.actions.len() || action_texts.embeddings.iter().any(|e| e.len() != d || e.iter().any(|v| !v.is_finite())) {
            return Err(format!("need {} finite embeddings of {d} values", model.actions.len()));
        }
        Ok(Self { model, action_texts, device: device.clone(), others: Vec::new() })
    }

    /// The text's joint-space embedding and its distribution over the critic's actions.
    pub fn text_actions(&self, text: &[f32; EMBEDDING_DIM]) -> (Vec<f32>, Vec<f32>) {
        let t = embed_texts(&self.model, std::slice::from_ref(text), &self.device).pop().unwrap_or_default();
        let wanted = softmax(&self.action_texts.embeddings.iter().map(|a| dot(a, &t) / TEXT_ACTION_TEMPERATURE).collect::<Vec<_>>());
        (t, wanted)
    }

    /// Score of each motion for the text, higher = closer: cosine of the joint embeddings
    /// (−1 … 1) plus the expected log-probability, under the text's action distribution, of
    /// the critic's classifier reading the motion as that action (≤ 0). `motions` are
    /// de-normalised feature frames as they will be written (after clean-up), 20 fps. An
    /// ensemble's score is the mean of its members' scores.
    pub fn scores(&self, text: &[f32; EMBEDDING_DIM], motions: &[Frames]) -> Vec<f32> {
        if motions.is_empty() {
            return Vec::new();
        }
        let (t, wanted) = self.text_actions(text);
        let (emb, logits) = embed_motions_with_logits(&self.model, motions, &self.device);
        let mut scores: Vec<f32> = emb
            .iter()
            .zip(&logits)
            .map(|(e, l)| {
                let log_p = log_softmax(l);
                dot(e, &t) + wanted.iter().zip(&log_p).map(|(w, lp)| w * lp).sum::<f32>()
            })
            .collect();
        for o in &self.others {
            scores.iter_mut().zip(o.scores(text, motions)).for_each(|(s, v)| *s += v);
        }
        let n = 1.0 + self.others.len() as f32;
        scores.iter_mut().for_each(|s| *s /= n);
        scores
    }

    /// For candidates laid out as consecutive groups of `per_group` (group g holds candidates
    /// g·K … g·K + K − 1), the index of the best-scoring candidate of each group.
    pub fn pick(&self, text: &[f32; EMBEDDING_DIM], candidates: &[Frames], per_group: usize) -> Vec<usize> {
        best_in_groups(&self.scores(text, candidates), per_group)
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn log_softmax(x: &[f32]) -> Vec<f32> {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let lse = max + x.iter().map(|v| (v - max).exp()).sum::<f32>().ln();
    x.iter().map(|v| v - lse).collect()
}

fn softmax(x: &[f32]) -> Vec<f32> {
    log_softmax(x).into_iter().map(f32::exp).collect()
}

/// Index of the highest score in each consecutive group of `k` (ties: the first; NaN never
/// wins over a number). A trailing partial group is treated as a group.
pub fn best_in_groups(scores: &[f32], k: usize) -> Vec<usize> {
    let k = k.max(1);
    scores
        .chunks(k)
        .enumerate()
        .map(|(g, chunk)| {
            let mut best = 0;
            for (i, s) in chunk.iter().enumerate() {
                let b = chunk[best];
                if s > &b || (b.is_nan() && !s.is_nan()) {
                    best = i;
                }
            }
            g * k + best
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_in_groups_takes_the_highest_of_each_group() {
        assert_eq!(best_in_groups(&[0.1, 0.5, 0.2, 0.9, -1.0, 0.3], 3), vec![1, 3]);
        assert_eq!(best_in_groups(&[0.1, 0.5, 0.2], 1), vec![0, 1, 2]);
        assert_eq!(best_in_groups(&[f32::NAN, 0.2, 0.4, 0.4], 2), vec![1, 2]);
        assert_eq!(best_in_groups(&[0.3, 0.1, 0.7], 2), vec![0, 2]);
        assert!(best_in_groups(&[], 4).is_empty());
    }

    #[test]
    fn softmax_is_a_distribution_and_log_softmax_its_log() {
        let x = [1.0, -2.0, 30.0, 0.5];
        let p = softmax(&x);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[2] > 0.99);
        for (lp, p) in log_softmax(&x).iter().zip(&p) {
            assert!((lp.exp() - p).abs() < 1e-6);
        }
    }
}
