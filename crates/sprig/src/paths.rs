//! Slash-separated paths as Go's `path` package handles them. The `os*`
//! variants use `path/filepath`, which on Linux (where deckmod runs) is the same.

use gotmpl::{FuncMap, Value};

use crate::{args, define};

/// Go's `path.Clean`: the shortest equivalent path.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|&l| l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go's `path.Base`: the last element, `.` for empty, `/` for all slashes.
pub fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_string();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// Go's `path.Dir`: everything but the last element, cleaned.
pub fn dir(p: &str) -> String {
    let cut = p.rfind('/').map_or(0, |i| i + 1);
    clean(&p[..cut])
}

/// Go's `path.Ext`: the suffix from the last dot of the last element.
pub fn ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        match c {
            '/' => break,
            '.' => return p[i..].to_string(),
            _ => {}
        }
    }
    String::new()
}

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
        Ok(Value::Bool(args::string(&a[0])?.starts_with('/')))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_path_semantics() {
        assert_eq!(clean("/foo/../foo/../bar"), "/bar");
        assert_eq!(clean("a/../../b/"), "../b");
        assert_eq!(clean("out//a/./b/../c/"), "out/a/c");
        assert_eq!(clean("./out"), "out");
        assert_eq!(clean("/../x"), "/x");
        assert_eq!(clean("../x/.."), "..");
        assert_eq!(clean(""), ".");
        assert_eq!(base("foo/bar/"), "bar");
        assert_eq!(dir("foo/bar/baz"), "foo/bar");
        assert_eq!(dir("baz"), ".");
        assert_eq!(ext("/a.b/c"), "");
        assert_eq!(ext("x.tar.gz"), ".gz");
    }
}
