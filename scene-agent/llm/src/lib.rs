//! Chat planner: OpenAI-compatible client with tool calls and repair, and an offline grammar planner.

pub mod agent;
pub mod client;
#[doc(hidden)]
pub mod mock;
pub mod offline;
pub mod parse;
pub mod tools;

pub use agent::{Agent, AgentError, Capabilities, ChatLine, ResponseFormat, TurnOutcome};
pub use client::{ApiKey, ChatClient, ConfigFlags, LlmConfig, LlmError};
pub use offline::{OfflineError, OfflinePlan, plan_offline};
