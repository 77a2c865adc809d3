//! The registry (placeholder until the registry lands).
