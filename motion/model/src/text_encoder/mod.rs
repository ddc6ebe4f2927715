//! Sentence encoder: all-MiniLM-L6-v2 (Apache-2.0) in burn.
//!
//! Pipeline, matching sentence-transformers' `SentenceTransformer("all-MiniLM-L6-v2")`:
//! WordPiece tokenisation (`tokenizer.json`, lower-cased, `[CLS] … [SEP]`, at most
//! [`MAX_TOKENS`] tokens) → BERT (6 layers, 384 hidden, 12 heads) → mean over the real tokens →
//! L2 normalisation. The files come from `scripts/fetch-minilm.sh` or any directory holding the
//! same files (e.g. a Hugging Face snapshot of `sentence-transformers/all-MiniLM-L6-v2`).
//!
//! ```no_run
//! use burn::prelude::Device;
//! use motion_model::text_encoder::{TextEncoder, locate_model_dir};
//! # fn main() -> Result<(), motion_model::TextEncoderError> {
//! let dir = locate_model_dir(None)?;
//! let enc = TextEncoder::load(&dir, &Device::flex())?;
//! let e = enc.encode(&["a person walks forward", "someone strolls ahead"])?;
//! let cosine: f32 = e[0].iter().zip(&e[1]).map(|(x, y)| x * y).sum(); // unit vectors
//! # let _ = cosine; Ok(()) }
//! ```

mod bert;
mod weights;

use std::path::{Path, PathBuf};

use burn::prelude::*;
use tokenizers::{Encoding, Tokenizer};

use bert::{BertModel, mean_pool_normalize};

/// Size of the sentence embedding.
pub const EMBEDDING_DIM: usize = 384;

/// Longest token sequence fed to the model, counting `[CLS]` and `[SEP]`. Longer texts are
/// truncated to their first `MAX_TOKENS - 2` word pieces, exactly like sentence-transformers
/// (`max_seq_length` 256 in `sentence_bert_config.json`); see [`TextEncoder::token_count`].
pub const MAX_TOKENS: usize = 256;

/// Environment variable naming a directory with the model files (checked after an explicit path).
pub const MINILM_DIR_ENV: &str = "MOTION_MINILM_DIR";

/// Files a model directory must hold.
pub const REQUIRED_FILES: [&str; 3] = ["model.safetensors", "tokenizer.json", "config.json"];

/// Most texts per forward pass inside [`TextEncoder::encode`]; bounds memory for long lists.
const CHUNK: usize = 64;
/// Most padded token positions per forward pass inside [`TextEncoder::encode`] (64 captions of
/// 32 tokens, or 8 texts at the 256-token limit).
const CHUNK_TOKENS: usize = 64 * 32;

#[derive(Debug, thiserror::Error)]
pub enum TextEncoderError {
    #[error(
        "all-MiniLM-L6-v2 model files not found (looked in: {searched}). Run `scripts/fetch-minilm.sh` \
         to download them into the default cache, or point --minilm-dir / {MINILM_DIR_ENV} at a \
         directory holding model.safetensors, tokenizer.json and config.json"
    )]
    ModelDirNotFound { searched: String },
    #[error("model directory {dir} is missing {file} (run `scripts/fetch-minilm.sh` or use a complete snapshot)")]
    MissingFile { dir: PathBuf, file: &'static str },
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("bad model config {path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("cannot parse safetensors file {path}: {message}")]
    SafeTensors { path: PathBuf, message: String },
    #[error("{path}: tensor `{tensor}` is missing")]
    MissingTensor { path: PathBuf, tensor: String },
    #[error("{path}: tensor `{tensor}` has shape {found:?}, expected {expected:?}")]
    WrongShape { path: PathBuf, tensor: String, expected: Vec<usize>, found: Vec<usize> },
    #[error("{path}: tensor `{tensor}` has dtype {found}, expected {expected}")]
    WrongDtype { path: PathBuf, tensor: String, expected: &'static str, found: String },
    #[error("cannot load tokenizer {path}: {message}")]
    TokenizerLoad { path: PathBuf, message: String },
    #[error("tokenisation failed: {0}")]
    Tokenize(String),
    #[error("token id {id} is outside the model's vocabulary of {vocab} (tokenizer.json and model.safetensors do not match)")]
    TokenOutOfVocab { id: u32, vocab: usize },
    #[error("reading the embeddings back from the device failed: {0}")]
    Device(String),
}

/// Default download location used by `scripts/fetch-minilm.sh`:
/// `${XDG_CACHE_HOME:-$HOME/.cache}/motion-toolkit/all-MiniLM-L6-v2`.
pub fn default_model_dir() -> Option<PathBuf> {
    let cache = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".cache"),
    };
    Some(cache.join("motion-toolkit").join("all-MiniLM-L6-v2"))
}

