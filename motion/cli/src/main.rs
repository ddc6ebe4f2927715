//! `motion`: the command-line front of the motion toolkit. Each subcommand is a thin layer over
//! the library crates; see `motion <command> --help`.

mod cmd;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "motion", version, about = "Character motion toolkit: convert mocap and joint files, build the training cache, train, evaluate and generate.", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert between BVH, HumanML3D 263-dim .npy, joint-position .npy [frames, 22, 3] and GLB.
    Convert(cmd::convert::ConvertArgs),
    /// Build or inspect the training dataset cache.
    #[command(subcommand)]
    Dataset(cmd::dataset::DatasetCommand),
    /// Train the text-to-motion diffusion model on a dataset cache.
    Train(cmd::train::TrainArgs),
    /// Generate motion from a text prompt with a trained model.
    Generate(cmd::generate::GenerateArgs),
    /// Train the motion evaluator (text–motion embedding + action classifier).
    TrainEvaluator(cmd::train_evaluator::TrainEvaluatorArgs),
    /// Measure real, baseline and generated motion with the evaluator (R-precision, FID, …).
    Eval(cmd::eval::EvalArgs),
    /// Time text-to-motion on this machine (loading, sampling, writing, peak memory).
    Bench(cmd::bench::BenchArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Convert(a) => cmd::convert::run(a),
        Command::Dataset(c) => cmd::dataset::run(c),
        Command::Train(a) => cmd::train::run(a),
        Command::Generate(a) => cmd::generate::run(a),
        Command::TrainEvaluator(a) => cmd::train_evaluator::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Bench(a) => cmd::bench::run(a),
    }
}
