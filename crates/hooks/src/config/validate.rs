//! Checks serde cannot express: cron syntax, jq syntax, selector rules,
//! references between bindings. Each problem is reported with its JSON
//! pointer.

use std::collections::HashSet;
use std::sync::Arc;

use croner::parser::{CronParser, Seconds};

use super::model::{FieldSelectorOperator, HookConfig, LabelSelector, LabelSelectorOperator};
use crate::jq::JqFilter;

/// A problem found: (JSON pointer, message).
pub type Problem = (String, String);

/// A crontab that does not parse.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CrontabError {
    /// Not 5 or 6 fields.
    #[error(
        "crontab {crontab:?} has {fields} fields, expected 5 (m h dom mon dow) or 6 (s m h dom mon dow)"
    )]
    FieldCount {
        /// The crontab.
        crontab: String,
        /// How many fields it has.
        fields: usize,
    },
    /// A field the cron parser refuses.
    #[error("invalid crontab {crontab:?}: {source}")]
    Invalid {
        /// The crontab.
        crontab: String,
        /// The parser's error.
        source: Arc<croner::errors::CronError>,
    },
}

/// Parse a crontab as shell-operator does: 5 fields, or 6 with leading
/// seconds.
pub fn parse_crontab(crontab: &str) -> Result<croner::Cron, CrontabError> {
    let fields = crontab.split_whitespace().count();
    if fields != 5 && fields != 6 {
        return Err(CrontabError::FieldCount {
            crontab: crontab.to_string(),
            fields,
        });
    }
    CronParser::builder()
        .seconds(Seconds::Optional)
        .build()
        .parse(crontab)
        .map_err(|e| CrontabError::Invalid {
            crontab: crontab.to_string(),
            source: Arc::new(e),
        })
}

fn check_label_selector(sel: &LabelSelector, at: &str, problems: &mut Vec<Problem>) {
    for (i, req) in sel.match_expressions.iter().enumerate() {
        let p = format!("{at}/matchExpressions/{i}");
        match req.operator {
            LabelSelectorOperator::In | LabelSelectorOperator::NotIn if req.values.is_empty() => {
                problems.push((
                    format!("{p}/values"),
                    format!("operator {:?} needs at least one value", req.operator),
                ))
            }
            LabelSelectorOperator::Exists | LabelSelectorOperator::DoesNotExist
                if !req.values.is_empty() =>
            {
                problems.push((
                    format!("{p}/values"),
                    format!("operator {:?} takes no values", req.operator),
                ))
            }
            _ => {}
        }
        if req.key.is_empty() {
            problems.push((format!("{p}/key"), "empty label key".into()));
        }
    }
}