/// Finds the model directory: `explicit` (a CLI flag) if given, else `$MOTION_MINILM_DIR`, else
/// [`default_model_dir`]. The first of those that is *set* decides: an explicit path or env var
/// that lacks the files is an error rather than silently falling back to another copy.
pub fn locate_model_dir(explicit: Option<&Path>) -> Result<PathBuf, TextEncoderError> {
    let env = std::env::var_os(MINILM_DIR_ENV).filter(|v| !v.is_empty()).map(PathBuf::from);
    let (dir, origin) = match (explicit, env) {
        (Some(p), _) => (p.to_path_buf(), "explicit path"),
        (None, Some(p)) => (p, MINILM_DIR_ENV),
        (None, None) => match default_model_dir() {
            Some(p) => (p, "default cache"),
            None => {
                return Err(TextEncoderError::ModelDirNotFound {
                    searched: format!("no explicit path, {MINILM_DIR_ENV} unset, HOME unset"),
                });
            }
        },
    };
    if !dir.is_dir() {
        return Err(TextEncoderError::ModelDirNotFound {
            searched: format!("{} ({origin}) does not exist", dir.display()),
        });
    }
    check_files(&dir)?;
    Ok(dir)
}

fn check_files(dir: &Path) -> Result<(), TextEncoderError> {
    for file in REQUIRED_FILES {
        if !dir.join(file).is_file() {
            return Err(TextEncoderError::MissingFile { dir: dir.to_path_buf(), file });
        }
    }
    Ok(())
}

/// all-MiniLM-L6-v2 sentence encoder. Cheap to share by reference; `encode` takes `&self`.
#[derive(Debug)]
pub struct TextEncoder {
    model: BertModel,
    tokenizer: Tokenizer,
    vocab_size: usize,
    device: Device,
}

/// Token ids and mask of a batch, padded to its longest member.
struct Batch {
    ids: Vec<i64>,
    mask: Vec<f32>,
    len: usize,
}

