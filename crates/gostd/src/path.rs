//! Go's `path`: slash-separated paths (chart file names, template names).
//! On Linux, where deckmod runs, `path/filepath` behaves the same.

/// Go's `path.Clean`: the shortest path naming the same file (`.` for an
/// empty one; `..` above the root stays at the root).
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
pub fn ext(p: &str) -> &str {
    for (i, c) in p.char_indices().rev() {
        match c {
            '/' => break,
            '.' => return &p[i..],
            _ => {}
        }
    }
    ""
}

/// Go's `path.IsAbs`.
pub fn is_abs(p: &str) -> bool {
    p.starts_with('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_is_gos() {
        assert_eq!(clean("/foo/../foo/../bar"), "/bar");
        assert_eq!(clean("a/../../b/"), "../b");
        assert_eq!(clean("a/../../b"), "../b");
        assert_eq!(clean("out//a/./b/../c/"), "out/a/c");
        assert_eq!(clean("a/./b//c/"), "a/b/c");
        assert_eq!(clean("./out"), "out");
        assert_eq!(clean("/../x"), "/x");
        assert_eq!(clean("../x/.."), "..");
        assert_eq!(clean("/"), "/");
        assert_eq!(clean(""), ".");
    }

    #[test]
    fn base_dir_ext_are_gos() {
        assert_eq!(base("foo/bar/"), "bar");
        assert_eq!(base("///"), "/");
        assert_eq!(base(""), ".");
        assert_eq!(dir("foo/bar/baz"), "foo/bar");
        assert_eq!(dir("baz"), ".");
        assert_eq!(dir("/a"), "/");
        assert_eq!(ext("/a.b/c"), "");
        assert_eq!(ext("x.tar.gz"), ".gz");
        assert!(is_abs("/x") && !is_abs("x"));
    }
}
