//! jq filters (`jqFilter` of kubernetes bindings, `JQPatch` operations):
//! compiled once, run per object, outputs collected and keys sorted as
//! gojq (shell-operator's jq) does.

mod convert;
mod fast;
mod jaq_engine;

use serde_json::Value;

pub use convert::{collect_outputs, sort_keys};
use fast::FastExpr;
use jaq_engine::JaqProgram;

/// A jq filter that does not compile, or failed on an input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JqError {
    /// The filter text does not parse.
    #[error("cannot parse jq filter: {details}")]
    Parse {
        /// The filter text.
        filter: String,
        /// What jaq rejected and where (`; `-separated).
        details: String,
    },
    /// The filter parses but names undefined filters or variables.
    #[error("cannot compile jq filter: {details}")]
    Compile {
        /// The filter text.
        filter: String,
        /// What is undefined (`; `-separated).
        details: String,
    },
    /// Running the filter on an input failed.
    #[error("jq filter failed: {message}")]
    Run {
        /// jaq's error.
        message: String,
    },
}

/// A compiled jq filter.
///
/// Common shapes run directly over `serde_json` values; the rest (and any
/// input the fast path does not handle) run in jaq, so results are the same
/// either way (checked by a property test).
#[derive(Debug)]
pub struct JqFilter {
    source: String,
    fast: Option<FastExpr>,
    jaq: JaqProgram,
}

impl JqFilter {
    /// Compile a filter. The error text says what jaq rejected and where.
    pub fn compile(source: &str) -> Result<Self, JqError> {
        let jaq = JaqProgram::compile(source)?;
        Ok(JqFilter {
            source: source.to_string(),
            fast: FastExpr::parse(source),
            jaq,
        })
    }

    /// The filter text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the fast path handles this filter's shape.
    pub fn is_fast(&self) -> bool {
        self.fast.is_some()
    }

    /// Apply to one input: none → `null`, one → the value, several → array.
    pub fn apply(&self, input: &Value) -> Result<Value, JqError> {
        if let Some(fast) = &self.fast
            && let Ok(out) = fast.eval(input)
        {
            return Ok(out.unwrap_or(Value::Null));
        }
        self.jaq.run(input)
    }

    /// Apply with jaq only (for tests and benchmarks of the fast path).
    pub fn apply_with_jaq(&self, input: &Value) -> Result<Value, JqError> {
        self.jaq.run(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_outputs_like_gojq() {
        let none = JqFilter::compile("empty").unwrap();
        assert_eq!(none.apply(&json!(1)).unwrap(), Value::Null);
        let many = JqFilter::compile(".[]").unwrap();
        assert_eq!(many.apply(&json!([1, 2])).unwrap(), json!([1, 2]));
        let one = JqFilter::compile(".a").unwrap();
        assert_eq!(one.apply(&json!({"a": 3})).unwrap(), json!(3));
    }

    #[test]
    fn sorts_object_keys() {
        let f = JqFilter::compile("{z: 1, a: 2} | tojson").unwrap();
        // tojson inside jaq keeps insertion order; only the final value is
        // re-keyed, so check the structured output instead.
        assert!(f.apply(&json!(null)).is_ok());
        let g = JqFilter::compile("{z: .a, a: .a} | . + {m: 1}").unwrap();
        let out = serde_json::to_string(&g.apply(&json!({"a": 1})).unwrap()).unwrap();
        assert_eq!(out, r#"{"a":1,"m":1,"z":1}"#);
    }

    #[test]
    fn reports_syntax_errors_readably() {
        let err = JqFilter::compile(".a | {").unwrap_err().to_string();
        assert!(err.contains("cannot parse jq filter"), "{err}");
        let err = JqFilter::compile("nosuchfn").unwrap_err().to_string();
        assert!(err.contains("nosuchfn"), "{err}");
    }

    #[test]
    fn runtime_errors_come_from_jaq() {
        let f = JqFilter::compile(".a.b").unwrap();
        assert!(f.is_fast());
        let err = f.apply(&json!({"a": "text"})).unwrap_err().to_string();
        assert!(err.contains("jq filter failed"), "{err}");
    }

    #[test]
    fn errors_say_which_step_failed() {
        let err = JqFilter::compile(".a | {").unwrap_err();
        assert!(
            matches!(&err, JqError::Parse { filter, .. } if filter == ".a | {"),
            "{err:?}"
        );
        let err = JqFilter::compile("nosuchfn").unwrap_err();
        assert!(matches!(err, JqError::Compile { .. }), "{err:?}");
        let f = JqFilter::compile(".a.b").unwrap();
        let err = f.apply(&json!({"a": "text"})).unwrap_err();
        assert!(matches!(err, JqError::Run { .. }), "{err:?}");
    }
}
