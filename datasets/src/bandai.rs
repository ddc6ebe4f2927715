//! The Bandai Namco Research motion datasets 1 and 2: `data/dataset-N_<content>_<style>_<take>.bvh`
//! with a `.json` beside each clip (`{"content": i, "style": j}`, 0-based line indices into
//! `cfg/content_label.txt` and `cfg/style_label.txt`, whose lines read `dataset-N_<label>`).

use crate::error::{read_to_string_bounded, DatasetError, Result};
use std::path::{Path, PathBuf};

/// One labelled clip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BandaiClip {
    pub bvh_path: PathBuf,
    /// 1 or 2.
    pub dataset: u8,
    /// Action label without the `dataset-N_` prefix, e.g. `walk`, `wave-left-hand`.
    pub content: String,
    /// Style label without the prefix, e.g. `elderly`, `tired`.
    pub style: String,
    /// Take number from the file name (`001`), which with content and style names the clip.
    pub take: String,
}

impl BandaiClip {
    /// Stable clip name, e.g. `dataset-2_walk_elderly_003`.
    pub fn name(&self) -> String {
        format!("dataset-{}_{}_{}_{}", self.dataset, self.content, self.style, self.take)
    }
}

/// The clips found in one or more dataset folders, plus the ones skipped and why.
#[derive(Clone, Debug, Default)]
pub struct BandaiCatalog {
    pub clips: Vec<BandaiClip>,
    pub skipped: Vec<(PathBuf, String)>,
}

/// Dataset folders (those holding `cfg/content_label.txt` and `data/`) at `root`, or directly
/// below it, or below `root/bandai-namco` — the layouts `unpack.sh` produces.
pub fn find_dataset_dirs(root: &Path) -> Result<Vec<PathBuf>> {
    let is_dataset = |p: &Path| p.join("cfg/content_label.txt").is_file() && p.join("data").is_dir();
    if is_dataset(root) {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut found = Vec::new();
    for base in [root.to_path_buf(), root.join("bandai-namco")] {
        let Ok(entries) = std::fs::read_dir(&base) else { continue };
        for e in entries.flatten() {
            if is_dataset(&e.path()) {
                found.push(e.path());
            }
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(DatasetError::invalid(
            root,
            "no Bandai Namco dataset found (expected a folder with cfg/content_label.txt and data/, e.g. what shared/data/unpack.sh writes)",
        ));
    }
    Ok(found)
}

fn read_labels(path: &Path) -> Result<Vec<(u8, String)>> {
    let text = read_to_string_bounded(path, 1 << 20)?;
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        let parsed = l
            .strip_prefix("dataset-")
            .and_then(|r| r.split_once('_'))
            .and_then(|(n, label)| Some((n.parse::<u8>().ok()?, label.to_string())));
        match parsed {
            Some(p) if !p.1.is_empty() => out.push(p),
            _ => return Err(DatasetError::Syntax { path: path.to_path_buf(), line: i + 1, message: format!("expected 'dataset-N_label', found '{l}'") }),
        }
    }
    Ok(out)
}

#[derive(serde::Deserialize)]
struct LabelJson {
    content: usize,
    style: usize,
}

/// Lists the labelled clips of one dataset folder. Clips whose BVH is missing or whose label
/// file is broken are skipped and reported, so one bad file does not stop a dataset build.
pub fn read_dataset(dir: &Path) -> Result<BandaiCatalog> {
    let contents = read_labels(&dir.join("cfg/content_label.txt"))?;
    let styles = read_labels(&dir.join("cfg/style_label.txt"))?;
    let data = dir.join("data");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&data)
        .map_err(|e| DatasetError::io(&data, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    entries.sort();
    let mut cat = BandaiCatalog::default();
    for json in entries {
        let bvh = json.with_extension("bvh");
        let parsed = read_to_string_bounded(&json, 1 << 16).and_then(|t| {
            serde_json::from_str::<LabelJson>(&t).map_err(|e| DatasetError::invalid(&json, format!("bad label JSON: {e}")))
        });
        let label = match parsed {
            Ok(l) => l,
            Err(e) => {
                cat.skipped.push((json.clone(), e.to_string()));
                continue;
            }
        };
        let (Some((dataset, content)), Some((_, style))) = (contents.get(label.content), styles.get(label.style)) else {
            cat.skipped.push((json.clone(), format!("label indices content {} / style {} are out of range", label.content, label.style)));
            continue;
        };
        if !bvh.is_file() {
            cat.skipped.push((bvh, "the BVH file named by the label file is missing".into()));
            continue;
        }
        let stem = json.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let take = stem.rsplit('_').next().unwrap_or("000").to_string();
        cat.clips.push(BandaiClip { bvh_path: bvh, dataset: *dataset, content: content.clone(), style: style.clone(), take });
    }
    Ok(cat)
}

/// All clips of every dataset folder under `root` (see [`find_dataset_dirs`]).
pub fn read_all(root: &Path) -> Result<BandaiCatalog> {
    let mut all = BandaiCatalog::default();
    for dir in find_dataset_dirs(root)? {
        let c = read_dataset(&dir)?;
        all.clips.extend(c.clips);
        all.skipped.extend(c.skipped);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_dataset(root: &Path) {
        let d = root.join("Bandai-Namco-Research-Motiondataset-2");
        std::fs::create_dir_all(d.join("cfg")).unwrap();
        std::fs::create_dir_all(d.join("data")).unwrap();
        std::fs::write(d.join("cfg/content_label.txt"), "dataset-2_walk\ndataset-2_wave-left-hand\n").unwrap();
        std::fs::write(d.join("cfg/style_label.txt"), "dataset-2_elderly\r\ndataset-2_normal\r\n").unwrap();
        std::fs::write(d.join("data/dataset-2_wave-left-hand_elderly_003.json"), r#"{"content": 1, "style": 0}"#).unwrap();
        std::fs::write(d.join("data/dataset-2_wave-left-hand_elderly_003.bvh"), "").unwrap();
        std::fs::write(d.join("data/dataset-2_walk_normal_001.json"), r#"{"content": 0, "style": 1}"#).unwrap();
        std::fs::write(d.join("data/dataset-2_walk_normal_002.json"), r#"{"content": 0, "style": 7}"#).unwrap();
        std::fs::write(d.join("data/dataset-2_walk_normal_002.bvh"), "").unwrap();
        std::fs::write(d.join("data/broken.json"), "{").unwrap();
    }

    #[test]
    fn reads_labels_and_reports_what_it_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        fake_dataset(&tmp.path().join("bandai-namco"));
        let cat = read_all(tmp.path()).unwrap();
        assert_eq!(cat.clips.len(), 1);
        let c = &cat.clips[0];
        assert_eq!((c.dataset, c.content.as_str(), c.style.as_str(), c.take.as_str()), (2, "wave-left-hand", "elderly", "003"));
        assert_eq!(c.name(), "dataset-2_wave-left-hand_elderly_003");
        assert_eq!(cat.skipped.len(), 3, "{:?}", cat.skipped);
        assert!(cat.skipped.iter().any(|(_, why)| why.contains("missing")));
        assert!(cat.skipped.iter().any(|(_, why)| why.contains("out of range")));
        assert!(cat.skipped.iter().any(|(_, why)| why.contains("bad label JSON")));
    }

    #[test]
    fn an_empty_folder_says_what_it_expected() {
        let tmp = tempfile::tempdir().unwrap();
        let e = read_all(tmp.path()).unwrap_err();
        assert!(e.to_string().contains("no Bandai Namco dataset found"), "{e}");
    }
}