impl TextEncoder {
    /// Loads `config.json`, `model.safetensors` and `tokenizer.json` from `dir` onto `device`.
    pub fn load(dir: &Path, device: &Device) -> Result<Self, TextEncoderError> {
        check_files(dir)?;
        let cfg = weights::read_config(&dir.join("config.json"))?;
        let model = weights::load_bert(&dir.join("model.safetensors"), &cfg, device)?;
        let tok_path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tok_path).map_err(|e| {
            TextEncoderError::TokenizerLoad { path: tok_path.clone(), message: e.to_string() }
        })?;
        // The file bakes in padding to 128 and truncation at 128; we pad per batch ourselves
        // (with an attention mask) and truncate where sentence-transformers does.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams {
                max_length: MAX_TOKENS,
                strategy: tokenizers::TruncationStrategy::LongestFirst,
                stride: 0,
                direction: tokenizers::TruncationDirection::Right,
            }))
            .map_err(|e| TextEncoderError::TokenizerLoad { path: tok_path, message: e.to_string() })?;
        Ok(Self { model, tokenizer, vocab_size: cfg.vocab_size, device: device.clone() })
    }

    /// The device the weights live on (and `encode_tensor` returns on).
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Number of tokens `text` has *before* truncation, `[CLS]`/`[SEP]` included. Anything above
    /// [`MAX_TOKENS`] is cut off by `encode`; callers can use this to warn.
    pub fn token_count(&self, text: &str) -> Result<usize, TextEncoderError> {
        let mut tok = self.tokenizer.clone();
        tok.with_truncation(None).map_err(|e| TextEncoderError::Tokenize(e.to_string()))?;
        let enc = tok.encode(text, true).map_err(|e| TextEncoderError::Tokenize(e.to_string()))?;
        Ok(enc.len())
    }

    fn tokenize(&self, texts: &[&str]) -> Result<Vec<Encoding>, TextEncoderError> {
        self.tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| TextEncoderError::Tokenize(e.to_string()))
    }

    /// Pads `encs` to their longest member (id 0 = `[PAD]`, mask 0).
    fn pad(&self, encs: &[&Encoding]) -> Result<Batch, TextEncoderError> {
        let len = encs.iter().map(|e| e.len()).max().unwrap_or(0).max(1);
        let mut ids = vec![0i64; encs.len() * len];
        let mut mask = vec![0f32; encs.len() * len];
        for (row, enc) in encs.iter().enumerate() {
            for (col, (&id, &m)) in enc.get_ids().iter().zip(enc.get_attention_mask()).enumerate() {
                if id as usize >= self.vocab_size {
                    return Err(TextEncoderError::TokenOutOfVocab { id, vocab: self.vocab_size });
                }
                ids[row * len + col] = i64::from(id);
                mask[row * len + col] = m as f32;
            }
        }
        Ok(Batch { ids, mask, len })
    }

    fn forward(&self, batch: Batch) -> Tensor<2> {
        let Batch { ids, mask, len } = batch;
        let b = mask.len() / len;
        let ids = Tensor::<2, Int>::from_data(TensorData::new(ids, [b, len]), &self.device);
        let mask = Tensor::<2>::from_data(TensorData::new(mask, [b, len]), &self.device);
        let hidden = self.model.forward(ids, mask.clone());
        mean_pool_normalize(hidden, mask).detach()
    }

    /// Sentence embeddings as a `[texts.len(), 384]` tensor on the encoder's device, one forward
    /// pass for the whole slice, in input order (no chunking: the caller picks the batch).
    /// Gradients are never tracked. An empty slice gives a `[0, 384]` tensor.
    pub fn encode_tensor(&self, texts: &[&str]) -> Result<Tensor<2>, TextEncoderError> {
        if texts.is_empty() {
            return Ok(Tensor::empty([0, EMBEDDING_DIM], &self.device));
        }
        let encs = self.tokenize(texts)?;
        let refs: Vec<&Encoding> = encs.iter().collect();
        Ok(self.forward(self.pad(&refs)?))
    }

    /// Unit-length sentence embeddings, one per text, in input order. Texts are sorted by token
    /// length and run in chunks (at most 64 texts / 2048 padded positions), each padded to its
    /// own longest member, so one long text does not make a whole list pay for 256 positions.
    /// Results do not depend on batching.
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<[f32; EMBEDDING_DIM]>, TextEncoderError> {
        let encs = self.tokenize(texts)?;
        let lens: Vec<usize> = encs.iter().map(Encoding::len).collect();
        let chunks = plan_chunks(&lens, CHUNK, CHUNK_TOKENS);
        let mut out = vec![[0f32; EMBEDDING_DIM]; texts.len()];
        for chunk in &chunks {
            let refs: Vec<&Encoding> = chunk.iter().map(|&i| &encs[i]).collect();
            let data = self
                .forward(self.pad(&refs)?)
                .try_into_data()
                .map_err(|e| TextEncoderError::Device(format!("{e:?}")))?;
            let flat: Vec<f32> =
                data.try_into_vec().map_err(|e| TextEncoderError::Device(format!("{e:?}")))?;
            for (&i, row) in chunk.iter().zip(flat.chunks_exact(EMBEDDING_DIM)) {
                out[i].copy_from_slice(row);
            }
        }
        Ok(out)
    }
}

/// Groups text indices for `encode`: sorted by token length, then greedily cut into chunks of at
/// most `max_texts` texts and `max_positions` padded positions (count × longest). A text longer
/// than `max_positions` still gets a chunk of its own. Every index appears exactly once.
fn plan_chunks(lens: &[usize], max_texts: usize, max_positions: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lens.len()).collect();
    order.sort_by_key(|&i| lens[i]);
    let mut chunks: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for i in order {
        // Sorted ascending, so the newcomer is the longest and sets the padding.
        if !current.is_empty()
            && (current.len() >= max_texts || (current.len() + 1) * lens[i] > max_positions)
        {
            chunks.push(std::mem::take(&mut current));
        }
        current.push(i);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::plan_chunks;

    #[test]
    fn chunks_are_sorted_bounded_and_cover_every_text() {
        // The parity sentences' token counts (after truncation to 256).
        let lens = [10, 9, 13, 22, 20, 13, 2, 3, 21, 14, 6, 144, 256];
        let chunks = plan_chunks(&lens, 64, 2048);
        // 12 texts padded to 144 = 1728 positions fit; the 256-token one would make 3328.
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[1], vec![12]);
        let mut all: Vec<usize> = chunks.concat();
        all.sort();
        assert_eq!(all, (0..lens.len()).collect::<Vec<_>>());
        for c in &chunks {
            let longest = c.iter().map(|&i| lens[i]).max().unwrap_or(0);
            assert!(c.len() <= 64 && c.len() * longest <= 2048);
            assert!(c.windows(2).all(|w| lens[w[0]] <= lens[w[1]]));
        }
        // Count limit, a single oversize text, and nothing at all.
        assert_eq!(plan_chunks(&[5; 130], 64, 1 << 20).iter().map(Vec::len).collect::<Vec<_>>(), [64, 64, 2]);
        assert_eq!(plan_chunks(&[300], 64, 256), vec![vec![0]]);
        assert!(plan_chunks(&[], 64, 2048).is_empty());
    }
}
