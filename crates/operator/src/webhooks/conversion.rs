//! CRD conversion by hooks (`kubernetesCustomResourceConversion`):
//! the chain of conversion steps from an object's version to the one the
//! API server asks for, and a ConversionReview answered by running the
//! steps' hooks in turn.
//!
//! As shell-operator does: each step's hook gets every object of the
//! request (it converts those of its `fromVersion` and passes the rest
//! through), the objects it returns go to the next step, and the review
//! succeeds once every object is of the desired version.

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Value, json};

/// One conversion step a hook offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// `group/version` converted from.
    pub from: String,
    /// `group/version` converted to.
    pub to: String,
    /// The versions as the hook declares them (`v1` or `group/v1`): what
    /// its binding context's `fromVersion` and `toVersion` say, as in
    /// shell-operator.
    pub declared: (String, String),
    /// The hook (index in its set) and binding that convert.
    pub hook: usize,
    /// The binding's name.
    pub binding: String,
}

/// The conversion steps of one CRD.
#[derive(Clone, Debug, Default)]
pub struct Chains {
    steps: Vec<Step>,
}

/// `version` with the CRD's group when it names none (`v1` of
/// `crontabs.stable.example.com` is `stable.example.com/v1`).
pub fn qualified(version: &str, crd_name: &str) -> String {
    if version.contains('/') {
        return version.to_string();
    }
    match crd_name.split_once('.') {
        Some((_, group)) => format!("{group}/{version}"),
        None => version.to_string(),
    }
}

impl Chains {
    /// Add a step (versions already qualified).
    pub fn add(&mut self, step: Step) {
        self.steps.push(step);
    }

    /// The shortest sequence of steps from `from` to `to` (breadth first,
    /// steps tried in the order the hooks declare them, so the answer is
    /// always the same); `None` when no chain leads there. Empty when
    /// `from` is `to`.
    pub fn path(&self, from: &str, to: &str) -> Option<Vec<&Step>> {
        if from == to {
            return Some(Vec::new());
        }
        // The step that first reached each version.
        let mut reached: BTreeMap<&str, Option<usize>> = BTreeMap::from([(from, None)]);
        let mut frontier = VecDeque::from([from]);
        while let Some(at) = frontier.pop_front() {
            for (i, s) in self.steps.iter().enumerate() {
                if s.from != at || reached.contains_key(s.to.as_str()) {
                    continue;
                }
                reached.insert(&s.to, Some(i));
                if s.to == to {
                    let mut path = Vec::new();
                    let mut v = to;
                    while let Some(Some(i)) = reached.get(v) {
                        path.push(&self.steps[*i]);
                        v = &self.steps[*i].from;
                    }
                    path.reverse();
                    return Some(path);
                }
                frontier.push_back(&s.to);
            }
        }
        None
    }
}

/// The distinct `apiVersion`s of `objects`, in the order first seen.
pub fn versions_of(objects: &[Value]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for o in objects {
        let v = o
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !seen.iter().any(|s| s == v) {
            seen.push(v.to_string());
        }
    }
    seen
}

/// The review's answer: the converted objects, or a failure with its
/// message, in the review's own `apiVersion`.
pub fn answer(review: &Value, outcome: Result<Vec<Value>, String>) -> Value {
    let uid = review.pointer("/request/uid").cloned().unwrap_or(json!(""));
    let api_version = review
        .get("apiVersion")
        .cloned()
        .unwrap_or(json!("apiextensions.k8s.io/v1"));
    let response = match outcome {
        Ok(objects) => json!({
            "uid": uid,
            "convertedObjects": objects,
            "result": {"status": "Success"},
        }),
        Err(message) => json!({
            "uid": uid,
            "convertedObjects": [],
            "result": {"status": "Failure", "message": message},
        }),
    };
    json!({"apiVersion": api_version, "kind": "ConversionReview", "response": response})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(from: &str, to: &str, hook: usize) -> Step {
        Step {
            from: from.into(),
            to: to.into(),
            declared: (from.into(), to.into()),
            hook,
            binding: format!("{from}->{to}"),
        }
    }

    fn names(p: Option<Vec<&Step>>) -> Option<Vec<String>> {
        p.map(|p| p.iter().map(|s| s.binding.clone()).collect())
    }

    #[test]
    fn the_shortest_chain_is_found_and_a_missing_one_is_none() {
        let mut c = Chains::default();
        c.add(step("g/v1alpha1", "g/v1beta1", 0));
        c.add(step("g/v1beta1", "g/v1", 1));
        c.add(step("g/v1", "g/v1beta1", 1));
        c.add(step("g/v1beta1", "g/v1alpha1", 0));
        c.add(step("g/v1alpha1", "g/v1", 2));
        assert_eq!(
            names(c.path("g/v1alpha1", "g/v1")),
            Some(vec!["g/v1alpha1->g/v1".into()])
        );
        assert_eq!(
            names(c.path("g/v1", "g/v1alpha1")),
            Some(vec![
                "g/v1->g/v1beta1".into(),
                "g/v1beta1->g/v1alpha1".into()
            ])
        );
        assert_eq!(c.path("g/v1", "g/v1").map(|p| p.len()), Some(0));
        assert_eq!(names(c.path("g/v1", "g/v2")), None);
        assert_eq!(names(c.path("other/v1", "g/v1")), None);
    }

    #[test]
    fn cycles_end_and_versions_get_the_crds_group() {
        let mut c = Chains::default();
        c.add(step("g/a", "g/b", 0));
        c.add(step("g/b", "g/a", 0));
        assert_eq!(names(c.path("g/a", "g/c")), None);
        assert_eq!(
            qualified("v1", "crontabs.stable.example.com"),
            "stable.example.com/v1"
        );
        assert_eq!(
            qualified("x.io/v1", "crontabs.stable.example.com"),
            "x.io/v1"
        );
    }

    #[test]
    fn answers_keep_the_uid_and_the_reviews_version() {
        let review =
            json!({"apiVersion": "apiextensions.k8s.io/v1beta1", "request": {"uid": "u1"}});
        let ok = answer(&review, Ok(vec![json!({"a": 1})]));
        assert_eq!(ok["apiVersion"], "apiextensions.k8s.io/v1beta1");
        assert_eq!(ok["response"]["uid"], "u1");
        assert_eq!(ok["response"]["convertedObjects"][0]["a"], 1);
        let failed = answer(&review, Err("no".into()));
        assert_eq!(
            failed["response"]["result"],
            json!({"status": "Failure", "message": "no"})
        );
        assert_eq!(
            versions_of(&[
                json!({"apiVersion": "a"}),
                json!({"apiVersion": "b"}),
                json!({"apiVersion": "a"})
            ]),
            ["a", "b"]
        );
    }
}
