//! Learned parts: MiniLM sentence encoder, text-to-motion diffusion denoiser, evaluator and the
//! best-of-K critic (burn).

pub mod text_encoder;

pub use text_encoder::{
    EMBEDDING_DIM, MAX_TOKENS, MINILM_DIR_ENV, TextEncoder, TextEncoderError, locate_model_dir,
};

pub mod denoiser;
pub mod diffusion;
pub mod evaluator;
pub mod generate;
pub mod kinematics;
pub mod rerank;
pub mod train;

/// Device for a `--backend` name: `cpu` (burn's flex backend) or `wgpu` (only when this crate
/// is built with the `wgpu` feature).
pub fn backend_device(name: &str) -> Result<burn::prelude::Device, String> {
    match name {
        "cpu" | "flex" => Ok(burn::prelude::Device::flex()),
        #[cfg(feature = "wgpu")]
        "wgpu" => Ok(burn::prelude::Device::wgpu(burn::prelude::DeviceKind::DefaultDevice)),
        #[cfg(not(feature = "wgpu"))]
        "wgpu" => Err("this build has no wgpu backend (rebuild with `--features wgpu`); use --backend cpu".into()),
        other => Err(format!("unknown backend `{other}` (expected cpu or wgpu)")),
    }
}

pub use burn::prelude::Device;
