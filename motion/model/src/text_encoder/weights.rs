//! Reading `config.json` and `model.safetensors` into the burn modules of `bert.rs`.
//!
//! Weights are assigned by hand rather than through burn's record/import machinery: the
//! mapping is small (16 tensors per layer) and doing it here lets every error name the file
//! and the tensor that was wrong.

use std::path::{Path, PathBuf};

use burn::module::Param;
use burn::nn::{Embedding, LayerNorm, LayerNormConfig, Linear};
use burn::prelude::*;
use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;

use super::TextEncoderError;
use super::bert::{BertConfig, BertEmbeddings, BertLayer, BertModel};

#[derive(Deserialize)]
struct RawConfig {
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    type_vocab_size: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f64,
    #[serde(default = "default_act")]
    hidden_act: String,
    #[serde(default = "default_pos")]
    position_embedding_type: String,
}
fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}
fn default_act() -> String {
    "gelu".into()
}
fn default_pos() -> String {
    "absolute".into()
}

pub(crate) fn read_config(path: &Path) -> Result<BertConfig, TextEncoderError> {
    let bad = |message: String| TextEncoderError::Config { path: path.to_path_buf(), message };
    let text = std::fs::read_to_string(path)
        .map_err(|source| TextEncoderError::Io { path: path.to_path_buf(), source })?;
    let raw: RawConfig = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    // Only the variant this module implements: exact-erf GELU, absolute positions.
    if raw.hidden_act != "gelu" {
        return Err(bad(format!("hidden_act {:?} is not supported (only \"gelu\")", raw.hidden_act)));
    }
    if raw.position_embedding_type != "absolute" {
        return Err(bad(format!(
            "position_embedding_type {:?} is not supported (only \"absolute\")",
            raw.position_embedding_type
        )));
    }
    if raw.hidden_size != super::EMBEDDING_DIM {
        return Err(bad(format!(
            "hidden_size is {}, but this encoder produces {}-d embeddings (all-MiniLM-L6-v2)",
            raw.hidden_size,
            super::EMBEDDING_DIM
        )));
    }
    if raw.num_attention_heads == 0 || !raw.hidden_size.is_multiple_of(raw.num_attention_heads) {
        return Err(bad(format!(
            "hidden_size {} is not divisible by num_attention_heads {}",
            raw.hidden_size, raw.num_attention_heads
        )));
    }
    if raw.max_position_embeddings < super::MAX_TOKENS || raw.type_vocab_size == 0 {
        return Err(bad(format!(
            "max_position_embeddings {} < {} tokens or type_vocab_size 0",
            raw.max_position_embeddings,
            super::MAX_TOKENS
        )));
    }
    Ok(BertConfig {
        vocab_size: raw.vocab_size,
        hidden_size: raw.hidden_size,
        num_layers: raw.num_hidden_layers,
        num_heads: raw.num_attention_heads,
        intermediate_size: raw.intermediate_size,
        max_position_embeddings: raw.max_position_embeddings,
        type_vocab_size: raw.type_vocab_size,
        layer_norm_eps: raw.layer_norm_eps,
    })
}

/// Typed access to the tensors of one safetensors file, with errors that name file and tensor.
struct Weights<'a> {
    path: &'a Path,
    st: SafeTensors<'a>,
    /// "" for a bare BertModel export (the sentence-transformers layout), "bert." when the file
    /// came from a BertFor* head model.
    prefix: &'static str,
    device: &'a Device,
}

