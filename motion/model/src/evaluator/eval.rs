//! Evaluating sets of motions (real clips, baselines, generated) against their texts with a
//! trained evaluator: embeddings, the field's metrics and physics, repeated draws.

use burn::prelude::*;
use motion::features::{FEATURE_DIM, decode};
use motion::physics::{PhysicsMetrics, physics_metrics};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::BTreeMap;

use super::data::{LabelledClips, pad_batch};
use super::metrics::{Interval, diversity, distinct_group_batches, fid, mm_dist, multimodality, r_precision};
use super::train::LoadedEvaluator;
use crate::text_encoder::EMBEDDING_DIM;

/// Feature frames (de-normalised, 20 fps) of one motion.
pub type Frames = Vec<[f32; FEATURE_DIM]>;

/// Motions to evaluate, each paired with a caption of the dataset.
#[derive(Debug, Clone, Default)]
pub struct MotionSet {
    pub name: String,
    pub motions: Vec<Frames>,
    /// Caption index (into [`LabelledClips::captions`]) paired with each motion.
    pub captions: Vec<usize>,
    /// (action, style) group of each paired caption: R-precision batches never hold two texts
    /// of one group.
    pub groups: Vec<usize>,
    /// Action class each motion should show (the paired caption's action).
    pub actions: Vec<usize>,
    /// Several motions per text, for multimodality; empty when not measured.
    pub multimodal: Vec<Vec<Frames>>,
}

/// Pairs of random draws per diversity estimate (Guo et al. use 300).
pub const DIVERSITY_PAIRS: usize = 300;
/// Pairs per text for multimodality (Guo et al. use 10).
pub const MULTIMODALITY_PAIRS: usize = 10;

/// Evaluator embeddings (unit length) and predicted actions of motions, in batches of 32.
pub fn embed_motions(ev: &LoadedEvaluator, motions: &[Frames], device: &Device) -> (Vec<Vec<f32>>, Vec<usize>) {
    let (emb, logits) = embed_motions_with_logits(ev, motions, device);
    let pred = logits
        .iter()
        .map(|l| l.iter().enumerate().fold((0, f32::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best }).0)
        .collect();
    (emb, pred)
}

/// Evaluator embeddings (unit length) and action logits of motions, in batches of 32.
pub fn embed_motions_with_logits(ev: &LoadedEvaluator, motions: &[Frames], device: &Device) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    let g = ev.config.frames_per_token;
    let mut emb = Vec::with_capacity(motions.len());
    let mut logits = Vec::with_capacity(motions.len());
    for chunk in motions.chunks(32) {
        let refs: Vec<&[[f32; FEATURE_DIM]]> = chunk.iter().map(Vec::as_slice).collect();
        let mb = pad_batch(&refs, &ev.stats, g, ev.config.max_frames);
        let x = Tensor::<3>::from_data(TensorData::new(mb.x, [mb.b, mb.frames, FEATURE_DIM]), device);
        let valid = Tensor::<2>::from_data(TensorData::new(mb.valid, [mb.b, mb.tokens]), device);
        let out = ev.model.encode_motion(x, valid);
        emb.extend(rows(out.embedding));
        logits.extend(rows(out.logits));
    }
    (emb, logits)
}

/// Evaluator text embeddings of MiniLM sentence embeddings.
pub fn embed_texts(ev: &LoadedEvaluator, sentences: &[[f32; EMBEDDING_DIM]], device: &Device) -> Vec<Vec<f32>> {
    let mut out = Vec::with_capacity(sentences.len());
    for chunk in sentences.chunks(256) {
        let flat: Vec<f32> = chunk.iter().flatten().copied().collect();
        let t = Tensor::<2>::from_data(TensorData::new(flat, [chunk.len(), EMBEDDING_DIM]), device);
        out.extend(rows(ev.model.encode_text(t)));
    }
    out
}

fn rows(t: Tensor<2>) -> Vec<Vec<f32>> {
    let [n, d] = t.dims();
    let flat = t.into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_else(|_| vec![0.0; n * d]);
    flat.chunks(d.max(1)).map(<[f32]>::to_vec).collect()
}

/// One metric of one set.
#[derive(Debug, Clone, Serialize)]
pub struct MetricValue {
    pub name: String,
    /// Which way is better, for the chart and readers: "higher", "lower" or "closer to real".
    pub better: &'static str,
    pub mean: f64,
    pub ci95: f64,
}

