//! Sprig's path functions, on Go's `path` as [`gostd::path`] has it. The
//! `os*` variants use `path/filepath`, which on Linux (where deckmod runs)
//! is the same.

use gostd::path::{base, clean, dir, ext, is_abs};
use gotmpl::{FuncMap, Value};

use crate::{args, define};

/// Register the path functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["base", "osBase"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(base(args::string(&a[0])?)))
    });
    define(m, &["dir", "osDir"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(dir(args::string(&a[0])?)))
    });
    define(m, &["clean", "osClean"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(clean(args::string(&a[0])?)))
    });
    define(m, &["ext", "osExt"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(ext(args::string(&a[0])?)))
    });
    define(m, &["isAbs", "osIsAbs"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::Bool(is_abs(args::string(&a[0])?)))
    });
}
