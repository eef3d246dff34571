//! A set of named templates sharing functions and options: what Go calls a
//! `*template.Template` with its associated templates.

use crate::NameMap;
use std::sync::{Arc, Mutex};

use crate::exec::{self, ExecError};
use crate::func::FuncMap;
use crate::parser::{self, ParseError, ParseOptions};
use crate::tree::Tree;
use crate::value::Value;

/// What a missing map key evaluates to (Go's `missingkey` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingKey {
    /// `missingkey=default` / `invalid`: no value; prints `<no value>`, and
    /// fields of it are no value again.
    #[default]
    Default,
    /// `missingkey=zero`: the map's zero element, a nil interface; fields of
    /// it fail with `nil pointer evaluating interface {}.X` (Helm's mode).
    Zero,
    /// `missingkey=error`: execution fails with `map has no entry for key "X"`.
    Error,
}

/// Options of a template set.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Missing map key behaviour.
    pub missing_key: MissingKey,
    /// Maximum nesting of template invocations (`template`, and the
    /// [`crate::CallContext`] methods behind Helm's `include` and `tpl`);
    /// deeper recursion fails with `exceeded maximum template depth (N)`.
    /// Go allows 100000; 10000 (the default) keeps runaway recursion within
    /// tens of megabytes of stack while leaving room for Helm's own
    /// 1000-per-name `include` limit to report first.
    pub max_template_depth: usize,
    /// Parser settings.
    pub parse: ParseOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            missing_key: MissingKey::Default,
            max_template_depth: 10_000,
            parse: ParseOptions::default(),
        }
    }
}

/// A set of parsed templates. Cloning is cheap (the trees are shared), the
/// set is `Send + Sync`, and executing never re-parses.
#[derive(Clone)]
pub struct Templates {
    name: String,
    trees: Arc<NameMap<String, Arc<Tree>>>,
    funcs: Arc<FuncMap>,
    options: Options,
    /// Parsed `tpl` texts, shared by the clones of the set.
    texts: Arc<Mutex<TextCache>>,
}

/// The trees one text parses into (its defines, then the text itself), or its parse error.
pub(crate) type ParsedText = Result<Arc<[Arc<Tree>]>, ParseError>;

/// Texts parsed for [`crate::CallContext::execute_text`], by text. Parsing
/// depends only on the text, the name it is parsed under, the functions
/// (fixed per set) and the parse options, so a text is parsed once.
#[derive(Default)]
struct TextCache {
    by_text: NameMap<Box<str>, Vec<CachedText>>,
    /// Bytes of text held, to bound the cache.
    bytes: usize,
}

struct CachedText {
    name: Box<str>,
    options: ParseOptions,
    parsed: ParsedText,
}

/// The cache starts over when it holds more text than this.
const TEXT_CACHE_BYTES: usize = 16 << 20;

impl Templates {
    /// An empty set with user functions `funcs` (they override builtins of the same name).
    pub fn new(funcs: FuncMap) -> Self {
        Templates {
            name: String::new(),
            trees: Arc::default(),
            funcs: Arc::new(funcs),
            options: Options::default(),
            texts: Arc::default(),
        }
    }

    /// Name the set: Go's name of the root template, which appears in
    /// `no template "x" associated with template "NAME"` and is the name
    /// `tpl` text is parsed under (Helm names its root template `gotpl`).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The set's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Change the options.
    pub fn options_mut(&mut self) -> &mut Options {
        &mut self.options
    }

    /// Set the missing-key behaviour.
    pub fn set_missing_key(&mut self, missing_key: MissingKey) {
        self.options.missing_key = missing_key;
    }

    /// Apply a Go option string: `missingkey=default|invalid|zero|error`.
    pub fn option(&mut self, option: &str) -> Result<(), String> {
        self.options.missing_key = match option {
            "missingkey=default" | "missingkey=invalid" => MissingKey::Default,
            "missingkey=zero" => MissingKey::Zero,
            "missingkey=error" => MissingKey::Error,
            _ => return Err(format!("unrecognized option: {option}")),
        };
        Ok(())
    }

