//! Property catalogue (placeholder).
