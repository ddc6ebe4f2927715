//! Shared test support: the committed fixture clips (`tests/fixtures/`), laid out the way the
//! real datasets are, so every crate's tests build caches from the same small, real data.

use std::path::{Path, PathBuf};

/// The repository's `tests/fixtures` folder.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The two Bandai Namco fixture clips as (dataset number, clip name, action, style).
pub const BANDAI_CLIPS: [(u8, &str, &str, &str); 2] = [
    (1, "dataset-1_dash_normal_001", "dash", "normal"),
    (2, "dataset-2_wave-left-hand_active_011", "wave-left-hand", "active"),
];

/// Writes the fixture clips under `root` in the layout of the real Bandai Namco download
/// (`Bandai-Namco-Research-Motiondataset-N/{cfg,data}`, label files, per-clip JSON) and returns
/// `root`, ready for `motion dataset build --source root`.
pub fn lay_out_bandai_fixtures(root: &Path) -> std::io::Result<PathBuf> {
    for (n, clip, content, style) in BANDAI_CLIPS {
        let d = root.join(format!("Bandai-Namco-Research-Motiondataset-{n}"));
        std::fs::create_dir_all(d.join("cfg"))?;
        std::fs::create_dir_all(d.join("data"))?;
        std::fs::write(d.join("cfg/content_label.txt"), format!("dataset-{n}_{content}\n"))?;
        std::fs::write(d.join("cfg/style_label.txt"), format!("dataset-{n}_{style}\n"))?;
        std::fs::copy(fixtures_dir().join(format!("bandai/{clip}.bvh")), d.join(format!("data/{clip}.bvh")))?;
        std::fs::write(d.join(format!("data/{clip}.json")), r#"{"content": 0, "style": 0}"#)?;
    }
    Ok(root.to_path_buf())
}
