//! Dictionary functions. `set`, `unset`, `merge` and `mergeOverwrite` change
//! the given map in place (maps are shared, as Go maps are), which charts
//! rely on (`$_ := set $ctx "k" v`).

use gotmpl::{FuncError, FuncMap, Map, Value};

use crate::convert::strval;
use crate::defaults::is_empty;
use crate::{FuncResult, args, define};

fn nil_map_write() -> FuncError {
    FuncError::new("assignment to entry in nil map")
}

/// mergo's `Merge` (`overwrite` false) and `MergeWithOverwrite` over
/// `map[string]interface{}` values, as Sprig v3.3 uses them.
pub fn merge_into(dst: &mut Map, src: &Map, overwrite: bool) {
    merge_at(dst, src, overwrite, 0);
}

fn merge_at(dst: &mut Map, src: &Map, overwrite: bool, depth: usize) {
    // mergo stops at maps it has visited; a depth bound stops cycles too.
    if depth > crate::MAX_DEPTH {
        return;
    }
    for (key, sv) in src {
        if matches!(sv, Value::Nil) {
            if overwrite {
                dst.insert(key.clone(), Value::Nil);
            }
            continue;
        }
        let dv = dst.get(key).cloned();
        if let (Value::Map(sm), Some(Value::Map(dm))) = (sv, &dv)
            && !std::rc::Rc::ptr_eq(sm, dm)
        {
            let src_copy = sm.borrow().clone();
            merge_at(&mut dm.borrow_mut(), &src_copy, overwrite, depth + 1);
        }
        if let Some(d) = &dv
            && !is_empty(d)
        {
            match (sv, d) {
                (Value::List(_), _) => {
                    if overwrite {
                        dst.insert(key.clone(), sv.clone());
                    }
                    continue;
                }
                (Value::Map(_), Value::Map(_)) => continue,
                _ => {}
            }
        }
        if overwrite || dv.as_ref().is_none_or(is_empty) {
            dst.insert(key.clone(), sv.clone());
        }
    }
}

fn merge(n: &'static str, a: &[Value], overwrite: bool) -> FuncResult {
    args::at_least(n, a, 1)?;
    let Some(dst) = args::dict(&a[0])? else {
        // Merging into a nil map: mergo replaces the local copy only.
        return Ok(a.get(1).cloned().unwrap_or(Value::Nil));
    };
    for src in &a[1..] {
        if let Some(src) = args::dict(src)? {
            if std::rc::Rc::ptr_eq(dst, src) {
                continue;
            }
            let src = src.borrow().clone();
            merge_into(&mut dst.borrow_mut(), &src, overwrite);
        }
    }
    Ok(a[0].clone())
}

fn dig(n: &'static str, a: &[Value]) -> FuncResult {
    if a.len() < 3 {
        return Err(FuncError::new(format!(
            "{n} needs at least three arguments"
        )));
    }
    let not_map = |v: &Value| {
        FuncError::new(format!(
            "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
            crate::args::go_type(v)
        ))
    };
    let mut current = match &a[a.len() - 1] {
        Value::Map(m) => m.clone(),
        other => return Err(not_map(other)),
    };
    let default = &a[a.len() - 2];
    let keys = &a[..a.len() - 2];
    for (i, k) in keys.iter().enumerate() {
        let Value::String(k) = k else {
            return Err(FuncError::new(format!(
                "interface conversion: interface {{}} is {}, not string",
                crate::args::go_type(k)
            )));
        };
        let step = current.borrow().get(&**k).cloned();
        let Some(step) = step else {
            return Ok(default.clone());
        };
        if i + 1 == keys.len() {
            return Ok(step);
        }
        current = match step {
            Value::Map(m) => m,
            other => return Err(not_map(&other)),
        };
    }
    Ok(default.clone())
}

/// Register the dictionary functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["dict"], |_, a| {
        let mut map = Map::new();
        for pair in a.chunks(2) {
            let value = pair.get(1).cloned().unwrap_or_else(|| Value::str(""));
            map.insert(strval(&pair[0]), value);
        }
        Ok(Value::map(map))
    });
    define(m, &["get"], |n, a| {
        args::exact(n, a, 2)?;
        let key = args::string(&a[1])?;
        let found = args::dict(&a[0])?.and_then(|d| d.borrow().get(key).cloned());
        Ok(found.unwrap_or_else(|| Value::str("")))
    });
    define(m, &["set"], |n, a| {
        args::exact(n, a, 3)?;
        let key = args::string(&a[1])?;
        let d = args::dict(&a[0])?.ok_or_else(nil_map_write)?;
        d.borrow_mut().insert(key.to_string(), a[2].clone());
        Ok(a[0].clone())
    });
    define(m, &["unset"], |n, a| {
        args::exact(n, a, 2)?;
        let key = args::string(&a[1])?;
        if let Some(d) = args::dict(&a[0])? {
            d.borrow_mut().remove(key);
        }
        Ok(a[0].clone())
    });
    define(m, &["hasKey"], |n, a| {
        args::exact(n, a, 2)?;
        let key = args::string(&a[1])?;
        Ok(Value::Bool(
            args::dict(&a[0])?.is_some_and(|d| d.borrow().contains_key(key)),
        ))
    });
    define(m, &["pluck"], |n, a| {
        args::at_least(n, a, 1)?;
        let key = args::string(&a[0])?;
        let mut out = Vec::new();
        for d in &a[1..] {
            if let Some(v) = args::dict(d)?.and_then(|d| d.borrow().get(key).cloned()) {
                out.push(v);
            }
        }
        Ok(Value::list(out))
    });
    define(m, &["keys"], |_, a| {
        // Go visits map keys in random order; sorted is one of those orders
        // and the only reproducible one.
        let mut out = Vec::new();
        for d in a {
            if let Some(d) = args::dict(d)? {
                out.extend(d.borrow().keys().map(Value::str));
            }
        }
        Ok(Value::list(out))
    });
    define(m, &["values"], |n, a| {
        args::exact(n, a, 1)?;
        let out = args::dict(&a[0])?
            .map(|d| d.borrow().values().cloned().collect())
            .unwrap_or_default();
        Ok(Value::list(out))
    });
    define(m, &["pick"], |n, a| {
        args::at_least(n, a, 1)?;
        let keys = args::strings(&a[1..])?;
        let mut out = Map::new();
        if let Some(d) = args::dict(&a[0])? {
            let d = d.borrow();
            for k in keys {
                if let Some(v) = d.get(k) {
                    out.insert(k.to_string(), v.clone());
                }
            }
        }
        Ok(Value::map(out))
    });
    define(m, &["omit"], |n, a| {
        args::at_least(n, a, 1)?;
        let keys = args::strings(&a[1..])?;
        let mut out = Map::new();
        if let Some(d) = args::dict(&a[0])? {
            for (k, v) in d.borrow().iter() {
                if !keys.contains(&k.as_str()) {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(Value::map(out))
    });
    define(m, &["merge", "mustMerge"], |n, a| merge(n, a, false));
    define(m, &["mergeOverwrite", "mustMergeOverwrite"], |n, a| {
        merge(n, a, true)
    });
    define(m, &["dig"], dig);
}