/// Metrics of one motion set.
#[derive(Debug, Clone, Serialize)]
pub struct SetReport {
    pub name: String,
    pub motions: usize,
    pub metrics: Vec<MetricValue>,
    /// Action accuracy per intended action, in the evaluator's class order (classes with no
    /// motion in the set are left out).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub per_action: Vec<ActionBreakdown>,
}

impl SetReport {
    pub fn get(&self, name: &str) -> Option<&MetricValue> {
        self.metrics.iter().find(|m| m.name == name)
    }
}

/// How the evaluator's classifier read the motions meant to show one action.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ActionBreakdown {
    pub action: String,
    pub motions: usize,
    /// Motions classified as `action`.
    pub correct: usize,
    /// Wrong classes and how often each was predicted, most frequent first.
    pub mistaken_for: Vec<(String, usize)>,
}

/// Per-action accuracy and confusions from predicted and intended classes (`names` are the
/// evaluator's classes; indices beyond them are named by number).
pub fn per_action_breakdown(pred: &[usize], intended: &[usize], names: &[String]) -> Vec<ActionBreakdown> {
    let name = |i: usize| names.get(i).cloned().unwrap_or_else(|| format!("class {i}"));
    // Per intended class: (motions, correct, count of each wrong prediction).
    let mut by_action: BTreeMap<usize, (usize, usize, BTreeMap<usize, usize>)> = BTreeMap::new();
    for (&p, &a) in pred.iter().zip(intended) {
        let (motions, correct, wrong) = by_action.entry(a).or_default();
        *motions += 1;
        if p == a {
            *correct += 1;
        } else {
            *wrong.entry(p).or_default() += 1;
        }
    }
    by_action
        .into_iter()
        .map(|(a, (motions, correct, wrong))| {
            let mut mistaken_for: Vec<(String, usize)> = wrong.into_iter().map(|(p, n)| (name(p), n)).collect();
            mistaken_for.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
            ActionBreakdown { action: name(a), motions, correct, mistaken_for }
        })
        .collect()
}

pub const R1: &str = "R-precision top-1";
pub const R2: &str = "R-precision top-2";
pub const R3: &str = "R-precision top-3";
pub const FID: &str = "FID";
pub const MM_DIST: &str = "MM-Dist";
pub const DIVERSITY: &str = "Diversity";
pub const MULTIMODALITY: &str = "MultiModality";
pub const ACCURACY: &str = "Action accuracy";
pub const SKATING: &str = "Foot skating ratio";
pub const FLOATING: &str = "Floating (m)";
pub const PENETRATION: &str = "Penetration (m)";
pub const JERK: &str = "Jerk (m/s^3)";
/// Mean |path turn| of the set's motions labelled [`STRAIGHT_WALK_ACTION`] that travel
/// (`motion::path::path_turn_deg`): how far straight walks curve.
pub const WALK_TURN_ABS: &str = "Walk path turn, absolute (deg)";
/// The same, signed (+ = left): a one-sided drift shows here.
pub const WALK_TURN: &str = "Walk path turn, signed (deg, + left)";
/// The Bandai Namco label of plain straight walking, whose path turns are measured.
pub const STRAIGHT_WALK_ACTION: &str = "walk";

/// Embeddings of the train split: the reference distribution FID is measured against.
pub fn reference_embeddings(ev: &LoadedEvaluator, data: &LabelledClips, device: &Device) -> Vec<Vec<f32>> {
    let train: Vec<Frames> = data.split(motion::dataset::Split::Train).into_iter().map(|c| data.frames(c)).collect();
    embed_motions(ev, &train, device).0
}

