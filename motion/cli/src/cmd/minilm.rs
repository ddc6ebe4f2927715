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
