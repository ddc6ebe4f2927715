//! The training cache: every Bandai Namco clip retargeted to the canonical skeleton at 20 fps,
//! encoded as features, split train/val/test by take (stratified by action and style, seeded),
//! with the train split's mean and std — all in one safetensors file.
//!
//! File layout (`dataset.safetensors`): tensors `features` `[total_frames, FEATURE_DIM]` f32,
//! `mean` and `std` `[FEATURE_DIM]` f32; metadata `format` = [`CACHE_FORMAT`] and `index` = the
//! JSON list of [`ClipEntry`] (rows `start..start + frames` of `features` belong to the clip).

use crate::error::{MotionError, Result};
use crate::features::{canonicalize, decode, encode, FEATURE_DIM};
use crate::quality::{clip_quality, ClipQuality};
use crate::retarget::{position_error, retarget_bvh_clip, BANDAI_SCALE_TO_M};
use motion_datasets::bandai::{read_all, BandaiClip};
use motion_datasets::captions::captions_for;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub const CACHE_FORMAT: &str = "motion-dataset/1";
pub const CACHE_FILE: &str = "dataset.safetensors";
/// Std values below this are clamped so normalisation never divides by ~0 (e.g. contacts
/// that never change, or the unused velocity of the last frame).
pub const MIN_STD: f32 = 1e-2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Val,
    Test,
}

impl Split {
    pub const ALL: [Split; 3] = [Split::Train, Split::Val, Split::Test];
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::Test => "test",
        }
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClipEntry {
    pub name: String,
    pub dataset: u8,
    pub action: String,
    pub style: String,
    pub take: String,
    pub split: Split,
    pub captions: Vec<String>,
    /// First row in `features`.
    pub start: usize,
    pub frames: usize,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct BuildOptions {
    pub seed: u64,
    pub val_fraction: f32,
    pub test_fraction: f32,
    pub threads: usize,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self { seed: 42, val_fraction: 0.1, test_fraction: 0.1, threads: std::thread::available_parallelism().map_or(2, |n| n.get()) }
    }
}

/// The in-memory cache.
#[derive(Clone, Debug)]
pub struct DatasetCache {
    pub clips: Vec<ClipEntry>,
    /// Row-major `[total_frames, FEATURE_DIM]`.
    pub features: Vec<f32>,
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

/// Counts per split, for the build summary.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct SplitStats {
    pub clips: usize,
    pub frames: usize,
    pub hours: f64,
}

/// What a build saw besides the cache itself.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct BuildReport {
    pub skipped: Vec<(PathBuf, String)>,
    pub failed: Vec<(String, String)>,
    pub quality: BTreeMap<String, ClipQuality>,
}

impl DatasetCache {
    pub fn clip_rows(&self, clip: &ClipEntry) -> &[f32] {
        &self.features[clip.start * FEATURE_DIM..(clip.start + clip.frames) * FEATURE_DIM]
    }

    pub fn split_stats(&self) -> BTreeMap<Split, SplitStats> {
        let mut m = BTreeMap::new();
        for s in Split::ALL {
            m.insert(s, SplitStats::default());
        }
        for c in &self.clips {
            let e = m.entry(c.split).or_default();
            e.clips += 1;
            e.frames += c.frames;
            e.hours += c.frames as f64 / crate::CANONICAL_FPS as f64 / 3600.0;
        }
        m
    }

