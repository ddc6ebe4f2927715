//! MiniLM loaded on first use, so commands whose caption embeddings are cached never load it.
use motion_model::text_encoder::{TextEncoder, locate_model_dir};
use std::path::PathBuf;

pub struct LazyMiniLm {
    dir: Option<PathBuf>,
    encoder: Option<TextEncoder>,
}

impl LazyMiniLm {
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self { dir, encoder: None }
    }

    pub fn embed(&mut self, texts: &[&str]) -> Result<Vec<[f32; 384]>, String> {
        if self.encoder.is_none() {
            let dir = locate_model_dir(self.dir.as_deref()).map_err(|e| e.to_string())?;
            self.encoder = Some(TextEncoder::load(&dir, &motion_model::Device::flex()).map_err(|e| e.to_string())?);
        }
        let enc = self.encoder.as_ref().ok_or("text encoder not loaded")?;
        eprintln!("embedding {} captions with MiniLM…", texts.len());
        enc.encode(texts).map_err(|e| e.to_string())
    }
}

/// Where all-MiniLM-L6-v2 lives, for every command that embeds text.
#[derive(clap::Args, Clone, Debug)]
pub struct MiniLmArgs {
    /// all-MiniLM-L6-v2 folder (model.safetensors + tokenizer.json; default: $MOTION_MINILM_DIR,
    /// else the cache that scripts/fetch-minilm.sh fills).
    #[arg(long)]
    pub minilm_dir: Option<PathBuf>,
}
