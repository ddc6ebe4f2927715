//! `scene-agent`: chat -> scene script -> built scene -> pose renders -> image diffusion.
use clap::{Parser, Subcommand};

mod cmd {
    pub mod poses;
    pub mod render;
}

#[derive(Parser)]
#[command(name = "scene-agent", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Draw OpenPose frames (PNG + OpenPose JSON + contact sheet) of the characters.
    Poses(cmd::poses::PosesArgs),
    /// Send pose frames through Stable Diffusion (A1111 or ComfyUI) with ControlNet openpose.
    Render(cmd::render::RenderArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Poses(args) => cmd::poses::run(args),
        Command::Render(args) => cmd::render::run(args),
    }
}