    /// This cache plus a mirror image of every training clip (X → −X, left and right joints
    /// swapped; see [`Motion::mirrored`](crate::Motion::mirrored)), labelled with the mirrored
    /// action (`walk-left` ↔ `walk-right`, `wave-left-hand` ↔ `wave-right-hand`, …) and that
    /// action's captions; names get an `M/` prefix. Validation and test clips are not copied, and
    /// mean/std stay those of the original train split, so a model trained on the plain cache
    /// can be fine-tuned on this one. Training augmentation in the spirit of HumanML3D's mirrored
    /// copies: the lateral actions have few clips each (walk-left/right: 11), and every
    /// left-handed clip teaches the right-handed one too.
    pub fn with_mirrored_train_clips(&self) -> DatasetCache {
        let mut out = self.clone();
        for clip in self.clips.iter().filter(|c| c.split == Split::Train && c.frames > 0) {
            let rows: Vec<[f32; FEATURE_DIM]> = self
                .clip_rows(clip)
                .chunks_exact(FEATURE_DIM)
                .map(|r| std::array::from_fn(|k| r[k]))
                .collect();
            let mirrored = encode(&canonicalize(&decode(&rows).mirrored()));
            let action = mirror_action(&clip.action);
            let start = out.features.len() / FEATURE_DIM;
            out.features.extend(mirrored.iter().flatten());
            out.clips.push(ClipEntry {
                name: format!("M/{}", clip.name),
                captions: captions_for(&action, &clip.style),
                action,
                start,
                frames: mirrored.len(),
                ..clip.clone()
            });
        }
        out
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        use safetensors::tensor::{Dtype, TensorView};
        let as_bytes = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let (f, m, s) = (as_bytes(&self.features), as_bytes(&self.mean), as_bytes(&self.std));
        let rows = self.features.len() / FEATURE_DIM;
        let bad = |e: safetensors::SafeTensorError| MotionError::Invalid(format!("cannot build the cache tensors: {e}"));
        let tensors = vec![
            ("features", TensorView::new(Dtype::F32, vec![rows, FEATURE_DIM], &f).map_err(bad)?),
            ("mean", TensorView::new(Dtype::F32, vec![FEATURE_DIM], &m).map_err(bad)?),
            ("std", TensorView::new(Dtype::F32, vec![FEATURE_DIM], &s).map_err(bad)?),
        ];
        let index = serde_json::to_string(&self.clips).map_err(|e| MotionError::Invalid(e.to_string()))?;
        let meta = std::collections::HashMap::from([("format".to_string(), CACHE_FORMAT.to_string()), ("index".to_string(), index)]);
        safetensors::serialize(tensors, Some(meta)).map_err(bad)
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        crate::write_atomic(path, &self.to_bytes()?)
    }

    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| MotionError::input(path, format!("cannot read the dataset cache: {e} (build it with `motion dataset build`)")))?;
        let bad = |m: String| MotionError::input(path, m);
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| bad(format!("not a safetensors file: {e}")))?;
        let md = meta.metadata().clone().unwrap_or_default();
        if md.get("format").map(String::as_str) != Some(CACHE_FORMAT) {
            return Err(bad(format!("not a {CACHE_FORMAT} cache (format tag {:?})", md.get("format"))));
        }
        let clips: Vec<ClipEntry> = serde_json::from_str(md.get("index").map(String::as_str).unwrap_or("")).map_err(|e| bad(format!("broken clip index: {e}")))?;
        let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| bad(format!("broken tensors: {e}")))?;
        let get = |name: &str, shape_tail: usize| -> Result<Vec<f32>> {
            let t = st.tensor(name).map_err(|e| bad(format!("tensor '{name}': {e}")))?;
            if t.dtype() != safetensors::Dtype::F32 || t.shape().last() != Some(&shape_tail) {
                return Err(bad(format!("tensor '{name}' has dtype {:?} shape {:?}, expected f32 [.., {shape_tail}]", t.dtype(), t.shape())));
            }
            Ok(t.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
        };
        let cache = DatasetCache { features: get("features", FEATURE_DIM)?, mean: get("mean", FEATURE_DIM)?, std: get("std", FEATURE_DIM)?, clips };
        let rows = cache.features.len() / FEATURE_DIM;
        if let Some(c) = cache.clips.iter().find(|c| c.start + c.frames > rows) {
            return Err(bad(format!("clip '{}' points past the end of the features", c.name)));
        }
        Ok(cache)
    }
}

