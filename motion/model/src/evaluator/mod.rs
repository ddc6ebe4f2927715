//! The motion evaluator: a text–motion embedding model with an action classifier, trained
//! contrastively on the dataset cache, and the field's metrics computed with it.
//!
//! * [`model`]: the network (motion encoder, text head over MiniLM embeddings, classifier);
//! * [`data`]: labelled clips from the dataset cache, padding and crops;
//! * [`train`]: contrastive training and the evaluator folder format;
//! * [`metrics`]: R-precision, FID, MM-Dist, diversity, multimodality, intervals;
//! * [`eval`]: motion sets (real, baselines, generated) and their reports;
//! * [`report`]: table, JSON and PNG chart.

pub mod data;
pub mod eval;
pub mod metrics;
pub mod model;
pub mod report;
pub mod train;

pub use eval::{MotionSet, SetReport, evaluate_set};
pub use model::{Evaluator, EvaluatorConfig};
pub use train::{EvaluatorTrainConfig, LoadedEvaluator, load_evaluator, train_evaluator};
