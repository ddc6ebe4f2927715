//! Safe output: paths confined to an output folder, and whole-file writes (temp file + rename).

use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("{path:?} is outside the output folder {base:?}: use a relative path without '..'")]
    Outside { path: String, base: PathBuf },
    #[error("cannot write {path:?}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// Joins `rel` onto `base`, refusing absolute paths, `..`, drive prefixes and symlinks in
/// existing parents that lead out of `base`.
pub fn join_inside(base: &Path, rel: &str) -> Result<PathBuf, PathError> {
    let outside = || PathError::Outside { path: rel.to_string(), base: base.to_path_buf() };
    if !crate::script::relative_path_is_contained(rel) {
        return Err(outside());
    }
    let joined = base.join(rel);
    // A symlink inside base could still point elsewhere: compare the deepest existing ancestor.
    if let Ok(base_real) = base.canonicalize() {
        let mut probe = joined.as_path();
        loop {
            if let Ok(real) = probe.canonicalize() {
                if !real.starts_with(&base_real) {
                    return Err(outside());
                }
                break;
            }
            match probe.parent() {
                Some(p) => probe = p,
                None => break,
            }
        }
    }
    Ok(joined)
}

/// Writes `bytes` to `path` atomically: a temp file in the same folder, synced, then renamed,
/// so readers never see a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PathError> {
    let io = |source| PathError::Io { path: path.to_path_buf(), source };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_leaving_the_base() {
        let base = std::env::temp_dir();
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "C:\\x", "a\\..\\b", "c:/x"] {
            assert!(join_inside(&base, bad).is_err(), "{bad}");
        }
        assert!(join_inside(&base, "frames/a.png").is_ok());
        assert!(join_inside(&base, "./frames").is_ok());
    }

    #[test]
    fn refuses_symlink_escape() {
        let dir = std::env::temp_dir().join(format!("scene-script-symlink-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/", dir.join("escape")).expect("symlink");
            assert!(join_inside(&dir, "escape/tmp/x").is_err());
        }
        assert!(join_inside(&dir, "fine/x").is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = std::env::temp_dir().join(format!("scene-script-atomic-{}", std::process::id()));
        let p = dir.join("sub/a.json");
        write_atomic(&p, b"first").expect("write");
        write_atomic(&p, b"second").expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"second");
        let leftovers: Vec<_> = std::fs::read_dir(dir.join("sub")).expect("ls").filter_map(Result::ok).filter(|e| e.file_name().to_string_lossy().contains(".tmp")).collect();
        assert!(leftovers.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
