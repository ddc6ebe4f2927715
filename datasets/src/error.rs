use std::path::PathBuf;

/// Everything that can go wrong while reading a dataset file.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A text format was malformed; `line` is 1-based.
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// The file parsed but its content is not what the format promises.
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

pub type Result<T> = std::result::Result<T, DatasetError>;

impl DatasetError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }
    pub(crate) fn invalid(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Invalid { path: path.into(), message: message.into() }
    }
}

/// Reads a whole file, refusing absurd sizes before allocating.
pub(crate) fn read_to_string_bounded(path: &std::path::Path, max_bytes: u64) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| DatasetError::io(path, e))?;
    if meta.len() > max_bytes {
        return Err(DatasetError::invalid(
            path,
            format!("file is {} bytes, more than the {} bytes accepted", meta.len(), max_bytes),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| DatasetError::io(path, e))?;
    String::from_utf8(bytes).map_err(|e| DatasetError::invalid(path, format!("not UTF-8 text: {e}")))
}
