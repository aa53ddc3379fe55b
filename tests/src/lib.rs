//! Workspace-wide tests live in `tests/`.
