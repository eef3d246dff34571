//! Go's `path/filepath.Match` (shell patterns where `*` and `?` stop at
//! `/`), used by `.helmignore` rules and `--show-only`.

/// The pattern is malformed (Go's `filepath.ErrBadPattern`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPattern;

impl std::fmt::Display for BadPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("syntax error in pattern")
    }
}

/// Whether `name` matches the shell `pattern` entirely, as Go's
/// `filepath.Match` decides on Unix: `*` is any run of non-`/` runes, `?`
/// one non-`/` rune, `[...]` a class (`^` negates, `a-z` ranges), `\`
/// escapes.
pub fn matches(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    Ok(Glob::new(pattern)?.matches(name))
}

/// A pattern checked and parsed once, for matching many names (Go
/// rejects a malformed pattern even when a name would not reach the bad
/// part, so a `Glob` exists only for valid patterns).
#[derive(Debug, Clone)]
pub struct Glob {
    toks: Vec<Tok>,
    shape: Shape,
}

/// The common shapes of `.helmignore` rules, matched without the general
/// backtracking loop.
#[derive(Debug, Clone)]
enum Shape {
    /// Only literal runes: the name must equal this.
    Exact(String),
    /// `*` then only literal runes: the name must end with this, with no
    /// `/` before it (what the star takes).
    StarSuffix(String),
    /// Anything else.
    General,
}

#[derive(Debug, Clone)]
enum Tok {
    /// `*`: any run of non-`/` runes.
    Star,
    /// `?`: one non-`/` rune.
    Any,
    /// `[...]`: one non-`/` rune in (or, negated, not in) the ranges.
    Class(Class),
    /// A rune matched as itself (escaped or plain).
    Lit(char),
}

impl Glob {
    /// Parse `pattern`; malformed (an unclosed or empty class, a bad
    /// range, a trailing `\`) is [`BadPattern`].
    pub fn new(pattern: &str) -> Result<Glob, BadPattern> {
        let p: Vec<char> = pattern.chars().collect();
        let mut toks = Vec::with_capacity(p.len());
        let mut i = 0;
        while i < p.len() {
            match p[i] {
                '*' => {
                    toks.push(Tok::Star);
                    i += 1;
                }
                '?' => {
                    toks.push(Tok::Any);
                    i += 1;
                }
                '\\' => {
                    let c = *p.get(i + 1).ok_or(BadPattern)?;
                    toks.push(Tok::Lit(c));
                    i += 2;
                }
                '[' => {
                    let (class, next) = parse_class(&p, i).ok_or(BadPattern)?;
                    toks.push(Tok::Class(class));
                    i = next;
                }
                c => {
                    toks.push(Tok::Lit(c));
                    i += 1;
                }
            }
        }
        let literal = |toks: &[Tok]| -> Option<String> {
            toks.iter()
                .map(|t| match t {
                    Tok::Lit(c) => Some(*c),
                    _ => None,
                })
                .collect()
        };
        let shape = match toks.split_first() {
            Some((Tok::Star, rest)) => literal(rest).map_or(Shape::General, Shape::StarSuffix),
            _ => literal(&toks).map_or(Shape::General, Shape::Exact),
        };
        Ok(Glob { toks, shape })
    }

