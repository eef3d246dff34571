//! The Sprig template function library (v3.3, as Helm 3.17 ships it) over
//! [`gotmpl`] values.
//!
//! [`funcs`] returns every function of Sprig's `TxtFuncMap` except `env` and
//! `expandenv`, which Helm removes. Each family lives in its own module;
//! argument counts and types are checked as Go's reflection-based calls
//! check them ([`args`]), and numbers convert with `spf13/cast`'s rules
//! ([`convert`]), so `add 1 .Values.x` behaves as in Helm, where every YAML
//! number is a `float64`.
//!
//! ```
//! let funcs = sprig::funcs();
//! let upper = funcs.get("upper").expect("registered");
//! struct NoTemplates;
//! impl gotmpl::CallContext for NoTemplates {
//!     fn execute_template(&mut self, _: &str, _: &gotmpl::Value) -> Result<String, gotmpl::FuncError> { unreachable!() }
//!     fn execute_text(&mut self, _: &str, _: &gotmpl::Value) -> Result<String, gotmpl::FuncError> { unreachable!() }
//!     fn template_name(&self) -> &str { "doc" }
//! }
//! let out = upper(&mut NoTemplates, &[gotmpl::Value::str("helm")]).unwrap();
//! assert_eq!(out.as_str(), Some("HELM"));
//! ```

#![warn(missing_docs)]

pub mod args;
pub mod bytes;
pub mod certs;
pub mod convert;
pub mod crypto;
pub mod dates;
pub mod decimal;
pub mod defaults;
pub mod der;
pub mod dicts;
pub mod encoding;
pub mod gotime;
pub mod json;
pub mod lists;
pub mod math;
pub mod network;
pub mod paths;
pub mod random;
pub mod reflect;
pub mod regex;
pub mod semver;
pub mod strings;
pub mod url;

use gotmpl::{FuncError, FuncMap, Value};

/// How deep functions walk nested values. Maps are shared and mutable, so
/// a template can build a cycle (`set $d "self" $d`); walks stop here
/// instead of overflowing the stack. Real values nest a few dozen levels at
/// most; 256 leaves room for them and for small thread stacks.
pub const MAX_DEPTH: usize = 256;

/// The result of a template function.
pub type FuncResult = Result<Value, FuncError>;

/// A Sprig function body: the name it was called by (for error messages;
/// several functions have aliases) and the arguments.
pub type SprigFn = fn(&'static str, &[Value]) -> FuncResult;

/// Register `f` under each of `names`.
pub(crate) fn define(m: &mut FuncMap, names: &[&'static str], f: SprigFn) {
    for &name in names {
        m.insert_pure(name, move |a: &[Value]| f(name, a));
    }
}

/// Every Sprig function Helm 3.17 offers templates (`sprig.TxtFuncMap()`
/// without `env` and `expandenv`).
pub fn funcs() -> FuncMap {
    let mut m = FuncMap::new();
    strings::register(&mut m);
    regex::register(&mut m);
    convert::register(&mut m);
    math::register(&mut m);
    lists::register(&mut m);
    dicts::register(&mut m);
    defaults::register(&mut m);
    reflect::register(&mut m);
    encoding::register(&mut m);
    crypto::register(&mut m);
    certs::register(&mut m);
    random::register(&mut m);
    dates::register(&mut m);
    semver::register(&mut m);
    paths::register(&mut m);
    url::register(&mut m);
    network::register(&mut m);
    m
}
