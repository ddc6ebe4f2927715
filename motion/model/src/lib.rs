//! Learned parts: MiniLM sentence encoder, text-to-motion diffusion denoiser, evaluator (burn).

pub mod text_encoder;

pub use text_encoder::{
    EMBEDDING_DIM, MAX_TOKENS, MINILM_DIR_ENV, TextEncoder, TextEncoderError, locate_model_dir,
};
