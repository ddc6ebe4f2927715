//! HumanML3D layouts: `new_joint_vecs/*.npy` (frames × 263 features), `new_joints/*.npy`
//! (frames × 22 × 3 joint positions in metres, Y up), caption files
//! (`caption#word/POS ...#start#end` per line) and split lists (one motion id per line).

use crate::error::{read_to_string_bounded, DatasetError, Result};
use crate::npy::read_floats;
use std::path::Path;

/// Width of a HumanML3D feature vector for the 22-joint skeleton.
pub const FEATURE_DIM: usize = 263;
pub const NUM_JOINTS: usize = 22;

/// Reads `new_joint_vecs` features, f32 or f64: one `[f32; 263]` row per frame.
pub fn read_feature_vectors(path: &Path) -> Result<Vec<[f32; FEATURE_DIM]>> {
    let a = read_floats(path)?;
    if a.shape.len() != 2 || a.shape[1] != FEATURE_DIM {
        return Err(DatasetError::invalid(path, format!("expected shape [frames, {FEATURE_DIM}], found {:?}", a.shape)));
    }
    Ok(a.data.chunks_exact(FEATURE_DIM).map(|c| c.try_into().expect("chunk of FEATURE_DIM")).collect())
}

/// Reads joint positions `[frames, 22, 3]` (metres, Y up), f32 or f64.
pub fn read_joint_positions(path: &Path) -> Result<Vec<[[f32; 3]; NUM_JOINTS]>> {
    let a = read_floats(path)?;
    if a.shape.len() != 3 || a.shape[1] != NUM_JOINTS || a.shape[2] != 3 {
        return Err(DatasetError::invalid(path, format!("expected shape [frames, {NUM_JOINTS}, 3], found {:?}", a.shape)));
    }
    if a.shape[0] == 0 {
        return Err(DatasetError::invalid(path, "the array has no frames"));
    }
    Ok(a.data
        .chunks_exact(NUM_JOINTS * 3)
        .map(|f| std::array::from_fn(|j| [f[j * 3], f[j * 3 + 1], f[j * 3 + 2]]))
        .collect())
}

/// One caption line of a HumanML3D text file.
#[derive(Clone, Debug, PartialEq)]
pub struct Caption {
    pub text: String,
    /// `word/POS` tokens as written.
    pub tokens: Vec<String>,
    /// Segment in seconds; `None` when the file says `0.0#0.0` (the whole clip).
    pub segment_s: Option<(f32, f32)>,
}

/// Parses a caption file: one `caption#tokens#start#end` per non-empty line.
pub fn parse_captions(text: &str, path: &Path) -> Result<Vec<Caption>> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let err = |m: String| DatasetError::Syntax { path: path.to_path_buf(), line: i + 1, message: m };
        let fields: Vec<&str> = line.split('#').collect();
        if fields.len() != 4 {
            return Err(err(format!("expected 4 '#'-separated fields (caption#tokens#start#end), found {}", fields.len())));
        }
        let num = |s: &str, what: &str| -> Result<f32> {
            let v = s.trim().parse::<f32>().map_err(|_| err(format!("expected the {what} time in seconds, found '{s}'")))?;
            if v.is_finite() && v >= 0.0 { Ok(v) } else { Err(err(format!("the {what} time must be >= 0, found '{s}'"))) }
        };
        let (start, end) = (num(fields[2], "start")?, num(fields[3], "end")?);
        let segment_s = if start == 0.0 && end == 0.0 {
            None
        } else if end > start {
            Some((start, end))
        } else {
            return Err(err(format!("end time {end} is not after start time {start}")));
        };
        let text = fields[0].trim().to_string();
        if text.is_empty() {
            return Err(err("empty caption".into()));
        }
        out.push(Caption { text, tokens: fields[1].split_whitespace().map(str::to_string).collect(), segment_s });
    }
    Ok(out)
}

/// Reads a caption file from disk.
pub fn read_captions(path: &Path) -> Result<Vec<Caption>> {
    parse_captions(&read_to_string_bounded(path, 1 << 20)?, path)
}

/// Reads a split list: one motion id per line (ids may carry the `M` mirror prefix).
pub fn read_split(path: &Path) -> Result<Vec<String>> {
    let text = read_to_string_bounded(path, 64 << 20)?;
    let mut ids = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let id = l.trim();
        if id.is_empty() {
            continue;
        }
        if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(DatasetError::Syntax { path: path.to_path_buf(), line: i + 1, message: format!("'{id}' is not a motion id") });
        }
        ids.push(id.to_string());
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn shared(p: &str) -> PathBuf {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/humanml3d").join(p);
        assert!(path.exists(), "test data missing: {} (these tests read the shared data set: clone the repository with `shared/` beside it, see README)", path.display());
        path
    }

    #[test]
    fn reads_features_in_f32_and_f64_identically() {
        let a = read_feature_vectors(&shared("new_joint_vecs/012314.npy")).unwrap();
        let b = read_feature_vectors(&shared("new_joint_vecs/012314_f64.npy")).unwrap();
        assert_eq!(a.len(), 170);
        assert_eq!(a, b);
    }

    #[test]
    fn reads_joints_and_rejects_wrong_shapes() {
        let j = read_joint_positions(&shared("new_joints/012314.npy")).unwrap();
        assert_eq!(j.len(), 170);
        // Pelvis height of a standing adult in metres.
        assert!(j[0][0][1] > 0.7 && j[0][0][1] < 1.2, "{:?}", j[0][0]);
        let e = read_joint_positions(&shared("new_joint_vecs/012314.npy")).unwrap_err();
        assert!(e.to_string().contains("expected shape [frames, 22, 3]"), "{e}");
        let e = read_feature_vectors(&shared("Mean.npy")).unwrap_err();
        assert!(e.to_string().contains("[frames, 263]"), "{e}");
    }

    #[test]
    fn garbage_npy_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.npy");
        std::fs::write(&p, b"\x93NUMPY\x01\x00garbage").unwrap();
        assert!(read_floats(&p).is_err());
        let bytes = std::fs::read(shared("new_joints/012314.npy")).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        assert!(read_joint_positions(&p).is_err());
    }

    #[test]
    fn parses_the_published_caption_format() {
        let t = "a man kicks something or someone with his left leg.#a/DET man/NOUN kick/VERB#0.0#0.0\r\nthe person waves.#the/DET person/NOUN wave/VERB#1.5#4.0\n\n";
        let c = parse_captions(t, Path::new("000000.txt")).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].text, "a man kicks something or someone with his left leg.");
        assert_eq!(c[0].segment_s, None);
        assert_eq!(c[1].segment_s, Some((1.5, 4.0)));
        assert_eq!(c[1].tokens[2], "wave/VERB");
        let e = parse_captions("ok#a/DET#0.0\n", Path::new("x.txt")).unwrap_err();
        assert!(e.to_string().contains("x.txt:1") && e.to_string().contains("4 '#'"), "{e}");
        let e = parse_captions("fine#a#0#0\nbad#a#3#1\n", Path::new("x.txt")).unwrap_err();
        assert!(e.to_string().contains("x.txt:2"), "{e}");
    }

    #[test]
    fn reads_split_lists() {
        let ids = read_split(&shared("test.txt")).unwrap();
        assert_eq!(ids.len(), 4384);
        assert_eq!(ids.iter().filter(|i| i.starts_with('M')).count(), 2192);
    }
}