/// Assigns each take to a split: within every (dataset, action, style) group the takes are
/// shuffled with the seed, then ~test_fraction go to test and ~val_fraction to val (at least one
/// each once a group has three takes), the rest to train. Smaller groups are pooled by action.
pub fn assign_splits(clips: &[BandaiClip], opts: &BuildOptions) -> Vec<Split> {
    let mut groups: BTreeMap<(u8, &str, &str), Vec<usize>> = BTreeMap::new();
    for (i, c) in clips.iter().enumerate() {
        groups.entry((c.dataset, &c.content, &c.style)).or_default().push(i);
    }
    // Groups with fewer than three takes (dataset 1 has one take per action and style) are
    // pooled per action, so every action still reaches val and test.
    let mut pooled: BTreeMap<(u8, &str, &str), Vec<usize>> = BTreeMap::new();
    for ((d, action, style), members) in groups {
        let key = if members.len() >= 3 { (d, action, style) } else { (d, action, "") };
        pooled.entry(key).or_default().extend(members);
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(opts.seed);
    let mut out = vec![Split::Train; clips.len()];
    for members in pooled.values_mut() {
        members.sort_by(|&a, &b| (&clips[a].style, &clips[a].take).cmp(&(&clips[b].style, &clips[b].take)));
        members.shuffle(&mut rng);
        let n = members.len();
        let pick = |f: f32| if n >= 3 { ((n as f32 * f).round() as usize).max(1) } else { 0 };
        let (n_test, n_val) = (pick(opts.test_fraction), pick(opts.val_fraction));
        for (k, &i) in members.iter().enumerate() {
            out[i] = if k < n_test { Split::Test } else if k < n_test + n_val { Split::Val } else { Split::Train };
        }
    }
    out
}

/// The action label of a clip's mirror image: the words `left` and `right` swapped
/// (`walk-turn-left` → `walk-turn-right`); labels without a side are their own mirror.
pub fn mirror_action(action: &str) -> String {
    action
        .split('-')
        .map(|w| match w {
            "left" => "right",
            "right" => "left",
            other => other,
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Builds the cache from a folder holding the Bandai Namco datasets. `progress` is called with
/// the number of clips finished so far.
pub fn build(source: &Path, opts: &BuildOptions, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<(DatasetCache, BuildReport)> {
    let catalog = read_all(source)?;
    let clips = catalog.clips;
    if clips.is_empty() {
        return Err(MotionError::input(source, "no labelled clips found"));
    }
    let splits = assign_splits(&clips, opts);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<std::result::Result<(Vec<[f32; FEATURE_DIM]>, ClipQuality), String>>>> = Mutex::new(vec![None; clips.len()]);
    std::thread::scope(|s| {
        for _ in 0..opts.threads.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= clips.len() {
                    break;
                }
                let r = retarget_bvh_clip(&clips[i].bvh_path, Some(BANDAI_SCALE_TO_M)).map_err(|e| e.to_string()).and_then(|m| {
                    if m.num_frames() < 2 {
                        return Err("fewer than 2 frames".to_string());
                    }
                    let mut q = clip_quality(&m);
                    let canonical = canonicalize(&m);
                    let rows = encode(&canonical);
                    // Every cached clip must decode back to its joint positions.
                    q.encode_decode_max_error_m = position_error(&canonical.joint_positions(), &decode(&rows).joint_positions()).max_m;
                    Ok((rows, q))
                });
                if let Ok(mut g) = results.lock() {
                    g[i] = Some(r);
                }
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, clips.len());
            });
        }
    });
    let results = results.into_inner().map_err(|_| MotionError::Invalid("a worker thread panicked".into()))?;
    let mut report = BuildReport { skipped: catalog.skipped, ..Default::default() };
    let mut cache = DatasetCache { clips: vec![], features: vec![], mean: vec![0.0; FEATURE_DIM], std: vec![1.0; FEATURE_DIM] };
    for ((clip, split), r) in clips.iter().zip(&splits).zip(results) {
        match r {
            Some(Ok((rows, q))) => {
                let start = cache.features.len() / FEATURE_DIM;
                cache.features.extend(rows.iter().flatten());
                cache.clips.push(ClipEntry {
                    name: clip.name(),
                    dataset: clip.dataset,
                    action: clip.content.clone(),
                    style: clip.style.clone(),
                    take: clip.take.clone(),
                    split: *split,
                    captions: captions_for(&clip.content, &clip.style),
                    start,
                    frames: rows.len(),
                });
                report.quality.insert(clip.name(), q);
            }
            Some(Err(e)) => report.failed.push((clip.name(), e)),
            None => report.failed.push((clip.name(), "not processed".into())),
        }
    }
    // Mean and std over the train split (f64 accumulation: ~10⁵ rows).
    let mut sum = vec![0.0f64; FEATURE_DIM];
    let mut sq = vec![0.0f64; FEATURE_DIM];
    let mut n = 0usize;
    for c in cache.clips.iter().filter(|c| c.split == Split::Train) {
        for row in cache.clip_rows(c).chunks_exact(FEATURE_DIM) {
            for k in 0..FEATURE_DIM {
                sum[k] += row[k] as f64;
                sq[k] += (row[k] as f64).powi(2);
            }
            n += 1;
        }
    }
    if n > 0 {
        for k in 0..FEATURE_DIM {
            let m = sum[k] / n as f64;
            cache.mean[k] = m as f32;
            cache.std[k] = ((sq[k] / n as f64 - m * m).max(0.0).sqrt() as f32).max(MIN_STD);
        }
    }
    Ok((cache, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(content: &str, style: &str, take: usize) -> BandaiClip {
        BandaiClip { bvh_path: PathBuf::new(), dataset: 2, content: content.into(), style: style.into(), take: format!("{take:03}") }
    }

    #[test]
    fn splits_are_stratified_seeded_and_by_take() {
        let mut clips = vec![];
        for take in 0..20 {
            clips.push(clip("walk", "elderly", take));
            clips.push(clip("run", "normal", take));
        }
        clips.push(clip("bow", "sad", 1));
        clips.push(clip("bow", "sad", 2));
        clips.push(clip("kick", "sad", 1));
        let opts = BuildOptions::default();
        let a = assign_splits(&clips, &opts);
        assert_eq!(a, assign_splits(&clips, &opts), "same seed, same split");
        let other = assign_splits(&clips, &BuildOptions { seed: 7, ..opts.clone() });
        assert_ne!(a, other, "another seed shuffles differently");
        for action in ["walk", "run"] {
            let count = |s: Split| clips.iter().zip(&a).filter(|(c, x)| c.content == action && **x == s).count();
            assert_eq!((count(Split::Train), count(Split::Val), count(Split::Test)), (16, 2, 2), "{action}");
        }
        // Groups too small to split stay in train unless pooling by action gives three clips.
        assert!(clips.iter().zip(&a).filter(|(c, _)| c.content == "bow").all(|(_, s)| *s == Split::Train));
        clips.push(clip("bow", "happy", 1));
        let b = assign_splits(&clips, &opts);
        let bows: Vec<_> = clips.iter().zip(&b).filter(|(c, _)| c.content == "bow").map(|(_, s)| *s).collect();
        assert_eq!(bows.iter().filter(|s| **s == Split::Test).count(), 1, "{bows:?}");
    }

    #[test]
    fn cache_round_trips_through_safetensors() {
        let cache = DatasetCache {
            clips: vec![ClipEntry { name: "a".into(), dataset: 1, action: "walk".into(), style: "old".into(), take: "001".into(), split: Split::Val, captions: vec!["x".into()], start: 0, frames: 2 }],
            features: (0..2 * FEATURE_DIM).map(|i| i as f32).collect(),
            mean: vec![0.5; FEATURE_DIM],
            std: vec![2.0; FEATURE_DIM],
        };
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.safetensors");
        cache.write(&p).unwrap();
        let back = DatasetCache::read(&p).unwrap();
        assert_eq!(back.clips, cache.clips);
        assert_eq!(back.features, cache.features);
        std::fs::write(&p, b"garbage").unwrap();
        assert!(DatasetCache::read(&p).is_err());
    }

    #[test]
    fn mirror_labels_swap_sides_only() {
        assert_eq!(mirror_action("walk-turn-left"), "walk-turn-right");
        assert_eq!(mirror_action("raise-up-right-hand"), "raise-up-left-hand");
        assert_eq!(mirror_action("walk-left"), "walk-right");
        assert_eq!(mirror_action("bow"), "bow");
        assert_eq!(mirror_action("byebye"), "byebye");
    }

    #[test]
    fn mirrored_train_clips_are_mirror_images_with_mirrored_labels() {
        use crate::motion::{Motion, Pose};
        use crate::rotation::Quat;
        use crate::skeleton::{joint, Skeleton, MIRROR, NUM_JOINTS};
        use nalgebra::Vector3;
        // A sidestep with the left arm swinging up: nothing about it is symmetric.
        let poses = (0..30)
            .map(|f| {
                let mut local = [Quat::identity(); NUM_JOINTS];
                local[joint::L_SHOULDER] = Quat::from_axis_angle(&Vector3::z_axis(), -0.05 * f as f32);
                local[joint::L_HIP] = Quat::from_axis_angle(&Vector3::x_axis(), 0.02 * f as f32);
                Pose { root_m: Vector3::new(0.02 * f as f32, 0.9, 0.01 * f as f32), local }
            })
            .collect();
        let m = Motion { skeleton: Skeleton::canonical(), fps: 20.0, poses };
        let rows = encode(&canonicalize(&m));
        let n = rows.len();
        let entry = |name: &str, action: &str, split, start| ClipEntry {
            name: name.into(),
            dataset: 2,
            action: action.into(),
            style: "happy".into(),
            take: "001".into(),
            split,
            captions: captions_for(action, "happy"),
            start,
            frames: n,
        };
        let cache = DatasetCache {
            clips: vec![entry("a", "walk-left", Split::Train, 0), entry("b", "wave-left-hand", Split::Test, n)],
            features: rows.iter().chain(rows.iter()).flatten().copied().collect(),
            mean: vec![0.5; FEATURE_DIM],
            std: vec![2.0; FEATURE_DIM],
        };
        let out = cache.with_mirrored_train_clips();
        assert_eq!(out.clips.len(), 3, "only the train clip is copied");
        assert_eq!((out.mean.clone(), out.std.clone()), (cache.mean.clone(), cache.std.clone()), "stats stay those of the original train split");
        let c = &out.clips[2];
        assert_eq!((c.name.as_str(), c.action.as_str(), c.split, c.frames), ("M/a", "walk-right", Split::Train, n));
        assert_eq!(c.captions, captions_for("walk-right", "happy"));
        assert!(c.captions.iter().all(|t| !t.contains("left")), "{:?}", c.captions);
        let to_rows = |r: &[f32]| r.chunks_exact(FEATURE_DIM).map(|x| std::array::from_fn(|k| x[k])).collect::<Vec<[f32; FEATURE_DIM]>>();
        let a = decode(&to_rows(out.clip_rows(&out.clips[0]))).joint_positions();
        let b = decode(&to_rows(out.clip_rows(c))).joint_positions();
        let mut worst = 0.0f32;
        for f in 0..n {
            for j in 0..NUM_JOINTS {
                let (p, q) = (a[f][j], b[f][MIRROR[j]]);
                worst = worst.max((p.x + q.x).abs()).max((p.y - q.y).abs()).max((p.z - q.z).abs());
            }
        }
        assert!(worst < 2e-3, "mirrored clip is off the mirror image by {worst} m");
        // The sidestep goes the other way.
        assert!(a[n - 1][0].x * b[n - 1][0].x < 0.0, "{} vs {}", a[n - 1][0].x, b[n - 1][0].x);
    }
}
