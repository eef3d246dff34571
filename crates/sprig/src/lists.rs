//! List functions. Sprig accepts any slice and reports other kinds as
//! `Cannot ... on type KIND`; the non-`must` variants panic with the same
//! message, which the template engine reports alike, so both share a body.
//! Lists are never changed in place: every function returns a new list.

use gotmpl::{FuncError, FuncMap, Value};

use crate::convert::{strslice, to_int64};
use crate::defaults::is_empty;
use crate::reflect::{deep_equal, kind_of};
use crate::{FuncResult, args, define};

/// The items of a slice argument, or Sprig's error naming the operation.
fn items<'a>(v: &'a Value, what: &str) -> Result<&'a [Value], FuncError> {
    match v {
        Value::List(l) => Ok(l),
        // reflect.TypeOf(nil).Kind() dereferences a nil type in Go.
        Value::Nil => Err(FuncError::new(
            "runtime error: invalid memory address or nil pointer dereference",
        )),
        other => Err(FuncError::new(format!("{what} {}", kind_of(other)))),
    }
}

fn list(v: Vec<Value>) -> FuncResult {
    Ok(Value::list(v))
}

fn push(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 2)?;
    let mut out = items(&a[0], "Cannot push on type")?.to_vec();
    out.push(a[1].clone());
    list(out)
}

fn prepend(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 2)?;
    let mut out = vec![a[1].clone()];
    out.extend_from_slice(items(&a[0], "Cannot prepend on type")?);
    list(out)
}

fn chunk(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 2)?;
    let size = args::int(&a[0])?;
    let l = items(&a[1], "Cannot chunk type")?;
    if l.is_empty() {
        return list(Vec::new());
    }
    if size <= 0 {
        return Err(FuncError::new("runtime error: makeslice: len out of range"));
    }
    list(
        l.chunks(size as usize)
            .map(|c| Value::list(c.to_vec()))
            .collect(),
    )
}

fn last(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 1)?;
    Ok(items(&a[0], "Cannot find last on type")?
        .last()
        .cloned()
        .unwrap_or(Value::Nil))
}

fn first(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 1)?;
    Ok(items(&a[0], "Cannot find first on type")?
        .first()
        .cloned()
        .unwrap_or(Value::Nil))
}

fn rest(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 1)?;
    let l = items(&a[0], "Cannot find rest on type")?;
    if l.is_empty() {
        // A nil []interface{}: prints as [].
        return list(Vec::new());
    }
    list(l[1..].to_vec())
}

fn initial(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 1)?;
    let l = items(&a[0], "Cannot find initial on type")?;
    if l.is_empty() {
        return list(Vec::new());
    }
    list(l[..l.len() - 1].to_vec())
}

fn reverse(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 1)?;
    list(
        items(&a[0], "Cannot find reverse on type")?
            .iter()
            .rev()
            .cloned()
            .collect(),
    )
}

fn compact(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 1)?;
    list(
        items(&a[0], "Cannot compact on type")?
            .iter()
            .filter(|v| !is_empty(v))
            .cloned()
            .collect(),
    )
}

fn contains(haystack: &[Value], needle: &Value) -> bool {
    haystack.iter().any(|h| deep_equal(h, needle))
}

fn uniq(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 1)?;
    let mut out: Vec<Value> = Vec::new();
    for v in items(&a[0], "Cannot find uniq on type")? {
        if !contains(&out, v) {
            out.push(v.clone());
        }
    }
    list(out)
}

fn without(n: &'static str, a: &[Value]) -> FuncResult {
    args::at_least(n, a, 1)?;
    let omit = &a[1..];
    list(
        items(&a[0], "Cannot find without on type")?
            .iter()
            .filter(|v| !contains(omit, v))
            .cloned()
            .collect(),
    )
}

fn has(n: &'static str, a: &[Value]) -> FuncResult {
    args::exact(n, a, 2)?;
    if matches!(a[1], Value::Nil) {
        return Ok(Value::Bool(false));
    }
    Ok(Value::Bool(contains(
        items(&a[1], "Cannot find has on type")?,
        &a[0],
    )))
}

fn slice(n: &'static str, a: &[Value]) -> FuncResult {
    args::at_least(n, a, 1)?;
    let l = items(&a[0], "list should be type of slice or array but")?;
    if l.is_empty() {
        return Ok(Value::Nil);
    }
    let start = a.get(1).map_or(0, to_int64);
    let end = a.get(2).map_or(l.len() as i64, to_int64);
    if start < 0 || end < start || end > l.len() as i64 {
        return Err(FuncError::new(
            "reflect.Value.Slice: slice index out of bounds",
        ));
    }
    list(l[start as usize..end as usize].to_vec())
}

fn concat(_: &'static str, a: &[Value]) -> FuncResult {
    let mut out = Vec::new();
    for v in a {
        match v {
            Value::List(l) => out.extend_from_slice(l),
            other => {
                return Err(FuncError::new(format!(
                    "Cannot concat type {} as list",
                    kind_of(other)
                )));
            }
        }
    }
    list(out)
}

/// Register the list functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["list", "tuple"], |_, a| list(a.to_vec()));
    define(m, &["append", "push", "mustAppend", "mustPush"], push);
    define(m, &["prepend", "mustPrepend"], prepend);
    define(m, &["chunk", "mustChunk"], chunk);
    define(m, &["last", "mustLast"], last);
    define(m, &["first", "mustFirst"], first);
    define(m, &["rest", "mustRest"], rest);
    define(m, &["initial", "mustInitial"], initial);
    define(m, &["reverse", "mustReverse"], reverse);
    define(m, &["compact", "mustCompact"], compact);
    define(m, &["uniq", "mustUniq"], uniq);
    define(m, &["without", "mustWithout"], without);
    define(m, &["has", "mustHas"], has);
    define(m, &["slice", "mustSlice"], slice);
    define(m, &["concat"], concat);
    define(m, &["sortAlpha"], |n, a| {
        args::exact(n, a, 1)?;
        let mut sorted = match &a[0] {
            Value::List(_) => strslice(&a[0]),
            other => vec![crate::convert::strval(other)],
        };
        sorted.sort();
        list(sorted.into_iter().map(Value::str).collect())
    });
}