/// All metrics of `set`, each as mean and 95 % interval over `repeats` draws: R-precision
/// batches are re-drawn, diversity/multimodality pairs re-sampled, and FID, accuracy and
/// physics computed on a bootstrap resample of the set.
pub fn evaluate_set(
    ev: &LoadedEvaluator,
    data: &LabelledClips,
    set: &MotionSet,
    reference: &[Vec<f32>],
    repeats: usize,
    seed: u64,
    device: &Device,
) -> SetReport {
    if set.motions.is_empty() {
        return SetReport { name: set.name.clone(), motions: 0, metrics: Vec::new(), per_action: Vec::new() };
    }
    let (memb, pred) = embed_motions(ev, &set.motions, device);
    let sentences: Vec<[f32; EMBEDDING_DIM]> = set.captions.iter().map(|&c| data.embedding(c)).collect();
    let temb = embed_texts(ev, &sentences, device);
    // Decoded once: the physics metrics and the walks' path turns read the same joints.
    let joints: Vec<Vec<motion::JointPositions>> = set.motions.iter().map(|m| decode(m).joint_positions()).collect();
    let physics: Vec<PhysicsMetrics> = joints.iter().map(|j| physics_metrics(j, motion::CANONICAL_FPS)).collect();
    let walk = ev.actions.iter().position(|a| a == STRAIGHT_WALK_ACTION);
    let walk_turns: Vec<Option<f32>> =
        joints.iter().zip(&set.actions).map(|(j, &a)| if Some(a) == walk { motion::path::path_turn_deg(j) } else { None }).collect();
    let mm_groups: Vec<Vec<Vec<f32>>> = set.multimodal.iter().map(|g| embed_motions(ev, g, device).0).collect();
    let n = set.motions.len();

    let mut draws: Vec<Vec<f64>> = vec![Vec::new(); 14];
    let mut no_walks = false;
    let mut no_batches = false;
    for r in 0..repeats.max(1) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1000).wrapping_add(r as u64));
        let batches = distinct_group_batches(&set.groups, &mut rng);
        no_batches |= batches.is_empty();
        let rp = r_precision(&memb, &temb, &batches);
        let boot: Vec<usize> = (0..n).map(|_| rng.random_range(0..n.max(1))).collect();
        let boot_emb: Vec<Vec<f32>> = boot.iter().map(|&i| memb[i].clone()).collect();
        let mean = |f: &dyn Fn(usize) -> f64| boot.iter().map(|&i| f(i)).sum::<f64>() / n.max(1) as f64;
        let turns: Vec<f64> = boot.iter().filter_map(|&i| walk_turns[i]).map(f64::from).collect();
        no_walks |= turns.is_empty();
        let turn_mean = |f: fn(f64) -> f64| turns.iter().map(|&t| f(t)).sum::<f64>() / turns.len().max(1) as f64;
        let values = [
            rp[0] as f64,
            rp[1] as f64,
            rp[2] as f64,
            fid(&boot_emb, reference),
            mm_dist(&memb, &temb) as f64,
            diversity(&memb, DIVERSITY_PAIRS, &mut rng) as f64,
            multimodality(&mm_groups, MULTIMODALITY_PAIRS, &mut rng) as f64,
            mean(&|i| (pred[i] == set.actions[i]) as u8 as f64),
            mean(&|i| physics[i].foot_skating_ratio as f64),
            mean(&|i| physics[i].floating_m as f64),
            mean(&|i| physics[i].penetration_m as f64),
            mean(&|i| physics[i].jerk_m_s3 as f64),
            turn_mean(f64::abs),
            turn_mean(|t| t),
        ];
        for (d, v) in draws.iter_mut().zip(values) {
            d.push(v);
        }
    }
    let spec: [(&str, &str); 14] = [
        (R1, "higher"),
        (R2, "higher"),
        (R3, "higher"),
        (FID, "lower"),
        (MM_DIST, "lower"),
        (DIVERSITY, "closer to real"),
        (MULTIMODALITY, "closer to real"),
        (ACCURACY, "higher"),
        (SKATING, "lower"),
        (FLOATING, "lower"),
        (PENETRATION, "lower"),
        (JERK, "closer to real"),
        (WALK_TURN_ABS, "closer to real"),
        (WALK_TURN, "closer to real"),
    ];
    let mut metrics: Vec<MetricValue> = spec
        .iter()
        .zip(&draws)
        .map(|(&(name, better), d)| {
            let i = Interval::of(d);
            MetricValue { name: name.into(), better, mean: i.mean, ci95: i.ci95 }
        })
        .collect();
    if set.multimodal.is_empty() {
        metrics.retain(|m| m.name != MULTIMODALITY);
    }
    if no_walks {
        // A draw without a travelling straight walk (none in the set, or the resample missed
        // them): the walk-turn figures would be a mean of nothing.
        metrics.retain(|m| m.name != WALK_TURN_ABS && m.name != WALK_TURN);
    }
    if no_batches {
        // Fewer than 32 texts of different (action, style): R-precision is undefined.
        metrics.retain(|m| ![R1, R2, R3].contains(&m.name.as_str()));
    }
    let per_action = per_action_breakdown(&pred, &set.actions, &ev.actions);
    SetReport { name: set.name.clone(), motions: n, metrics, per_action }
}

