//! Chat planner: OpenAI-compatible client with tool calls and repair, and an offline grammar planner.
