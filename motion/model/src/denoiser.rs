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
    /// Overlapping tokens: a token still spans `frames_per_token` frames, but one starts every
    /// `frames_per_token / 2` frames, and the frames two tokens predict are blended with a
    /// triangular window. With one token grid every frame on a token boundary is a seam where
    /// the legs can jump to another stride phase (model card, "Token seams"); here no frame sits
    /// on a boundary of both grids. Twice the tokens, the same weights (positions half-way
    /// between two grid tokens use the mean of their learned positions), so a model trained
    /// without it can be fine-tuned with it. None = false.
    pub overlapping_tokens: Option<bool>,
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
        if self.overlapping_tokens == Some(true) && self.frames_per_token % 2 != 0 {
            return Err(format!("overlapping tokens need an even frames_per_token, not {}", self.frames_per_token));
        }
        if self.d_model % 2 != 0 {
            return Err(format!("d_model {} must be even (sinusoidal embeddings)", self.d_model));
        }
        Ok(())
    }

    /// True when `other`'s weights fit this shape (everything but how tokens are laid out).
    pub fn same_weights_as(&self, other: &DenoiserConfig) -> bool {
        let plain = |c: &DenoiserConfig| c.clone().with_overlapping_tokens(None);
        plain(self) == plain(other)
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
            overlapping_tokens: self.overlapping_tokens.unwrap_or(false),
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
    overlapping_tokens: bool,
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
        if self.overlapping_tokens && tokens >= 2 {
            return self.forward_overlapping(x, t, text, text_keep, pad);
        }
        let h = self.input.forward(x.reshape([b, tokens, f * g]));
        let pos = self.pos.val().slice([0..tokens + 1]);
        let out = self.encode(h, pos, t, text, text_keep, pad);
        self.output.forward(out).reshape([b, frames, f])
    }

    /// `forward` with overlapping tokens (see `DenoiserConfig::overlapping_tokens`): the grid
    /// tokens (frames 0..g, g..2g, …) interleaved with tokens shifted by g/2 (g/2..3g/2, …).
    fn forward_overlapping(&self, x: Tensor<3>, t: &[f32], text: Tensor<2>, text_keep: Tensor<1>, pad: Tensor<2, Bool>) -> Tensor<3> {
        let [b, frames, f] = x.dims();
        let (g, half) = (self.frames_per_token, self.frames_per_token / 2);
        let n = frames / g;
        let device = x.device();
        let grid = x.clone().reshape([b, n, f * g]);
        let shifted = x.slice([0..b, half..frames - half]).reshape([b, n - 1, f * g]);
        let h = self.input.forward(interleave(grid, shifted));

        let pos = self.pos.val();
        let grid_pos = pos.clone().slice([1..n + 1]);
        let mid_pos = (pos.clone().slice([1..n]) + pos.slice([2..n + 1])) * 0.5;
        let frame_pos = interleave(grid_pos.unsqueeze::<3>(), mid_pos.unsqueeze::<3>()).squeeze::<2>();
        let pos = Tensor::cat(vec![self.pos.val().slice([0..1]), frame_pos], 0);

        // A shifted token is padding when either grid token it straddles is.
        let grid_pad = pad.float();
        let shifted_pad = (grid_pad.clone().slice([0..b, 0..n - 1]) + grid_pad.clone().slice([0..b, 1..n])).clamp_max(1.0);
        let all_pad = interleave(grid_pad.unsqueeze_dim::<3>(2), shifted_pad.clone().unsqueeze_dim::<3>(2)).squeeze_dim::<2>(2).greater_elem(0.5);

        let out = self.output.forward(self.encode(h, pos, t, text, text_keep, all_pad)); // [b, 2n-1, g·f]
        let [grid_out, shifted_out] = deinterleave(out, n);
        let grid_out = grid_out.reshape([b, frames, f]);
        let shifted_out = shifted_out.reshape([b, frames - g, f]);

        // Triangular weights within a token (g = 4: 1, 3, 3, 1) so each token's edges count
        // least; a frame's two weights always sum to the same, except at the clip's ends.
        let tri: Vec<f32> = (0..g).map(|i| (i.min(g - 1 - i) as f32) * 2.0 + 1.0).collect();
        let grid_w: Vec<f32> = (0..frames).map(|i| tri[i % g]).collect();
        let grid_w = Tensor::<1>::from_data(TensorData::new(grid_w, [frames]), &device).reshape([1, frames, 1]);
        let tri_t = Tensor::<1>::from_data(TensorData::new(tri, [g]), &device).reshape([1, 1, g]);
        let keep = (shifted_pad.neg() + 1.0).reshape([b, n - 1, 1]);
        let shifted_w = (keep * tri_t).reshape([b, frames - g, 1]);
        let edge = Tensor::<3>::zeros([b, half, 1], &device);
        let shifted_w = Tensor::cat(vec![edge.clone(), shifted_w, edge], 1);
        let edge = Tensor::<3>::zeros([b, half, f], &device);
        let shifted_out = Tensor::cat(vec![edge.clone(), shifted_out, edge], 1);
        let total = shifted_w.clone() + grid_w.clone();
        (grid_out * grid_w + shifted_out * shifted_w) / total
    }

    /// Condition token + frame tokens through the transformer; `pos` `[tokens + 1, d]` holds the
    /// condition token's position row, then the frame tokens'. Returns the frame tokens'
    /// outputs `[b, tokens, d]`.
    fn encode(&self, h: Tensor<3>, pos: Tensor<2>, t: &[f32], text: Tensor<2>, text_keep: Tensor<1>, pad: Tensor<2, Bool>) -> Tensor<3> {
        let [b, tokens, d] = h.dims();
        let device = h.device();
        let mut temb = vec![0f32; b * d];
        for (i, &ti) in t.iter().enumerate() {
            fill_sinusoid(ti as f64, &mut temb[i * d..(i + 1) * d]);
        }
        let temb = Tensor::<2>::from_data(TensorData::new(temb, [b, d]), &device);
        let temb = self.time_2.forward(burn::tensor::activation::silu(self.time_1.forward(temb)));
        let cond = temb + self.text.forward(text) * text_keep.reshape([b, 1]);

        let seq = Tensor::cat(vec![cond.reshape([b, 1, d]), h], 1);
        let pos = pos.reshape([1, tokens + 1, d]);
        let seq = seq + pos;
        let pad = Tensor::cat(vec![Tensor::<2, Bool>::full([b, 1], false, &device), pad], 1);
        let out = self.encoder.forward(TransformerEncoderInput::new(seq).mask_pad(pad));
        out.slice([0..b, 1..tokens + 1])
    }
}