    /// Whether `name` matches entirely. Allocation-free: positions in
    /// `name` are byte offsets at rune boundaries.
    pub fn matches(&self, name: &str) -> bool {
        match &self.shape {
            Shape::Exact(text) => return name == text,
            Shape::StarSuffix(suffix) => {
                return name
                    .strip_suffix(suffix.as_str())
                    .is_some_and(|head| !head.contains('/'));
            }
            Shape::General => {}
        }
        let t = &self.toks;
        let n = name.as_bytes();
        let rune_at = |i: usize| -> (char, usize) {
            let b = n[i];
            if b < 0x80 {
                (b as char, 1)
            } else {
                let c = name[i..].chars().next().unwrap_or('\u{FFFD}');
                (c, c.len_utf8())
            }
        };
        let (mut ti, mut ni) = (0, 0);
        // Backtracking point for the last `*`: token index after it, name offset.
        let mut star: Option<(usize, usize)> = None;
        loop {
            if ti < t.len() {
                if let Tok::Star = t[ti] {
                    star = Some((ti + 1, ni));
                    ti += 1;
                    continue;
                }
                if ni < n.len() {
                    let (c, len) = rune_at(ni);
                    let ok = match &t[ti] {
                        Tok::Any => c != '/',
                        Tok::Class(class) => c != '/' && class.matches(c),
                        Tok::Lit(l) => *l == c,
                        Tok::Star => unreachable!("handled above"),
                    };
                    if ok {
                        ti += 1;
                        ni += len;
                        continue;
                    }
                }
            } else if ni == n.len() {
                return true;
            }
            // Mismatch: let the last star swallow one more non-separator rune.
            match star {
                Some((st, sn)) if sn < n.len() => {
                    let (c, len) = rune_at(sn);
                    if c == '/' {
                        return false;
                    }
                    star = Some((st, sn + len));
                    ti = st;
                    ni = sn + len;
                }
                _ => return false,
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl Class {
    fn matches(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }
}

/// Parse `[...]` starting at `start`; returns the class and the index after `]`.
fn parse_class(p: &[char], start: usize) -> Option<(Class, usize)> {
    let mut i = start + 1;
    let negated = p.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let c = *p.get(i)?;
        if c == ']' && !first {
            return Some((Class { negated, ranges }, i + 1));
        }
        first = false;
        let (lo, next) = class_char(p, i)?;
        i = next;
        let mut hi = lo;
        if p.get(i) == Some(&'-') {
            let (h, next) = class_char(p, i + 1)?;
            hi = h;
            i = next;
        }
        ranges.push((lo, hi));
    }
}

fn class_char(p: &[char], i: usize) -> Option<(char, usize)> {
    match *p.get(i)? {
        '-' | ']' => None,
        '\\' => Some((*p.get(i + 1)?, i + 2)),
        c => Some((c, i + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matcher this module had before patterns were compiled (one
    /// `Vec<char>` per call): the reference the compiled `Glob` must agree with.
    fn old_matches(pattern: &str, name: &str) -> Result<bool, BadPattern> {
        old_validate(pattern)?;
        let p: Vec<char> = pattern.chars().collect();
        let n: Vec<char> = name.chars().collect();
        Ok(old_match_from(&p, &n))
    }

    fn old_validate(pattern: &str) -> Result<(), BadPattern> {
        let p: Vec<char> = pattern.chars().collect();
        let mut i = 0;
        while i < p.len() {
            match p[i] {
                '\\' => {
                    if i + 1 >= p.len() {
                        return Err(BadPattern);
                    }
                    i += 2;
                }
                '[' => {
                    let (_, next) = parse_class(&p, i).ok_or(BadPattern)?;
                    i = next;
                }
                _ => i += 1,
            }
        }
        Ok(())
    }

    fn old_match_from(p: &[char], n: &[char]) -> bool {
        let (mut pi, mut ni) = (0, 0);
        // Backtracking point for the last `*`: pattern index after it, name index.
        let mut star: Option<(usize, usize)> = None;
        loop {
            if pi < p.len() {
                match p[pi] {
                    '*' => {
                        star = Some((pi + 1, ni));
                        pi += 1;
                        continue;
                    }
                    '?' if ni < n.len() && n[ni] != '/' => {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                    '[' if ni < n.len() => {
                        if let Some((class, next)) = parse_class(p, pi)
                            && n[ni] != '/'
                            && class.matches(n[ni])
                        {
                            pi = next;
                            ni += 1;
                            continue;
                        }
                    }
                    '\\' if pi + 1 < p.len() && ni < n.len() && p[pi + 1] == n[ni] => {
                        pi += 2;
                        ni += 1;
                        continue;
                    }
                    c if c != '?' && c != '[' && c != '\\' && ni < n.len() && c == n[ni] => {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                    _ => {}
                }
            } else if ni == n.len() {
                return true;
            }
            // Mismatch: let the last star swallow one more non-separator rune.
            match star {
                Some((sp, sn)) if sn < n.len() && n[sn] != '/' => {
                    star = Some((sp, sn + 1));
                    pi = sp;
                    ni = sn + 1;
                }
                _ => return false,
            }
        }
    }

    #[test]
    fn compiled_glob_agrees_with_the_old_matcher_on_random_inputs() {
        let pattern_parts = [
            "*", "?", "a", "b", "/", ".", "-", "^", "]", "[", "[a-c]", "[^b]", "[]a]", "\\", "\\*",
            "é", "x",
        ];
        let name_parts = [
            "a", "b", "c", "/", ".", "-", "*", "?", "[", "]", "é", "x", "\\",
        ];
        let mut rng = testkit::XorShift::new(0x9E37_79B9_7F4A_7C15);
        let mut agreed_matches = 0;
        for _ in 0..200_000 {
            let pattern = rng.text(&pattern_parts, 6);
            let name = rng.text(&name_parts, 6);
            let old = old_matches(&pattern, &name);
            assert_eq!(matches(&pattern, &name), old, "{pattern:?} vs {name:?}");
            if old == Ok(true) {
                agreed_matches += 1;
            }
        }
        // The inputs must exercise real matches, not just rejections.
        assert!(agreed_matches > 1000, "{agreed_matches}");
    }

    #[test]
    fn go_match_semantics() {
        assert!(matches("*.yaml", "a.yaml").unwrap());
        assert!(!matches("*.yaml", "dir/a.yaml").unwrap());
        assert!(matches("templates/*", "templates/x.yaml").unwrap());
        assert!(matches("a?c", "abc").unwrap());
        assert!(!matches("a?c", "a/c").unwrap());
        assert!(matches("[a-c]x", "bx").unwrap());
        assert!(matches("[^a-c]x", "dx").unwrap());
        assert!(matches(r"a\*", "a*").unwrap());
        assert!(matches("*", "").unwrap());
        assert!(matches("a*b*c", "aXXbYYc").unwrap());
        assert!(!matches("a*b*c", "aXXbYY").unwrap());
        assert!(matches(".?*", ".git").unwrap());
        assert!(!matches(".?*", ".").unwrap());
        assert_eq!(matches("[", "a"), Err(BadPattern));
        assert_eq!(matches("a\\", "a"), Err(BadPattern));
    }
}
