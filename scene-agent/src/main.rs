//! `scene-agent`: chat -> scene script -> built scene -> pose renders -> image diffusion.
fn main() {}
