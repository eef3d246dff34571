//! Functions callable from templates, and the registry that names them.
//!
//! A template function receives the evaluated arguments and a
//! [`CallContext`] through which it can reach back into the executing
//! template set (Helm's `include` and `tpl` need that). Most functions
//! (Sprig's) are pure and are registered with [`FuncMap::insert_pure`].

use crate::NameMap;
use std::sync::Arc;

use crate::value::Value;

/// The error a function returns. The executor wraps it as Go does:
/// `error calling NAME: MESSAGE`.
#[derive(Debug, Clone)]
pub struct FuncError {
    /// What went wrong, as the Go function would word it.
    pub message: String,
}

impl FuncError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        FuncError {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FuncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FuncError {}

impl From<String> for FuncError {
    fn from(message: String) -> Self {
        FuncError { message }
    }
}

impl From<&str> for FuncError {
    fn from(message: &str) -> Self {
        FuncError {
            message: message.to_string(),
        }
    }
}

/// What a function may ask of the template execution that called it.
pub trait CallContext {
    /// Execute the template `name` of the current set with `data` as dot and
    /// return its output (the core of Helm's `include`).
    fn execute_template(&mut self, name: &str, data: &Value) -> Result<String, FuncError>;
    /// Parse `text` as a new template in a copy of the current set, so it
    /// sees every `define`, and execute it with `data` (Helm's `tpl`). The
    /// text is parsed under the set's name (Helm's root template `gotpl`),
    /// or the current template's name when the set has none.
    fn execute_text(&mut self, text: &str, data: &Value) -> Result<String, FuncError>;
    /// Like [`CallContext::execute_text`], parsing `text` as a template named
    /// `name` (error messages show that name). Contexts that cannot name it
    /// fall back to `execute_text`.
    fn execute_text_named(
        &mut self,
        name: &str,
        text: &str,
        data: &Value,
    ) -> Result<String, FuncError> {
        let _ = name;
        self.execute_text(text, data)
    }
    /// How many [`CallContext::execute_template`] calls for `name` are
    /// active in this execution (including `tpl` text run from it): Helm's
    /// `include` refuses to nest one name more than 1000 times.
    fn active_executions(&self, name: &str) -> usize {
        let _ = name;
        0
    }
    /// The name of the template being executed (for error messages).
    fn template_name(&self) -> &str;
}

/// A function as the registry holds it.
pub type Function =
    Arc<dyn Fn(&mut dyn CallContext, &[Value]) -> Result<Value, FuncError> + Send + Sync>;

/// Named functions available to templates, on top of the builtins.
#[derive(Clone, Default)]
pub struct FuncMap {
    funcs: NameMap<String, Function>,
}

impl FuncMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }
    /// Register a function that needs the call context.
    pub fn insert(
        &mut self,
        name: impl Into<String>,
        f: impl Fn(&mut dyn CallContext, &[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    ) {
        self.funcs.insert(name.into(), Arc::new(f));
    }
    /// Register a pure function of its arguments.
    pub fn insert_pure(
        &mut self,
        name: impl Into<String>,
        f: impl Fn(&[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    ) {
        self.funcs.insert(
            name.into(),
            Arc::new(move |_: &mut dyn CallContext, args: &[Value]| f(args)),
        );
    }
    /// Look a function up by name.
    pub fn get(&self, name: &str) -> Option<&Function> {
        self.funcs.get(name)
    }
    /// Whether `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.funcs.contains_key(name)
    }
    /// Add every function of `other`, replacing same-named ones.
    pub fn extend(&mut self, other: FuncMap) {
        self.funcs.extend(other.funcs);
    }
}
