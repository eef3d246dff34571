//! `.helmignore`: Helm's ignore rules (not quite `.gitignore`): one shell
//! pattern per line, `#` comments, `!` negation, a trailing `/` for
//! directories only, a leading `/` or an inner `/` to match the whole
//! relative path, otherwise the base name; `**` is rejected.

use crate::pathmatch;

/// The file name Helm reads the rules from, at the chart root.
pub const HELM_IGNORE: &str = ".helmignore";

#[derive(Debug, Clone)]
struct Pattern {
    /// The rule with `!`, a trailing `/` and a leading `/` taken off,
    /// compiled; `None` when what is left is malformed (it then matches
    /// nothing, as Go's `filepath.Match` error is taken for no match).
    rule: Option<pathmatch::Glob>,
    negate: bool,
    must_dir: bool,
    scope: Scope,
}

#[derive(Debug, Clone, Copy)]
enum Scope {
    /// The rule had a leading `/` or an inner `/`: match the relative path.
    Path,
    /// No `/`: match the base name only.
    BaseName,
}

/// A `.helmignore` rule Helm refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IgnoreError {
    /// A rule with `**`.
    #[error("double-star (**) syntax is not supported")]
    DoubleStar {
        /// The rule (its line, trimmed).
        rule: String,
    },
    /// A rule that is not a valid glob.
    #[error("syntax error in pattern")]
    Syntax {
        /// The rule (its line, trimmed).
        rule: String,
    },
}

/// A parsed set of ignore rules.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    patterns: Vec<Pattern>,
}

impl Rules {
    /// Parse the text of a `.helmignore` file.
    pub fn parse(text: &str) -> Result<Rules, IgnoreError> {
        let mut rules = Rules::default();
        for line in text.lines() {
            rules.add(line)?;
        }
        Ok(rules)
    }

    /// Add Helm's default rule: hidden files under the top `templates/`.
    pub fn add_defaults(&mut self) {
        // A fixed, valid pattern: cannot fail.
        let _ = self.add("templates/.?*");
    }

    fn add(&mut self, line: &str) -> Result<(), IgnoreError> {
        let rule = line.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err(IgnoreError::DoubleStar {
                rule: rule.to_string(),
            });
        }
        if pathmatch::matches(rule, "abc").is_err() {
            return Err(IgnoreError::Syntax {
                rule: rule.to_string(),
            });
        }
        let (negate, rule) = match rule.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, rule),
        };
        let (must_dir, rule) = match rule.strip_suffix('/') {
            Some(r) => (true, r),
            None => (false, rule),
        };
        let (scope, rule) = if let Some(r) = rule.strip_prefix('/') {
            (Scope::Path, r)
        } else if rule.contains('/') {
            (Scope::Path, rule)
        } else {
            (Scope::BaseName, rule)
        };
        self.patterns.push(Pattern {
            rule: pathmatch::Glob::new(rule).ok(),
            negate,
            must_dir,
            scope,
        });
        Ok(())
    }

    /// Whether the chart-relative `path` (with `/` separators) is ignored.
    /// Mirrors Helm exactly, including that a negated rule which does not
    /// match ignores the path.
    pub fn ignore(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        let base = path.rsplit('/').next().unwrap_or(path);
        for p in &self.patterns {
            let subject = match p.scope {
                Scope::Path => path,
                Scope::BaseName => base,
            };
            let matched = p.rule.as_ref().is_some_and(|g| g.matches(subject));
            if p.negate {
                if p.must_dir && !is_dir {
                    return true;
                }
                if !matched {
                    return true;
                }
                continue;
            }
            if p.must_dir && !is_dir {
                continue;
            }
            if matched {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_ignore_rules() {
        let mut r = Rules::parse("# comment\n*.bak\n/top.txt\ndocs/\nsub/*.md\n").unwrap();
        r.add_defaults();
        assert!(r.ignore("a.bak", false));
        assert!(r.ignore("deep/x.bak", false));
        assert!(r.ignore("top.txt", false));
        assert!(!r.ignore("dir/top.txt", false));
        assert!(r.ignore("docs", true));
        assert!(!r.ignore("docs", false));
        assert!(r.ignore("sub/a.md", false));
        assert!(!r.ignore("other/sub/a.md", false));
        assert!(r.ignore("templates/.hidden", false));
        assert!(!r.ignore("charts/x/templates/.hidden", false));
        assert!(!r.ignore("values.yaml", false));
    }

    #[test]
    fn negation_ignores_what_it_does_not_match() {
        let r = Rules::parse("!keep.txt\n").unwrap();
        assert!(r.ignore("other.txt", false));
        assert!(!r.ignore("keep.txt", false));
    }

    #[test]
    fn a_rule_malformed_once_stripped_matches_nothing() {
        // `a\/` is a valid pattern, but without its directory slash `a\`
        // is not: Helm's match fails, so the rule ignores nothing.
        let r = Rules::parse("a\\/\n").unwrap();
        assert!(!r.ignore("a\\", true));
        assert!(!r.ignore("a", true));
        let negated = Rules::parse("!a\\/\n").unwrap();
        assert!(negated.ignore("a\\", true));
    }

    #[test]
    fn double_star_is_rejected() {
        assert!(Rules::parse("a/**/b\n").is_err());
    }
}
