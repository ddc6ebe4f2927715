//! End-to-end checks across the binaries (text -> GLB -> glTF validator, scene -> poses).
