//! The BERT encoder of all-MiniLM-L6-v2 as burn modules (inference only: no dropout).

use burn::nn::{Embedding, LayerNorm, Linear};
use burn::prelude::*;
use burn::tensor::activation::{gelu, softmax};

/// Architecture numbers read from `config.json` (validated in `weights.rs`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
}

#[derive(Module, Debug)]
pub(crate) struct BertEmbeddings {
    pub word: Embedding,
    pub position: Embedding,
    pub token_type: Embedding,
    pub layer_norm: LayerNorm,
}

impl BertEmbeddings {
    /// `ids`: [batch, seq]. All token types are 0 (single-sentence input).
    fn forward(&self, ids: Tensor<2, Int>) -> Tensor<3> {
        let [_, seq] = ids.dims();
        let words = self.word.forward(ids);
        // Positions 0..seq and token type 0 are the same for every row: slice the tables
        // and let the addition broadcast over the batch instead of gathering per token.
        let pos = self.position.weight.val().narrow(0, 0, seq).unsqueeze_dim::<3>(0);
        let typ = self.token_type.weight.val().narrow(0, 0, 1).unsqueeze_dim::<3>(0);
        self.layer_norm.forward(words + pos + typ)
    }
}

#[derive(Module, Debug)]
pub(crate) struct BertLayer {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    pub attn_out: Linear,
    pub attn_norm: LayerNorm,
    pub intermediate: Linear,
    pub output: Linear,
    pub out_norm: LayerNorm,
    pub num_heads: usize,
}

impl BertLayer {
    /// `x`: [batch, seq, hidden]; `mask_bias`: [batch, 1, 1, seq], 0 for real tokens and a large
    /// negative number for padding, so padded keys get zero attention weight.
    fn forward(&self, x: Tensor<3>, mask_bias: Tensor<4>) -> Tensor<3> {
        let [b, l, h] = x.dims();
        let nh = self.num_heads;
        let dh = h / nh;
        let heads = |t: Tensor<3>| t.reshape([b, l, nh, dh]).swap_dims(1, 2); // [b, nh, l, dh]
        let q = heads(self.query.forward(x.clone()));
        let k = heads(self.key.forward(x.clone()));
        let v = heads(self.value.forward(x.clone()));
        let scores = q.matmul(k.swap_dims(2, 3)) / (dh as f64).sqrt() + mask_bias;
        let ctx = softmax(scores, 3).matmul(v).swap_dims(1, 2).reshape([b, l, h]);
        let x = self.attn_norm.forward(self.attn_out.forward(ctx) + x);
        let ff = self.output.forward(gelu(self.intermediate.forward(x.clone())));
        self.out_norm.forward(ff + x)
    }
}

#[derive(Module, Debug)]
pub(crate) struct BertModel {
    pub embeddings: BertEmbeddings,
    pub layers: Vec<BertLayer>,
}

/// Additive attention bias for padded keys. Not -inf: a finite value keeps softmax free of
/// NaN on every backend, and exp(-1e9) is exactly 0 in f32 anyway.
const MASK_NEG: f32 = -1.0e9;

impl BertModel {
    /// Token embeddings of the last layer: [batch, seq, hidden]. `mask`: [batch, seq], 1.0 for
    /// real tokens and 0.0 for padding.
    pub fn forward(&self, ids: Tensor<2, Int>, mask: Tensor<2>) -> Tensor<3> {
        let [b, l] = mask.dims();
        let mask_bias = (mask.neg() + 1.0).mul_scalar(MASK_NEG).reshape([b, 1, 1, l]);
        let mut x = self.embeddings.forward(ids);
        for layer in &self.layers {
            x = layer.forward(x, mask_bias.clone());
        }
        x
    }
}

/// sentence-transformers' Pooling(mean) + Normalize: average the token embeddings of the real
/// tokens, then scale to unit L2 norm. `hidden`: [b, l, h], `mask`: [b, l] -> [b, h].
pub(crate) fn mean_pool_normalize(hidden: Tensor<3>, mask: Tensor<2>) -> Tensor<2> {
    let [b, l, h] = hidden.dims();
    let m = mask.reshape([b, l, 1]);
    let summed = (hidden * m.clone()).sum_dim(1).reshape([b, h]);
    // Same epsilons as sentence-transformers (1e-9) and torch's F.normalize (1e-12).
    let count = m.sum_dim(1).reshape([b, 1]).clamp_min(1e-9);
    let mean = summed / count;
    let norm = mean.clone().powf_scalar(2.0).sum_dim(1).sqrt().clamp_min(1e-12);
    mean / norm
}
