//! The order of modules' first converge (lifecycle spec §3): critical
//! modules (`critical: true`) one after another by weight, then name;
//! functional modules after every critical one, each as soon as the
//! modules it requires (`requirements.modules`, ` !optional` ones too:
//! they only order) have converged, independent ones side by side.
//!
//! Each module waits only for predecessors that are enabled: a disabled
//! one does not hold it, and a failing one counts once its first attempt
//! ended (its failure is on its own status; the brief's rule that one
//! module's failure never stops the others wins over addon-operator's
//! blocked main queue). Pure: the workers publish their [`Stage`] and
//! ask [`may_start`].

use std::collections::BTreeMap;

/// Where a module is in its first converge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Its configuration has not been read yet.
    Undecided,
    /// Disabled.
    Disabled,
    /// Enabled; its first run has not ended.
    Pending,
    /// Enabled; its first run ended (succeeded or failed).
    Done,
}

impl Stage {
    /// Whether the module is enabled.
    pub fn enabled(self) -> bool {
        matches!(self, Stage::Pending | Stage::Done)
    }
}

/// What ordering needs of a module.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Module name.
    pub name: String,
    /// `weight` (900 when not given).
    pub weight: i64,
    /// `critical: true`.
    pub critical: bool,
    /// Names of the modules it requires.
    pub requires: Vec<String>,
}

/// For every module, the modules whose first converge it waits for.
pub fn predecessors(entries: &[Entry]) -> BTreeMap<String, Vec<String>> {
    let mut critical: Vec<&Entry> = entries.iter().filter(|e| e.critical).collect();
    critical.sort_by(|a, b| a.weight.cmp(&b.weight).then_with(|| a.name.cmp(&b.name)));
    let mut out = BTreeMap::new();
    for (i, e) in critical.iter().enumerate() {
        let mut before: Vec<String> = critical[..i].iter().map(|c| c.name.clone()).collect();
        before.extend(e.requires.iter().filter(|r| **r != e.name).cloned());
        before.sort();
        before.dedup();
        out.insert(e.name.clone(), before);
    }
    for e in entries.iter().filter(|e| !e.critical) {
        let mut before: Vec<String> = critical.iter().map(|c| c.name.clone()).collect();
        before.extend(
            e.requires
                .iter()
                .filter(|r| **r != e.name && entries.iter().any(|x| &x.name == *r))
                .cloned(),
        );
        before.sort();
        before.dedup();
        out.insert(e.name.clone(), before);
    }
    out
}

/// Whether a module whose predecessors are `before` may start its first
/// run: each is disabled or done (an unknown one does not hold it).
pub fn may_start(before: &[String], stages: &BTreeMap<String, Stage>) -> bool {
    before.iter().all(|p| {
        matches!(
            stages.get(p),
            None | Some(Stage::Disabled) | Some(Stage::Done)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(name: &str, weight: i64, critical: bool, requires: &[&str]) -> Entry {
        Entry {
            name: name.into(),
            weight,
            critical,
            requires: requires.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn critical_by_weight_then_name_functional_after_them_and_their_requirements() {
        let p = predecessors(&[
            e("b", 10, true, &[]),
            e("a", 10, true, &[]),
            e("c", 5, true, &[]),
            e("x", 900, false, &["y", "missing"]),
            e("y", 900, false, &[]),
        ]);
        assert_eq!(p["c"], Vec::<String>::new());
        assert_eq!(p["a"], ["c"]);
        assert_eq!(p["b"], ["a", "c"]);
        assert_eq!(p["y"], ["a", "b", "c"]);
        assert_eq!(p["x"], ["a", "b", "c", "y"]);
    }

    #[test]
    fn only_enabled_unfinished_predecessors_hold() {
        let before = vec!["a".to_string(), "b".to_string()];
        let mut s = BTreeMap::new();
        s.insert("a".to_string(), Stage::Undecided);
        s.insert("b".to_string(), Stage::Done);
        assert!(!may_start(&before, &s), "undecided holds");
        s.insert("a".into(), Stage::Pending);
        assert!(!may_start(&before, &s), "pending holds");
        s.insert("a".into(), Stage::Disabled);
        assert!(may_start(&before, &s));
        s.insert("a".into(), Stage::Done);
        assert!(may_start(&before, &s));
    }
}
