//! MDM-style motion denoiser: frame tokens (a few frames each) + one condition token (timestep
//! embedding plus projected MiniLM text embedding), a transformer encoder, and a head that
//! predicts the clean normalised motion x0.

use burn::module::Param;
use burn::nn::transformer::{TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

/// Shape of the denoiser. Kept small so it trains on a CPU.
#[derive(Config, Debug, PartialEq)]
pub struct DenoiserConfig {
    /// Features per frame (203 for `motion::features`).
    #[config(default = 203)]
    pub feature_dim: usize,
    /// Frames merged into one transformer token (attention cost falls with its square).
    #[config(default = 4)]
    pub frames_per_token: usize,
    #[config(default = 256)]
    pub d_model: usize,
    #[config(default = 4)]
    pub n_layers: usize,
    #[config(default = 4)]
    pub n_heads: usize,
    #[config(default = 1024)]
    pub d_ff: usize,
    #[config(default = 0.1)]
    pub dropout: f64,
    /// Sentence embedding size (MiniLM: 384).
    #[config(default = 384)]
    pub text_dim: usize,
    /// Longest motion in frames (10 s at 20 fps).
    #[config(default = 200)]
    pub max_frames: usize,
}

impl DenoiserConfig {
    /// Frame tokens needed for `max_frames` (rounded up).
    pub fn max_tokens(&self) -> usize {
        self.max_frames.div_ceil(self.frames_per_token)
    }

    /// Checks the numbers that would otherwise fail deep inside burn.
    pub fn check(&self) -> Result<(), String> {
        if self.feature_dim == 0 || self.frames_per_token == 0 || self.max_frames == 0 {
            return Err("feature_dim, frames_per_token and max_frames must be positive".into());
        }
        if self.n_heads == 0 || self.d_model % self.n_heads != 0 {
            return Err(format!("d_model {} is not a multiple of n_heads {}", self.d_model, self.n_heads));
        }
        if self.d_model % 2 != 0 {
            return Err(format!("d_model {} must be even (sinusoidal embeddings)", self.d_model));
        }
        Ok(())
    }

    pub fn init(&self, device: &Device) -> Denoiser {
        let g = self.frames_per_token;
        let d = self.d_model;
        let tokens = self.max_tokens() + 1;
        // Learned positions, started from the sinusoidal table so early training has order.
        let pos = Tensor::<2>::from_data(TensorData::new(sinusoid_table(tokens, d), [tokens, d]), device);
        Denoiser {
            input: LinearConfig::new(self.feature_dim * g, d).init(device),
            pos: Param::from_tensor(pos),
            time_1: LinearConfig::new(d, d).init(device),
            time_2: LinearConfig::new(d, d).init(device),
            text: LinearConfig::new(self.text_dim, d).init(device),
            encoder: TransformerEncoderConfig::new(d, self.d_ff, self.n_heads, self.n_layers)
                .with_dropout(self.dropout)
                .with_norm_first(true)
                .init(device),
            output: LinearConfig::new(d, self.feature_dim * g).init(device),
            feature_dim: self.feature_dim,
            frames_per_token: g,
            d_model: d,
            max_tokens: self.max_tokens(),
        }
    }
}

#[derive(Module, Debug)]
pub struct Denoiser {
    input: Linear,
    pos: Param<Tensor<2>>,
    time_1: Linear,
    time_2: Linear,
    text: Linear,
    encoder: TransformerEncoder,
    output: Linear,
    feature_dim: usize,
    frames_per_token: usize,
    d_model: usize,
    max_tokens: usize,
}

/// `[n, d]` sinusoidal table (Vaswani et al.), row-major.
fn sinusoid_table(n: usize, d: usize) -> Vec<f32> {
    let mut out = vec![0f32; n * d];
    for p in 0..n {
        fill_sinusoid(p as f64, &mut out[p * d..(p + 1) * d]);
    }
    out
}

fn fill_sinusoid(x: f64, row: &mut [f32]) {
    let half = row.len() / 2;
    for i in 0..half {
        let freq = (-(10000f64.ln()) * i as f64 / half as f64).exp();
        row[i] = (x * freq).sin() as f32;
        row[half + i] = (x * freq).cos() as f32;
    }
}

impl Denoiser {
    pub fn frames_per_token(&self) -> usize {
        self.frames_per_token
    }

    pub fn feature_dim(&self) -> usize {
        self.feature_dim
    }

    pub fn max_frames(&self) -> usize {
        self.max_tokens * self.frames_per_token
    }

    /// Predicts clean motion.
    /// * `x`: noisy normalised motion `[b, frames, feature_dim]`, `frames` a multiple of
    ///   `frames_per_token` and at most `max_frames()`;
    /// * `t`: diffusion step per sample (0..schedule length), embedded sinusoidally;
    /// * `text`: `[b, text_dim]` sentence embeddings; `text_keep`: `[b]` 1 = use text, 0 = drop
    ///   (classifier-free guidance's unconditional branch);
    /// * `pad`: `[b, frames / frames_per_token]`, true where a token is padding.
    pub fn forward(
        &self,
        x: Tensor<3>,
        t: &[f32],
        text: Tensor<2>,
        text_keep: Tensor<1>,
        pad: Tensor<2, Bool>,
    ) -> Tensor<3> {
        let [b, frames, f] = x.dims();
        let g = self.frames_per_token;
        let tokens = frames / g;
        let d = self.d_model;
        let device = x.device();
        let h = self.input.forward(x.reshape([b, tokens, f * g]));

        let mut temb = vec![0f32; b * d];
        for (i, &ti) in t.iter().enumerate() {
            fill_sinusoid(ti as f64, &mut temb[i * d..(i + 1) * d]);
        }
        let temb = Tensor::<2>::from_data(TensorData::new(temb, [b, d]), &device);
        let temb = self.time_2.forward(burn::tensor::activation::silu(self.time_1.forward(temb)));
        let cond = temb + self.text.forward(text) * text_keep.reshape([b, 1]);

        let seq = Tensor::cat(vec![cond.reshape([b, 1, d]), h], 1);
        let pos = self.pos.val().slice([0..tokens + 1]).reshape([1, tokens + 1, d]);
        let seq = seq + pos;
        let pad = Tensor::cat(vec![Tensor::<2, Bool>::full([b, 1], false, &device), pad], 1);
        let out = self.encoder.forward(TransformerEncoderInput::new(seq).mask_pad(pad));
        let out = out.slice([0..b, 1..tokens + 1]);
        self.output.forward(out).reshape([b, frames, f])
    }
}

/// Number of parameters (for the model card and logs).
pub fn param_count(model: &Denoiser) -> usize {
    model.num_params()
}
