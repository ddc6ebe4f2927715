//! KIT-ML captions as published in TMR's `annotations.json`: an object keyed by motion id,
//! each with `path`, `duration` (seconds) and `annotations` (`seg_id`, `text`, `start`, `end`).

use crate::error::{read_to_string_bounded, DatasetError, Result};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct KitAnnotation {
    pub seg_id: String,
    pub text: String,
    /// Seconds.
    pub start: f32,
    /// Seconds.
    pub end: f32,
}

#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct KitEntry {
    /// AMASS-relative path; mirrored copies start with `M/`.
    pub path: String,
    /// Seconds.
    pub duration: f32,
    pub annotations: Vec<KitAnnotation>,
}

/// Reads `annotations.json`, keyed by motion id (`00004`, `M00004`).
pub fn read_annotations(path: &Path) -> Result<BTreeMap<String, KitEntry>> {
    let text = read_to_string_bounded(path, 256 << 20)?;
    let map: BTreeMap<String, KitEntry> = serde_json::from_str(&text).map_err(|e| DatasetError::Syntax {
        path: path.to_path_buf(),
        line: e.line(),
        message: format!("not a KIT-ML annotations file: {e}"),
    })?;
    for (id, e) in &map {
        if e.annotations.is_empty() {
            return Err(DatasetError::invalid(path, format!("motion '{id}' has no annotations")));
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_real_annotations() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/kit-ml/annotations.json");
        assert!(p.exists(), "test data missing: {} (these tests read the shared data set: clone the repository with `shared/` beside it, see README)", p.display());
        let m = read_annotations(&p).unwrap();
        assert_eq!(m.len(), 5766);
        let total: usize = m.values().map(|e| e.annotations.len()).sum();
        assert_eq!(total, 12164);
        let e = &m["00004"];
        assert!(e.annotations.iter().any(|a| a.text.contains("walks forward")));
    }

    #[test]
    fn malformed_json_names_the_line() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("a.json");
        std::fs::write(&p, "{\n\"1\": {\"path\": 3}\n}").unwrap();
        let e = read_annotations(&p).unwrap_err().to_string();
        assert!(e.contains("a.json:2"), "{e}");
    }
}
