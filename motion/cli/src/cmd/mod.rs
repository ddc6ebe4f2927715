pub mod bench;
pub mod convert;
pub mod dataset;
pub mod eval;
pub mod generate;
mod minilm;
pub mod train;
pub mod train_evaluator;
