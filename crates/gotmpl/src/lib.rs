//! Go's `text/template`, in Rust.
//!
//! The pipeline mirrors Go's package: [`lexer`] → [`parser`] → [`tree`] →
//! [`exec`], with Go's builtin functions in [`builtins`] and the value model
//! in [`value`]. Parsed templates are immutable and `Send + Sync`; executing
//! never re-parses.

pub mod fmt;
pub mod func;
pub mod value;

pub use func::{CallContext, FuncError, FuncMap, Function};
pub use value::{Map, Object, Value};
