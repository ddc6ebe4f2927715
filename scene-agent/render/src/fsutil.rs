//! File writing that never leaves a half-written file and never escapes the output folder.

use crate::RenderError;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dest = child(dir, name)?;
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let io = |e: std::io::Error, p: &Path| RenderError::Io { path: p.to_path_buf(), source: e };
    let result = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(|e| io(e, &tmp))?;
        f.write_all(bytes).map_err(|e| io(e, &tmp))?;
        f.flush().map_err(|e| io(e, &tmp))?;
        drop(f);
        std::fs::rename(&tmp, &dest).map_err(|e| io(e, &dest))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|_| dest)
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
