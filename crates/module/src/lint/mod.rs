//! Linter.
