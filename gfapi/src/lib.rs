//! Safe wrapper (placeholder).
