//! Sprig's regular expression functions, on Go's `regexp` as
//! [`gostd::regexp`] reproduces it. Compiled patterns are cached per
//! thread: charts call these in loops.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use gostd::regexp::{find_all, quote_meta, split};
use gotmpl::{FuncError, FuncMap, Value};
use regex::Regex;

use crate::{FuncResult, args, define};

/// How many compiled patterns a thread keeps.
const CACHE_CAPACITY: usize = 256;

thread_local! {
    static CACHE: RefCell<HashMap<String, Arc<Regex>>> = RefCell::new(HashMap::new());
}

/// Compile `pattern` as Go's `regexp.Compile` would, with Go's error text.
pub fn compile(pattern: &str) -> Result<Arc<Regex>, FuncError> {
    if let Some(re) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(re);
    }
    let re = gostd::regexp::compile(pattern).map_err(|e| FuncError::new(e.to_string()))?;
    let re = Arc::new(re);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_CAPACITY {
            c.clear();
        }
        c.insert(pattern.to_string(), re.clone());
    });
    Ok(re)
}

/// Non-`must` variants panic in Go; the template engine turns the panic
/// into the same error, so both variants report it.
fn strings_list(items: Vec<String>) -> Value {
    Value::list(items.into_iter().map(Value::str).collect())
}

fn regex_match(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 2)?;
    Ok(Value::Bool(
        compile(args::string(&a[0])?)?.is_match(args::string(&a[1])?),
    ))
}

fn regex_find_all(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 3)?;
    let re = compile(args::string(&a[0])?)?;
    let found = find_all(&re, args::string(&a[1])?, args::int(&a[2])?);
    Ok(Value::list(found.into_iter().map(Value::str).collect()))
}

fn regex_find(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 2)?;
    let re = compile(args::string(&a[0])?)?;
    Ok(Value::str(
        re.find(args::string(&a[1])?).map_or("", |m| m.as_str()),
    ))
}

fn regex_replace_all(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 3)?;
    let re = compile(args::string(&a[0])?)?;
    Ok(Value::str(
        re.replace_all(args::string(&a[1])?, args::string(&a[2])?),
    ))
}

fn regex_replace_all_literal(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 3)?;
    let re = compile(args::string(&a[0])?)?;
    Ok(Value::str(re.replace_all(
        args::string(&a[1])?,
        regex::NoExpand(args::string(&a[2])?),
    )))
}

fn regex_split(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 3)?;
    let re = compile(args::string(&a[0])?)?;
    Ok(strings_list(split(
        &re,
        args::string(&a[1])?,
        args::int(&a[2])?,
    )))
}

/// Register the regular expression functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["regexMatch", "mustRegexMatch"], regex_match);
    define(m, &["regexFindAll", "mustRegexFindAll"], regex_find_all);
    define(m, &["regexFind", "mustRegexFind"], regex_find);
    define(
        m,
        &["regexReplaceAll", "mustRegexReplaceAll"],
        regex_replace_all,
    );
    define(
        m,
        &["regexReplaceAllLiteral", "mustRegexReplaceAllLiteral"],
        regex_replace_all_literal,
    );
    define(m, &["regexSplit", "mustRegexSplit"], regex_split);
    define(m, &["regexQuoteMeta"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(quote_meta(args::string(&a[0])?)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_patterns_are_cached_and_errors_are_gos() {
        let a = compile(r"^[\w-\.]+$").unwrap();
        assert!(Arc::ptr_eq(&a, &compile(r"^[\w-\.]+$").unwrap()));
        assert!(a.is_match("a-b.c"));
        assert_eq!(
            compile("(").unwrap_err().to_string(),
            "error parsing regexp: missing closing ): `(`"
        );
    }
}