impl Weights<'_> {
    /// Reads tensor `name` as F32 with exactly `shape` and returns it on the device.
    fn get<const D: usize>(&self, name: &str, shape: [usize; D]) -> Result<Tensor<D>, TextEncoderError> {
        let values = self.values(name, &shape)?;
        Ok(Tensor::from_data(TensorData::new(values, shape), self.device))
    }

    /// Reads tensor `name` as F32 with exactly `shape`, row-major host values.
    fn values(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, TextEncoderError> {
        let full = format!("{}{name}", self.prefix);
        let path: PathBuf = self.path.to_path_buf();
        let view = self
            .st
            .tensor(&full)
            .map_err(|_| TextEncoderError::MissingTensor { path: path.clone(), tensor: full.clone() })?;
        if view.dtype() != Dtype::F32 {
            return Err(TextEncoderError::WrongDtype {
                path,
                tensor: full,
                expected: "F32",
                found: view.dtype().to_string(),
            });
        }
        if view.shape() != shape {
            return Err(TextEncoderError::WrongShape {
                path,
                tensor: full,
                expected: shape.to_vec(),
                found: view.shape().to_vec(),
            });
        }
        // safetensors data is little-endian and may be unaligned: decode bytewise.
        Ok(view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    /// torch `nn.Linear` stores weight as [out, in]; burn's `Linear` wants [in, out].
    fn linear(&self, name: &str, d_in: usize, d_out: usize) -> Result<Linear, TextEncoderError> {
        // Transposed on the host so the device tensor is contiguous [in, out]: a transposed view
        // would make every matmul work on a strided weight.
        let w = self.values(&format!("{name}.weight"), &[d_out, d_in])?;
        let mut wt = vec![0f32; w.len()];
        for (o, row) in w.chunks_exact(d_in).enumerate() {
            for (i, &x) in row.iter().enumerate() {
                wt[i * d_out + o] = x;
            }
        }
        let w = Tensor::from_data(TensorData::new(wt, [d_in, d_out]), self.device);
        let b = self.get(&format!("{name}.bias"), [d_out])?;
        Ok(Linear { weight: Param::from_tensor(w), bias: Some(Param::from_tensor(b)) })
    }

    fn layer_norm(&self, name: &str, d: usize, eps: f64) -> Result<LayerNorm, TextEncoderError> {
        // `epsilon` is private in burn's LayerNorm: build through the config, then swap params.
        let mut ln = LayerNormConfig::new(d).with_epsilon(eps).init(self.device);
        ln.gamma = Param::from_tensor(self.get(&format!("{name}.weight"), [d])?);
        ln.beta = Some(Param::from_tensor(self.get(&format!("{name}.bias"), [d])?));
        Ok(ln)
    }

    fn embedding(&self, name: &str, n: usize, d: usize) -> Result<Embedding, TextEncoderError> {
        Ok(Embedding { weight: Param::from_tensor(self.get(&format!("{name}.weight"), [n, d])?) })
    }
}

pub(crate) fn load_bert(
    path: &Path,
    cfg: &BertConfig,
    device: &Device,
) -> Result<BertModel, TextEncoderError> {
    let bytes =
        std::fs::read(path).map_err(|source| TextEncoderError::Io { path: path.to_path_buf(), source })?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| TextEncoderError::SafeTensors { path: path.to_path_buf(), message: e.to_string() })?;
    let prefix = if st.tensor("embeddings.word_embeddings.weight").is_err()
        && st.tensor("bert.embeddings.word_embeddings.weight").is_ok()
    {
        "bert."
    } else {
        ""
    };
    let w = Weights { path, st, prefix, device };
    let (h, eps) = (cfg.hidden_size, cfg.layer_norm_eps);
    // `embeddings.position_ids` (I64) is a torch buffer, not a weight: positions are 0..seq.
    let embeddings = BertEmbeddings {
        word: w.embedding("embeddings.word_embeddings", cfg.vocab_size, h)?,
        position: w.embedding("embeddings.position_embeddings", cfg.max_position_embeddings, h)?,
        token_type: w.embedding("embeddings.token_type_embeddings", cfg.type_vocab_size, h)?,
        layer_norm: w.layer_norm("embeddings.LayerNorm", h, eps)?,
    };
    let mut layers = Vec::with_capacity(cfg.num_layers);
    for i in 0..cfg.num_layers {
        let p = format!("encoder.layer.{i}");
        layers.push(BertLayer {
            query: w.linear(&format!("{p}.attention.self.query"), h, h)?,
            key: w.linear(&format!("{p}.attention.self.key"), h, h)?,
            value: w.linear(&format!("{p}.attention.self.value"), h, h)?,
            attn_out: w.linear(&format!("{p}.attention.output.dense"), h, h)?,
            attn_norm: w.layer_norm(&format!("{p}.attention.output.LayerNorm"), h, eps)?,
            intermediate: w.linear(&format!("{p}.intermediate.dense"), h, cfg.intermediate_size)?,
            output: w.linear(&format!("{p}.output.dense"), cfg.intermediate_size, h)?,
            out_norm: w.layer_norm(&format!("{p}.output.LayerNorm"), h, eps)?,
            num_heads: cfg.num_heads,
        });
    }
    // A frozen feature extractor: never track gradients through it, even on an autodiff device.
    Ok(BertModel { embeddings, layers }.no_grad())
}
