//! Learned parts: MiniLM sentence encoder, text-to-motion diffusion denoiser, evaluator (burn).
