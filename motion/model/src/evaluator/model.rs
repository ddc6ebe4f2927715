//! The evaluator network: a motion encoder (frame tokens → transformer → masked mean pool),
//! a text head over MiniLM sentence embeddings, both projected into one joint embedding space,
//! and an action classifier on the pooled motion features.

use burn::module::Param;
use burn::nn::transformer::{TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::gelu;

/// Shape of the evaluator. Small on purpose: it trains on a 2-core CPU in minutes.
#[derive(Config, Debug, PartialEq)]
pub struct EvaluatorConfig {
    /// Number of action classes (labels in `actions.json` beside the weights).
    pub n_actions: usize,
    /// Features per frame (203 for `motion::features`).
    #[config(default = 203)]
    pub feature_dim: usize,
    #[config(default = 4)]
    pub frames_per_token: usize,
    #[config(default = 128)]
    pub d_model: usize,
    #[config(default = 2)]
    pub n_layers: usize,
    #[config(default = 4)]
    pub n_heads: usize,
    #[config(default = 0.1)]
    pub dropout: f64,
    /// Sentence embedding size (MiniLM: 384).
    #[config(default = 384)]
    pub text_dim: usize,
    /// Size of the joint text–motion embedding.
    #[config(default = 128)]
    pub embed_dim: usize,
    /// Longest motion the encoder sees (10 s at 20 fps); longer clips are cut.
    #[config(default = 200)]
    pub max_frames: usize,
}

impl EvaluatorConfig {
    pub fn max_tokens(&self) -> usize {
        self.max_frames.div_ceil(self.frames_per_token)
    }

    pub fn check(&self) -> Result<(), String> {
        if self.n_actions < 2 {
            return Err(format!("need at least 2 action classes, got {}", self.n_actions));
        }
        if self.feature_dim == 0 || self.frames_per_token == 0 || self.max_frames == 0 || self.embed_dim == 0 {
            return Err("feature_dim, frames_per_token, max_frames and embed_dim must be positive".into());
        }
        if self.n_heads == 0 || self.d_model % self.n_heads != 0 {
            return Err(format!("d_model {} is not a multiple of n_heads {}", self.d_model, self.n_heads));
        }
        Ok(())
    }

    pub fn init(&self, device: &Device) -> Evaluator {
        let d = self.d_model;
        let tokens = self.max_tokens();
        let pos = Tensor::<2>::random([tokens, d], burn::tensor::Distribution::Normal(0.0, 0.02), device);
        Evaluator {
            input: LinearConfig::new(self.feature_dim * self.frames_per_token, d).init(device),
            pos: Param::from_tensor(pos),
            encoder: TransformerEncoderConfig::new(d, d * 4, self.n_heads, self.n_layers)
                .with_dropout(self.dropout)
                .with_norm_first(true)
                .init(device),
            motion_out: LinearConfig::new(d, self.embed_dim).init(device),
            text_hidden: LinearConfig::new(self.text_dim, d * 2).init(device),
            text_out: LinearConfig::new(d * 2, self.embed_dim).init(device),
            classifier: LinearConfig::new(d, self.n_actions).init(device),
            frames_per_token: self.frames_per_token,
        }
    }
}

#[derive(Module, Debug)]
pub struct Evaluator {
    input: Linear,
    pos: Param<Tensor<2>>,
    encoder: TransformerEncoder,
    motion_out: Linear,
    text_hidden: Linear,
    text_out: Linear,
    classifier: Linear,
    frames_per_token: usize,
}

/// Output of the motion encoder for a batch.
pub struct MotionOutput {
    /// Unit-length joint-space embeddings `[b, embed_dim]`.
    pub embedding: Tensor<2>,
    /// Action logits `[b, n_actions]`.
    pub logits: Tensor<2>,
}

/// Scales rows to unit L2 norm.
pub fn l2_normalize(x: Tensor<2>) -> Tensor<2> {
    let norm = x.clone().powf_scalar(2.0).sum_dim(1).sqrt().clamp_min(1e-8);
    x / norm
}

impl Evaluator {
    pub fn frames_per_token(&self) -> usize {
        self.frames_per_token
    }

    /// `x`: normalised features `[b, frames, feature_dim]` (frames a multiple of
    /// `frames_per_token`, at most `max_frames`); `valid`: `[b, frames / frames_per_token]`,
    /// 1.0 for tokens holding motion, 0.0 for padding.
    pub fn encode_motion(&self, x: Tensor<3>, valid: Tensor<2>) -> MotionOutput {
        let [b, frames, f] = x.dims();
        let g = self.frames_per_token;
        let tokens = frames / g;
        let h = self.input.forward(x.reshape([b, tokens, f * g]));
        let d = h.dims()[2];
        let h = h + self.pos.val().slice([0..tokens]).reshape([1, tokens, d]);
        let pad = valid.clone().lower_elem(0.5);
        let h = self.encoder.forward(TransformerEncoderInput::new(h).mask_pad(pad));
        let m = valid.reshape([b, tokens, 1]);
        let pooled = (h * m.clone()).sum_dim(1).reshape([b, d]) / m.sum_dim(1).reshape([b, 1]).clamp_min(1.0);
        MotionOutput {
            embedding: l2_normalize(self.motion_out.forward(pooled.clone())),
            logits: self.classifier.forward(pooled),
        }
    }

    /// `text`: MiniLM sentence embeddings `[b, text_dim]` → unit-length `[b, embed_dim]`.
    pub fn encode_text(&self, text: Tensor<2>) -> Tensor<2> {
        l2_normalize(self.text_out.forward(gelu(self.text_hidden.forward(text))))
    }
}
