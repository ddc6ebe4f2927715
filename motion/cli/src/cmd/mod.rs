pub mod convert;
pub mod dataset;
