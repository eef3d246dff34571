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
    validate(pattern)?;
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    Ok(match_from(&p, &n))
}

/// Go rejects a malformed pattern even when the name would not reach the bad part.
fn validate(pattern: &str) -> Result<(), BadPattern> {
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

fn match_from(p: &[char], n: &[char]) -> bool {
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
