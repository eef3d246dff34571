//! Go's `text/template`, in Rust.
//!
//! The pipeline mirrors Go's package: [`lexer`] → [`parser`] → [`tree`] →
//! [`exec`], with Go's builtin functions in [`builtins`], Go's `fmt` verbs in
//! [`fmt`] and the value model in [`value`]. A [`Templates`] set holds parsed
//! trees behind `Arc`: it is cheap to clone and `Send + Sync`; executing
//! never re-parses.
//!
//! ```
//! use gotmpl::{FuncMap, Templates, Value};
//!
//! let mut funcs = FuncMap::new();
//! funcs.insert_pure("upper", |args: &[Value]| {
//!     Ok(Value::str(args[0].as_str().unwrap_or_default().to_uppercase()))
//! });
//! let mut set = Templates::new(funcs);
//! set.parse("page", r#"{{define "item"}}- {{. | upper}}{{"\n"}}{{end}}{{range .items}}{{template "item" .}}{{end}}"#)
//!     .unwrap();
//! let data = Value::from_json(&serde_json::json!({"items": ["a", "b"]}));
//! assert_eq!(set.execute("page", &data).unwrap(), "- A\n- B\n");
//!
//! // Errors carry Go's wording and position.
//! set.parse("bad", "{{ .x.y }}").unwrap();
//! set.set_missing_key(gotmpl::MissingKey::Zero);
//! let err = set.execute("bad", &Value::from_json(&serde_json::json!({}))).unwrap_err();
//! assert_eq!(err.to_string(), r#"template: bad:1:5: executing "bad" at <.x.y>: nil pointer evaluating interface {}.y"#);
//! ```

#![warn(missing_docs)]

pub mod builtins;
pub mod exec;
pub mod fmt;
pub mod func;
pub mod lexer;
pub mod parser;
pub mod set;
pub mod tree;
pub mod value;

pub use exec::{ExecError, Location};
pub use func::{CallContext, FuncError, FuncMap, Function};
pub use parser::ParseError;
pub use set::{MissingKey, Options, Templates};
pub use value::{Map, Object, Value};

/// The hash map of name lookups (functions, templates, parsed texts):
/// keyed by short strings and hit on every call, so hashed with foldhash.
pub(crate) type NameMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
