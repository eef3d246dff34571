//! A kubernetes binding's selectors as the API server takes them: the
//! label and field selector strings of the watches it needs, one watch per
//! namespace it names.

use hooks::config::{
    FieldSelectorOperator, KubernetesBinding, LabelSelector, LabelSelectorOperator,
};

/// A label selector in the API's string form (`a=b,c in (d,e),!f`).
pub fn label_selector(sel: &LabelSelector) -> String {
    let mut parts: Vec<String> = sel
        .match_labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for e in &sel.match_expressions {
        parts.push(match e.operator {
            LabelSelectorOperator::In => format!("{} in ({})", e.key, e.values.join(",")),
            LabelSelectorOperator::NotIn => format!("{} notin ({})", e.key, e.values.join(",")),
            LabelSelectorOperator::Exists => e.key.clone(),
            LabelSelectorOperator::DoesNotExist => format!("!{}", e.key),
        });
    }
    parts.join(",")
}

/// One watch a binding needs: namespace (`None`: all), label selector,
/// field selector.
pub type WatchSpec = (Option<String>, String, String);

/// The watches a binding needs, and the object names to keep when the
/// binding names several (one name goes into the field selector instead).
pub fn watches_of(b: &KubernetesBinding) -> (Vec<WatchSpec>, Option<Vec<String>>) {
    let labels = b
        .label_selector
        .as_ref()
        .map(label_selector)
        .unwrap_or_default();
    let mut fields: Vec<String> = b
        .field_selector
        .iter()
        .flat_map(|f| &f.match_expressions)
        .map(|e| match e.operator {
            FieldSelectorOperator::Equals => format!("{}={}", e.field, e.value),
            FieldSelectorOperator::NotEquals => format!("{}!={}", e.field, e.value),
        })
        .collect();
    let names = b
        .name_selector
        .as_ref()
        .map(|n| n.match_names.clone())
        .unwrap_or_default();
    let mut keep_names = None;
    match names.as_slice() {
        [] => {}
        [one] => fields.push(format!("metadata.name={one}")),
        many => keep_names = Some(many.to_vec()),
    }
    let fields = fields.join(",");
    let namespaces: Vec<Option<String>> = match b
        .namespace
        .as_ref()
        .and_then(|n| n.name_selector.as_ref())
        .map(|n| n.match_names.clone())
    {
        Some(list) if !list.is_empty() => list.into_iter().map(Some).collect(),
        _ => vec![None],
    };
    (
        namespaces
            .into_iter()
            .map(|ns| (ns, labels.clone(), fields.clone()))
            .collect(),
        keep_names,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hooks::config::{LabelSelectorRequirement, NameSelector, NamespaceSelector};

    #[test]
    fn selectors_are_spelled_as_the_api_takes_them() {
        let sel = LabelSelector {
            match_labels: [("app".to_string(), "x".to_string())].into(),
            match_expressions: vec![
                LabelSelectorRequirement {
                    key: "tier".into(),
                    operator: LabelSelectorOperator::In,
                    values: vec!["a".into(), "b".into()],
                },
                LabelSelectorRequirement {
                    key: "skip".into(),
                    operator: LabelSelectorOperator::DoesNotExist,
                    values: vec![],
                },
            ],
        };
        assert_eq!(label_selector(&sel), "app=x,tier in (a,b),!skip");
    }

    #[test]
    fn one_watch_per_named_namespace_and_names_as_field_selector() {
        let mut b = KubernetesBinding::with_kind("cms", "ConfigMap");
        b.namespace = Some(NamespaceSelector {
            name_selector: Some(NameSelector {
                match_names: vec!["a".into(), "b".into()],
            }),
            label_selector: None,
        });
        b.name_selector = Some(NameSelector {
            match_names: vec!["only".into()],
        });
        let (w, keep) = watches_of(&b);
        assert_eq!(w.len(), 2);
        assert_eq!(
            w[0],
            (Some("a".into()), String::new(), "metadata.name=only".into())
        );
        assert!(keep.is_none());
    }
}
