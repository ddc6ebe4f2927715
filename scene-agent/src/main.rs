//! `scene-agent`: chat -> scene script -> built scene -> pose renders -> image diffusion.

use clap::{Parser, Subcommand};

mod llm_args;
mod session;

mod cmd {
    pub mod build;
    pub mod chat;
    pub mod plan;
    pub mod poses;
    pub mod render;
    pub mod validate;
}

/// Plan, edit and render multi-character motion scenes from plain-English instructions.
///
/// With an OpenAI-compatible server configured (--base-url/--model/--api-key, or
/// OPENAI_BASE_URL / OPENAI_MODEL / OPENAI_API_KEY, overridden by SCENE_AGENT_BASE_URL /
/// SCENE_AGENT_MODEL / SCENE_AGENT_API_KEY) an LLM writes the scene; without one, an offline
/// planner reads a documented grammar (docs/scene-script.md).
#[derive(Parser)]
#[command(name = "scene-agent", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run; boxing the larger argument structs would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Turn one instruction into a scene script file.
    Plan(cmd::plan::PlanArgs),
    /// Chat to create and edit a scene; the session and the scene persist in a folder.
    Chat(cmd::chat::ChatArgs),
    /// Check a scene script and show its solved placement and camera.
    Validate(cmd::validate::ValidateArgs),
    /// Print the JSON Schema of the scene-script format.
    Schema,
    /// Build a scene script into motion: OUT/scene.glb (all characters + camera) and a manifest.
    Build(cmd::build::BuildArgs),
    /// Draw OpenPose frames (PNG + OpenPose JSON + contact sheet) of the characters.
    Poses(cmd::poses::PosesArgs),
    /// Send pose frames through Stable Diffusion (A1111 or ComfyUI) with ControlNet openpose.
    Render(cmd::render::RenderArgs),
}

fn main() {
    // Errors are for users: print the message chain, not a backtrace.
    if let Err(e) = dispatch(Cli::parse().command) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Plan(a) => cmd::plan::run(a),
        Command::Chat(a) => cmd::chat::run(a),
        Command::Validate(a) => cmd::validate::run(a),
        Command::Build(a) => cmd::build::run(a),
        Command::Poses(a) => cmd::poses::run(a),
        Command::Render(a) => cmd::render::run(a),
        Command::Schema => {
            print!("{}", scene_script::schema::scene_schema_pretty());
            Ok(())
        }
    }
}
