//! Scene script: versioned JSON format, schema, validation, relation solver, keyframe schedules.