/// Real clips of `split`, each paired with one of its captions (chosen by `seed`), and its
/// (action, style) groups as multimodal sets (up to `per_group` clips each).
pub fn real_set(data: &LabelledClips, split: motion::dataset::Split, seed: u64, per_group: usize) -> MotionSet {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let clips = data.split(split);
    let mut set = MotionSet { name: format!("real {}", split.name()), ..Default::default() };
    let mut by_group: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &c in &clips {
        let clip = &data.clips[c];
        set.motions.push(data.frames(c));
        set.captions.push(clip.captions[rng.random_range(0..clip.captions.len())]);
        set.groups.push(clip.group);
        set.actions.push(clip.action);
        by_group.entry(clip.group).or_default().push(c);
    }
    set.multimodal = by_group
        .values()
        .filter(|g| g.len() >= 2)
        .map(|g| g.iter().take(per_group).map(|&c| data.frames(c)).collect())
        .collect();
    set
}

/// The same motions paired with texts of other clips (a random derangement across groups):
/// text-matching metrics must fall to chance.
pub fn mismatched_texts(real: &MotionSet, seed: u64) -> MotionSet {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = real.motions.len();
    let mut perm: Vec<usize> = (0..n).collect();
    perm.shuffle(&mut rng);
    let mut out = real.clone();
    out.name = format!("{}, texts shuffled", real.name);
    out.captions = perm.iter().map(|&i| real.captions[i]).collect();
    out.groups = perm.iter().map(|&i| real.groups[i]).collect();
    out.actions = perm.iter().map(|&i| real.actions[i]).collect();
    out.multimodal.clear();
    out
}

/// The same clips with their frames in random order: plausible poses, no motion.
pub fn frames_shuffled(real: &MotionSet, seed: u64) -> MotionSet {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = real.clone();
    out.name = format!("{}, frames shuffled", real.name);
    for m in &mut out.motions {
        m.shuffle(&mut rng);
    }
    out.multimodal.clear();
    out
}

/// Gaussian noise in the evaluator's normalised feature space, with the real clips' lengths.
pub fn noise_set(real: &MotionSet, ev: &LoadedEvaluator, seed: u64) -> MotionSet {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = real.clone();
    out.name = "noise".into();
    for m in &mut out.motions {
        let flat = crate::diffusion::gaussian(&mut rng, m.len() * FEATURE_DIM);
        for (row, z) in m.iter_mut().zip(flat.chunks_exact(FEATURE_DIM)) {
            for j in 0..FEATURE_DIM {
                row[j] = z[j] * ev.stats.std[j] + ev.stats.mean[j];
            }
        }
    }
    out.multimodal.clear();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_action_breakdown_counts_hits_and_confusions() {
        let names: Vec<String> = ["walk", "run", "wave"].iter().map(|s| s.to_string()).collect();
        // Intended walk ×3 (one read as run), run ×2 (both read as walk), wave ×1 (read as class 7).
        let intended = [0, 0, 0, 1, 1, 2];
        let pred = [0, 1, 0, 0, 0, 7];
        let b = per_action_breakdown(&pred, &intended, &names);
        assert_eq!(b.len(), 3);
        assert_eq!((b[0].action.as_str(), b[0].motions, b[0].correct), ("walk", 3, 2));
        assert_eq!(b[0].mistaken_for, vec![("run".to_string(), 1)]);
        assert_eq!((b[1].action.as_str(), b[1].motions, b[1].correct), ("run", 2, 0));
        assert_eq!(b[1].mistaken_for, vec![("walk".to_string(), 2)]);
        assert_eq!(b[2].mistaken_for, vec![("class 7".to_string(), 1)]);
        let total: usize = b.iter().map(|x| x.correct).sum();
        assert_eq!(total, 2);
    }
}