/// `[b, n, c]` and `[b, n-1, c]` → `[b, 2n-1, c]` as a0, b0, a1, b1, …, a(n-1).
fn interleave(a: Tensor<3>, between: Tensor<3>) -> Tensor<3> {
    let [b, n, c] = a.dims();
    let between = Tensor::cat(vec![between, Tensor::zeros([b, 1, c], &a.device())], 1);
    Tensor::stack::<4>(vec![a, between], 2).reshape([b, 2 * n, c]).slice([0..b, 0..2 * n - 1])
}

/// Inverse of `interleave`: `[b, 2n-1, c]` → (`[b, n, c]`, `[b, n-1, c]`).
fn deinterleave(x: Tensor<3>, n: usize) -> [Tensor<3>; 2] {
    let [b, _, c] = x.dims();
    let zeros = Tensor::zeros([b, 1, c], &x.device());
    let x = Tensor::cat(vec![x, zeros], 1).reshape([b, n, 2, c]);
    let a = x.clone().slice([0..b, 0..n, 0..1]).reshape([b, n, c]);
    let between = x.slice([0..b, 0..n - 1, 1..2]).reshape([b, n - 1, c]);
    [a, between]
}

/// Number of parameters (for the model card and logs).
pub fn param_count(model: &Denoiser) -> usize {
    model.num_params()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(overlap: bool) -> DenoiserConfig {
        DenoiserConfig::new()
            .with_feature_dim(5)
            .with_d_model(16)
            .with_n_layers(1)
            .with_n_heads(2)
            .with_d_ff(32)
            .with_max_frames(40)
            .with_dropout(0.0)
            .with_overlapping_tokens(overlap.then_some(true))
    }

    fn run(model: &Denoiser, x: Vec<f32>, frames: usize, real_tokens: [usize; 2], device: &Device) -> Vec<f32> {
        let tokens = frames / 4;
        let pad: Vec<bool> = real_tokens.iter().flat_map(|&r| (0..tokens).map(move |i| i >= r)).collect();
        let x = Tensor::<3>::from_data(TensorData::new(x, [2, frames, 5]), device);
        let pad = Tensor::<2, Bool>::from_data(TensorData::new(pad, [2, tokens]), device);
        let text = Tensor::<2>::ones([2, 384], device);
        let keep = Tensor::<1>::ones([2], device);
        model.forward(x, &[500.0, 20.0], text, keep, pad).into_data().try_into_vec::<f32>().expect("f32")
    }

    #[test]
    fn overlapping_tokens_keep_padding_out_of_real_frames() {
        let device = Device::flex();
        device.seed(3);
        let model = tiny(true).init(&device);
        let frames = 24;
        let x: Vec<f32> = (0..2 * frames * 5).map(|i| ((i as f32) * 0.37).sin()).collect();
        // The second clip has 3 real tokens (12 frames); scribble over its padding.
        let mut scribbled = x.clone();
        for v in &mut scribbled[(frames + 12) * 5..] {
            *v = 9.0;
        }
        let a = run(&model, x, frames, [6, 3], &device);
        let b = run(&model, scribbled, frames, [6, 3], &device);
        assert_eq!(a.len(), 2 * frames * 5);
        assert!(a.iter().all(|v| v.is_finite()), "outputs must be finite");
        let real = |v: &[f32]| v[..(frames + 12) * 5].to_vec();
        let diff = real(&a).iter().zip(real(&b)).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
        assert!(diff < 1e-5, "padding leaked into real frames: {diff}");
    }

    #[test]
    fn overlapping_tokens_reuse_grid_weights_and_change_the_prediction() {
        let device = Device::flex();
        device.seed(4);
        let grid = tiny(false).init(&device);
        assert!(tiny(true).same_weights_as(&tiny(false)));
        assert!(!tiny(true).same_weights_as(&tiny(false).with_d_model(32)));
        // The grid model's record loads into the overlapping layout as it is.
        let overlap = tiny(true).init(&device).load_record(grid.clone().into_record());
        let frames = 16;
        let x: Vec<f32> = (0..2 * frames * 5).map(|i| ((i as f32) * 0.21).cos()).collect();
        let a = run(&grid, x.clone(), frames, [4, 4], &device);
        let b = run(&overlap, x.clone(), frames, [4, 4], &device);
        assert_ne!(a, b, "the shifted tokens must take part");
        // One token is too short to overlap: both layouts agree.
        let x1: Vec<f32> = x[..2 * 4 * 5].to_vec();
        assert_eq!(run(&grid, x1.clone(), 4, [1, 1], &device), run(&overlap, x1, 4, [1, 1], &device));
        assert!(tiny(true).with_frames_per_token(3).check().is_err(), "odd tokens cannot be halved");
    }
}