    /// The user functions.
    pub fn funcs(&self) -> &FuncMap {
        &self.funcs
    }

    /// Parse `text` as template `name`, adding it and every `define`/`block`
    /// in it to the set. A later definition replaces an earlier one of the
    /// same name, unless it is empty (only spaces and comments), as Go's
    /// `AddParseTree` does. On error the set is unchanged.
    pub fn parse(&mut self, name: &str, text: &str) -> Result<(), ParseError> {
        let funcs = self.funcs.clone();
        let has_function = move |f: &str| funcs.contains(f);
        let trees = parser::parse(name, text, &has_function, self.options.parse)?;
        let map = Arc::make_mut(&mut self.trees);
        for tree in trees {
            match map.get(&tree.name) {
                Some(old) if tree.is_empty() && !old.is_empty() => {}
                _ => {
                    map.insert(tree.name.clone(), Arc::new(tree));
                }
            }
        }
        Ok(())
    }

    /// Parse `text` as a template named `name` without adding it to the set:
    /// the trees of its defines, then its own. Results are cached per text.
    pub(crate) fn parse_text(&self, name: &str, text: &str) -> ParsedText {
        let options = self.options.parse;
        let cache = self.texts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(hit) = cache
            .by_text
            .get(text)
            .and_then(|v| v.iter().find(|c| &*c.name == name && c.options == options))
        {
            return hit.parsed.clone();
        }
        drop(cache);
        let funcs = self.funcs.clone();
        let has_function = move |f: &str| funcs.contains(f);
        let parsed: ParsedText = parser::parse(name, text, &has_function, options)
            .map(|trees| trees.into_iter().map(Arc::new).collect());
        let mut cache = self.texts.lock().unwrap_or_else(|p| p.into_inner());
        if cache.bytes + text.len() + name.len() > TEXT_CACHE_BYTES {
            *cache = TextCache::default();
        }
        cache.bytes += text.len() + name.len();
        cache
            .by_text
            .entry(text.into())
            .or_default()
            .push(CachedText {
                name: name.into(),
                options,
                parsed: parsed.clone(),
            });
        parsed
    }

    /// The names of the templates in the set, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.trees.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Whether template `name` is defined.
    pub fn contains(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// The parse tree of template `name`.
    pub fn tree(&self, name: &str) -> Option<&Arc<Tree>> {
        self.trees.get(name)
    }

    /// Execute template `name` with `data` as dot and return its output.
    pub fn execute(&self, name: &str, data: &Value) -> Result<String, ExecError> {
        let mut out = String::new();
        self.execute_into(name, data, &mut out)?;
        Ok(out)
    }

    /// Execute template `name` with `data` as dot, appending to `out` (which
    /// keeps the partial output on error, as Go's writer does).
    pub fn execute_into(
        &self,
        name: &str,
        data: &Value,
        out: &mut String,
    ) -> Result<(), ExecError> {
        exec::execute(self, None, name, data, out, 0, &exec::Shared::default()).map_err(|e| *e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn set_is_send_sync_and_later_definitions_win() {
        assert_send_sync::<Templates>();
        let mut t = Templates::new(FuncMap::new());
        t.parse("a", "{{define \"x\"}}one{{end}}").unwrap();
        t.parse("b", "{{define \"x\"}}two{{end}}{{define \"x2\"}}  {{end}}")
            .unwrap();
        t.parse("c", "{{define \"x\"}} {{end}}").unwrap();
        assert_eq!(t.execute("x", &Value::Nil).unwrap(), "two");
        assert_eq!(t.names(), vec!["a", "b", "c", "x", "x2"]);
    }

    #[test]
    fn options_parse_go_strings() {
        let mut t = Templates::new(FuncMap::new());
        t.option("missingkey=error").unwrap();
        assert_eq!(t.options().missing_key, MissingKey::Error);
        assert!(t.option("missingkey=bogus").is_err());
    }
}
