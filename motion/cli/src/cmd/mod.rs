pub mod convert;
pub mod dataset;
pub mod generate;
pub mod train;
