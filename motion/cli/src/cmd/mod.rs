pub mod bench;
pub mod convert;
pub mod dataset;
pub mod eval;
pub mod generate;
pub mod minilm;
mod progress;
pub mod train;
pub mod train_evaluator;
