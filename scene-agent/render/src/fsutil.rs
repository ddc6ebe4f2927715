//! File writing that never leaves a half-written file and never escapes the output folder.

use crate::RenderError;
use std::path::{Path, PathBuf};

/// `dir/name` for a plain file name (no separators, no `..`, not hidden-empty), so every output
/// path stays inside the folder the user gave.
pub fn child(dir: &Path, name: &str) -> Result<PathBuf, RenderError> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && Path::new(name).components().count() == 1;
    if !ok {
        return Err(RenderError::Path(format!("refusing output file name {name:?}")));
    }
    Ok(dir.join(name))
}

/// Write `bytes` to `dir/name` via a temporary file in the same folder and a rename, so readers
/// (and a resumed run) see either the old file, or the complete new one.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, RenderError> {
    let dest = child(dir, name)?;
    motion::write_atomic(&dest, bytes).map_err(|e| match e {
        motion::MotionError::Write { path, source } => RenderError::Io { path, source },
        other => RenderError::Io { path: dest.clone(), source: std::io::Error::other(other.to_string()) },
    })?;
    Ok(dest)
}

pub fn create_dir(dir: &Path) -> Result<(), RenderError> {
    std::fs::create_dir_all(dir).map_err(|e| RenderError::Io { path: dir.to_path_buf(), source: e })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_escaping_names_and_writes_whole_files() {
        let d = tempfile::tempdir().expect("tmp");
        for bad in ["../x.png", "a/b.png", "..", "", "/etc/passwd"] {
            assert!(write_atomic(d.path(), bad, b"x").is_err(), "{bad}");
        }
        let p = write_atomic(d.path(), "ok.bin", b"hello").expect("write");
        assert_eq!(std::fs::read(p).expect("read"), b"hello");
        let leftovers = std::fs::read_dir(d.path()).expect("ls").count();
        assert_eq!(leftovers, 1, "no temp files left behind");
    }
}
