//! Masterminds-style semver constraints (`>= 1.68`, `~1.2`, `^1`, `>=1.2, <2 || 3.x`),
//! as DKP writes module requirements. Parsing checks syntax; [`satisfies`]
//! evaluates a constraint against a version.

/// One comparison of a constraint.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Term {
    op: Op,
    version: Partial,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Tilde,
    Caret,
}

/// A version with optional (wildcard) minor and patch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Partial {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
}

/// A parsed constraint: alternatives (`||`) of conjunctions (`,` or space).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constraint {
    any_of: Vec<Vec<Term>>,
}

/// Parse a constraint, or say what is wrong with it.
pub fn parse(text: &str) -> Result<Constraint, String> {
    let mut any_of = Vec::new();
    for alt in text.split("||") {
        let mut all = Vec::new();
        let normalized = alt.replace(',', " ");
        let mut tokens = normalized.split_whitespace().peekable();
        while let Some(tok) = tokens.next() {
            let (op, rest) = split_op(tok);
            // `>= 1.2` has the version in the next token.
            let rest = if rest.is_empty() {
                tokens
                    .next()
                    .ok_or_else(|| format!("`{}` has an operator without a version", text.trim()))?
            } else {
                rest
            };
            all.push(Term {
                op,
                version: parse_partial(rest).map_err(|e| format!("`{}`: {e}", text.trim()))?,
            });
        }
        if all.is_empty() {
            return Err(format!("`{}` has an empty alternative", text.trim()));
        }
        any_of.push(all);
    }
    Ok(Constraint { any_of })
}

fn split_op(tok: &str) -> (Op, &str) {
    for (p, op) in [
        (">=", Op::Ge),
        ("=>", Op::Ge),
        ("<=", Op::Le),
        ("=<", Op::Le),
        ("!=", Op::Ne),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("=", Op::Eq),
        ("~>", Op::Tilde),
        ("~", Op::Tilde),
        ("^", Op::Caret),
    ] {
        if let Some(r) = tok.strip_prefix(p) {
            return (op, r);
        }
    }
    (Op::Eq, tok)
}

fn parse_partial(s: &str) -> Result<Partial, String> {
    let s = s.strip_prefix('v').unwrap_or(s);
    // Pre-release and build metadata are accepted and ignored for ordering.
    let core = s.split(['-', '+']).next().unwrap_or("");
    let mut parts = core.split('.');
    let mut next = |what: &str| -> Result<Option<u64>, String> {
        match parts.next() {
            None | Some("x" | "X" | "*") => Ok(None),
            Some(p) => p
                .parse()
                .map(Some)
                .map_err(|_| format!("`{s}` is not a version ({what} `{p}`)")),
        }
    };
    let v = Partial {
        major: next("major")?,
        minor: next("minor")?,
        patch: next("patch")?,
    };
    if parts.next().is_some() {
        return Err(format!("`{s}` has more than three version parts"));
    }
    if v.major.is_none() && !matches!(core, "x" | "X" | "*") {
        return Err(format!("`{s}` is not a version"));
    }
    Ok(v)
}

/// A full `major.minor.patch` version, parsed leniently (`v1.2` = `1.2.0`).
pub fn parse_version(s: &str) -> Option<(u64, u64, u64)> {
    let p = parse_partial(s).ok()?;
    Some((p.major?, p.minor.unwrap_or(0), p.patch.unwrap_or(0)))
}

impl Constraint {
    /// Whether `version` satisfies the constraint.
    pub fn satisfies(&self, version: (u64, u64, u64)) -> bool {
        self.any_of
            .iter()
            .any(|all| all.iter().all(|t| t.matches(version)))
    }
}

impl Term {
    fn matches(&self, v: (u64, u64, u64)) -> bool {
        let p = self.version;
        let lo = (
            p.major.unwrap_or(0),
            p.minor.unwrap_or(0),
            p.patch.unwrap_or(0),
        );
        // The first version past the wildcard range of `p` (1.2 → 1.3.0).
        let next = match (p.major, p.minor, p.patch) {
            (None, _, _) => (u64::MAX, 0, 0),
            (Some(a), None, _) => (a + 1, 0, 0),
            (Some(a), Some(b), None) => (a, b + 1, 0),
            (Some(a), Some(b), Some(c)) => (a, b, c + 1),
        };
        match self.op {
            Op::Eq => v >= lo && v < next,
            Op::Ne => !(v >= lo && v < next),
            Op::Gt => v >= next,
            Op::Ge => v >= lo,
            Op::Lt => v < lo,
            Op::Le => v < next,
            Op::Tilde => {
                let hi = match p.minor {
                    Some(b) => (lo.0, b + 1, 0),
                    None => (lo.0 + 1, 0, 0),
                };
                v >= lo && v < hi
            }
            Op::Caret => {
                let hi = match (lo.0, p.minor) {
                    (0, Some(b)) if b > 0 => (0, b + 1, 0),
                    (0, Some(0)) => (0, 0, lo.2 + 1),
                    (a, _) => (a + 1, 0, 0),
                };
                v >= lo && v < hi
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dkp_constraints() {
        for ok in [
            ">= 1.68",
            ">=1.68",
            "> 1.2, < 2",
            "~1.2.3",
            "^1",
            "1.x",
            ">= 1.0.0 <2.0.0 || 3.x",
            "v1.2.3",
            "*",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", ">=", "banana", "1.2.3.4", ">= 1.a", "1 ||"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn evaluation() {
        let c = parse(">= 1.68").unwrap();
        assert!(c.satisfies((1, 68, 0)) && c.satisfies((1, 70, 2)) && !c.satisfies((1, 67, 9)));
        let c = parse("~1.2").unwrap();
        assert!(c.satisfies((1, 2, 9)) && !c.satisfies((1, 3, 0)));
        let c = parse("^0.2.3").unwrap();
        assert!(c.satisfies((0, 2, 9)) && !c.satisfies((0, 3, 0)));
        let c = parse("> 1.2").unwrap();
        assert!(!c.satisfies((1, 2, 5)) && c.satisfies((1, 3, 0)));
    }
}