/// Validate a config; returns the compiled jq filter of each kubernetes
/// binding (index-aligned with `config.kubernetes`).
pub fn validate(config: &HookConfig) -> Result<Vec<Option<JqFilter>>, Problem> {
    let mut problems: Vec<Problem> = Vec::new();
    let kube_names: HashSet<&str> = config.kubernetes.iter().map(|b| b.name.as_str()).collect();
    let check_includes = |list: &[String], at: String, problems: &mut Vec<Problem>| {
        for (i, name) in list.iter().enumerate() {
            if !kube_names.contains(name.as_str()) {
                problems.push((
                    format!("{at}/includeSnapshotsFrom/{i}"),
                    format!("no kubernetes binding named {name:?} in this hook"),
                ));
            }
        }
    };

    for (i, s) in config.schedule.iter().enumerate() {
        if let Err(e) = parse_crontab(&s.crontab) {
            problems.push((format!("/schedule/{i}/crontab"), e.to_string()));
        }
        check_includes(
            &s.include_snapshots_from,
            format!("/schedule/{i}"),
            &mut problems,
        );
        check_name(&s.name, format!("/schedule/{i}/name"), &mut problems);
    }

    let mut filters = Vec::with_capacity(config.kubernetes.len());
    for (i, k) in config.kubernetes.iter().enumerate() {
        let at = format!("/kubernetes/{i}");
        check_name(&k.name, format!("{at}/name"), &mut problems);
        if k.kind.trim().is_empty() {
            problems.push((format!("{at}/kind"), "kind must not be empty".into()));
        }
        if let Some(sel) = &k.label_selector {
            check_label_selector(sel, &format!("{at}/labelSelector"), &mut problems);
        }
        if let Some(ns) = &k.namespace
            && let Some(sel) = &ns.label_selector
        {
            check_label_selector(sel, &format!("{at}/namespace/labelSelector"), &mut problems);
        }
        if let Some(fs) = &k.field_selector {
            for (j, req) in fs.match_expressions.iter().enumerate() {
                if req.field.is_empty() {
                    problems.push((
                        format!("{at}/fieldSelector/matchExpressions/{j}/field"),
                        "empty field".into(),
                    ));
                }
                if req.field == "metadata.name"
                    && req.operator == FieldSelectorOperator::Equals
                    && k.name_selector.is_some()
                {
                    problems.push((
                        format!("{at}/fieldSelector/matchExpressions/{j}"),
                        "fieldSelector on metadata.name and nameSelector are mutually exclusive"
                            .into(),
                    ));
                }
            }
        }
        if !k.wait_for_synchronization && k.queue.as_deref().unwrap_or("main") == "main" {
            problems.push((
                format!("{at}/waitForSynchronization"),
                "waitForSynchronization: false is allowed only with a named queue (queue: other than main)".into(),
            ));
        }
        check_includes(&k.include_snapshots_from, at.clone(), &mut problems);
        match &k.jq_filter {
            Some(src) => match JqFilter::compile(src) {
                Ok(f) => filters.push(Some(f)),
                Err(e) => {
                    problems.push((format!("{at}/jqFilter"), e.to_string()));
                    filters.push(None);
                }
            },
            None => filters.push(None),
        }
    }

    let admission = config
        .kubernetes_validating
        .iter()
        .map(|b| ("kubernetesValidating", b))
        .enumerate()
        .chain(
            config
                .kubernetes_mutating
                .iter()
                .map(|b| ("kubernetesMutating", b))
                .enumerate(),
        );
    for (i, (section, b)) in admission {
        let at = format!("/{section}/{i}");
        let labels: Vec<&str> = b.name.split('.').collect();
        if labels.len() < 3 || labels.iter().any(|l| l.is_empty()) {
            problems.push((
                format!("{at}/name"),
                format!(
                    "webhook name {:?} must be a fully qualified domain name with at least three labels",
                    b.name
                ),
            ));
        }
        if b.rules.is_empty() {
            problems.push((
                format!("{at}/rules"),
                "at least one rule is required".into(),
            ));
        }
        if b.timeout_seconds == 0 || b.timeout_seconds > 30 {
            problems.push((
                format!("{at}/timeoutSeconds"),
                "timeoutSeconds must be between 1 and 30".into(),
            ));
        }
        if let Some(sel) = &b.label_selector {
            check_label_selector(sel, &format!("{at}/labelSelector"), &mut problems);
        }
        check_includes(&b.include_snapshots_from, at, &mut problems);
    }

    for (i, c) in config
        .kubernetes_custom_resource_conversion
        .iter()
        .enumerate()
    {
        let at = format!("/kubernetesCustomResourceConversion/{i}");
        if c.crd_name.is_empty() {
            problems.push((format!("{at}/crdName"), "crdName must not be empty".into()));
        }
        if c.conversions.is_empty() {
            problems.push((
                format!("{at}/conversions"),
                "at least one conversion is required".into(),
            ));
        }
        check_includes(&c.include_snapshots_from, at, &mut problems);
    }

    if let Some(settings) = &config.settings
        && settings.execution_burst == 0
    {
        problems.push((
            "/settings/executionBurst".into(),
            "executionBurst must be at least 1".into(),
        ));
    }

    match problems.into_iter().next() {
        Some(p) => Err(p),
        None => Ok(filters),
    }
}

fn check_name(name: &str, at: String, problems: &mut Vec<Problem>) {
    if name.is_empty() {
        problems.push((at, "binding name must not be empty".into()));
    }
}
