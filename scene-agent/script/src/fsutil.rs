//! Safe output paths: confined to the folder the user gave (atomic writes: `motion::write_atomic`).

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("{path:?} is outside the output folder {base:?}: use a relative path without '..'")]
    Outside { path: String, base: PathBuf },
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
}
