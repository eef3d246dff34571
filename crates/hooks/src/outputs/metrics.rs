//! `METRICS_PATH`: JSON lines of metric operations, and a
//! `prometheus-client` registry they are applied to (`/metrics/hooks`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use serde::Serialize;
use serde_json::Value;

use super::OutputError;

/// What a metric operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricAction {
    /// Increase a counter.
    Add,
    /// Set a gauge.
    Set,
    /// Observe a histogram sample.
    Observe,
    /// Drop every series of a group.
    Expire,
}

/// One validated metric operation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricOperation {
    /// Metric name (empty only for `expire`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Action.
    pub action: MetricAction,
    /// Value (absent for `expire`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Histogram buckets (`observe`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buckets: Option<Vec<f64>>,
    /// Labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

fn valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Parse the metrics file (JSON lines; blank lines ignored).
pub fn parse_metrics(file: &str, text: &str) -> Result<Vec<MetricOperation>, OutputError> {
    let mut ops = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = |m: String| OutputError::new(file, format!("line {}: {m}", i + 1));
        let v: Value = serde_json::from_str(line).map_err(|e| at(format!("not JSON: {e}")))?;
        let obj = v
            .as_object()
            .ok_or_else(|| at("expected a JSON object".into()))?;
        for key in obj.keys() {
            if ![
                "name", "action", "value", "buckets", "labels", "group", "add", "set",
            ]
            .contains(&key.as_str())
            {
                return Err(at(format!("unknown field {key:?}")));
            }
        }
        let string = |k: &str| -> Result<Option<String>, OutputError> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(at(format!("{k:?} must be a string"))),
            }
        };
        let number = |k: &str| -> Result<Option<f64>, OutputError> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => Ok(n.as_f64()),
                Some(_) => Err(at(format!("{k:?} must be a number"))),
            }
        };
        let name = string("name")?.unwrap_or_default();
        let group = string("group")?;
        let mut value = number("value")?;
        // Deprecated shortcuts {"name":"x","set":3} / {"add":1}.
        let action = match string("action")?.as_deref() {
            Some("add") => MetricAction::Add,
            Some("set") => MetricAction::Set,
            Some("observe") => MetricAction::Observe,
            Some("expire") => MetricAction::Expire,
            Some(other) => return Err(at(format!("unknown action {other:?}"))),
            None => {
                if let Some(v) = number("set")? {
                    value = Some(v);
                    MetricAction::Set
                } else if let Some(v) = number("add")? {
                    value = Some(v);
                    MetricAction::Add
                } else {
                    return Err(at("missing \"action\"".into()));
                }
            }
        };
        let labels = match obj.get("labels") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(at(format!("label {k:?} must be a string"))),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(at("\"labels\" must be an object".into())),
        };
        for k in labels.keys() {
            if !valid_metric_name(k) || k.contains(':') {
                return Err(at(format!("invalid label name {k:?}")));
            }
        }
        let buckets = match obj.get("buckets") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|b| {
                        b.as_f64()
                            .ok_or_else(|| at("buckets must be numbers".into()))
                    })
                    .collect::<Result<Vec<f64>, _>>()?,
            ),
            Some(_) => return Err(at("\"buckets\" must be an array".into())),
        };
        match action {
            MetricAction::Expire => {
                if group.is_none() {
                    return Err(at("\"expire\" needs a \"group\"".into()));
                }
            }
            _ => {
                if !valid_metric_name(&name) {
                    return Err(at(format!("invalid metric name {name:?}")));
                }
                let v = value.ok_or_else(|| at("missing \"value\"".into()))?;
                if !v.is_finite() {
                    return Err(at("value must be finite".into()));
                }
            }
        }
        if action == MetricAction::Observe {
            match &buckets {
                None => return Err(at("\"observe\" needs \"buckets\"".into())),
                Some(b) if b.windows(2).any(|w| w[0] >= w[1]) => {
                    return Err(at("buckets must be strictly increasing".into()));
                }
                _ => {}
            }
            if group.is_some() {
                return Err(at("\"observe\" is not supported for grouped metrics".into()));
            }
        }
        if action == MetricAction::Add && value.is_some_and(|v| v < 0.0) {
            return Err(at(
                "a counter cannot decrease (\"add\" with a negative value)".into(),
            ));
        }
        ops.push(MetricOperation {
            name,
            action,
            value,
            buckets,
            labels,
            group,
        });
    }
    Ok(ops)
}

type Labels = Vec<(String, String)>;
type HistogramFamily = Family<Labels, Histogram, BucketsConstructor>;

/// Builds histograms with a family's buckets.
#[derive(Clone, Debug)]
struct BucketsConstructor(Vec<f64>);

impl prometheus_client::metrics::family::MetricConstructor<Histogram> for BucketsConstructor {
    fn new_metric(&self) -> Histogram {
        Histogram::new(self.0.iter().copied())
    }
}

/// Hook metrics as a Prometheus registry (`/metrics/hooks`), with
/// shell-operator's group semantics: on each run, every series a hook
/// previously emitted with a group is dropped before the new operations of
/// that group are applied.
///
/// Families are created on first use with the kind the first operation
/// implies; an operation of another kind on an existing name is an error.
/// Counters use `prometheus-client`'s f64 counters; the `_total` suffix
/// is added by the text encoder as OpenMetrics requires.
#[derive(Default)]
pub struct HookMetrics {
    counters: HashMap<String, Family<Labels, Counter<f64, AtomicU64>>>,
    gauges: HashMap<String, Family<Labels, Gauge<f64, AtomicU64>>>,
    histograms: HashMap<String, (Vec<f64>, HistogramFamily)>,
    /// Per (hook, group): the series set through that group.
    groups: HashMap<(String, String), Vec<(String, Labels)>>,
}

impl std::fmt::Debug for HookMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookMetrics").finish_non_exhaustive()
    }
}

/// A metric operation that clashes with a metric already registered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    /// The name is registered as another type.
    #[error("metric {name:?} already exists with another type than {kind}")]
    TypeClash {
        /// The metric's name.
        name: String,
        /// The type the operation wanted (`counter`, `gauge`, `histogram`).
        kind: &'static str,
    },
    /// A histogram of that name has other buckets.
    #[error("histogram {name:?} already exists with other buckets")]
    BucketsClash {
        /// The metric's name.
        name: String,
    },
}

impl HookMetrics {
    /// Apply one run's operations for `hook` (adds label `hook`).
    pub fn apply(&mut self, hook: &str, ops: &[MetricOperation]) -> Result<(), MetricError> {
        // Expire every group the run mentions, then apply.
        let mut seen_groups: Vec<&str> = ops.iter().filter_map(|o| o.group.as_deref()).collect();
        seen_groups.dedup();
        for g in seen_groups {
            self.expire(hook, g);
        }
        for op in ops {
            let mut labels: Labels = op
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            labels.push(("hook".into(), hook.to_string()));
            labels.sort();
            let name = &op.name;
            let kind_clash = |kind: &'static str| MetricError::TypeClash {
                name: name.clone(),
                kind,
            };
            match op.action {
                MetricAction::Expire => {}
                MetricAction::Add => {
                    if self.gauges.contains_key(name) || self.histograms.contains_key(name) {
                        return Err(kind_clash("counter"));
                    }
                    let fam = self.counters.entry(name.clone()).or_default();
                    fam.get_or_create(&labels).inc_by(op.value.unwrap_or(0.0));
                }
                MetricAction::Set => {
                    if self.counters.contains_key(name) || self.histograms.contains_key(name) {
                        return Err(kind_clash("gauge"));
                    }
                    let fam = self.gauges.entry(name.clone()).or_default();
                    fam.get_or_create(&labels).set(op.value.unwrap_or(0.0));
                }
                MetricAction::Observe => {
                    if self.counters.contains_key(name) || self.gauges.contains_key(name) {
                        return Err(kind_clash("histogram"));
                    }
                    let buckets = op.buckets.clone().unwrap_or_default();
                    let (known, fam) = self.histograms.entry(name.clone()).or_insert_with(|| {
                        (
                            buckets.clone(),
                            Family::new_with_constructor(BucketsConstructor(buckets.clone())),
                        )
                    });
                    if *known != buckets {
                        return Err(MetricError::BucketsClash { name: name.clone() });
                    }
                    fam.get_or_create(&labels).observe(op.value.unwrap_or(0.0));
                }
            }
            if let (Some(g), false) = (&op.group, op.action == MetricAction::Expire) {
                self.groups
                    .entry((hook.to_string(), g.clone()))
                    .or_default()
                    .push((name.clone(), labels));
            }
        }
        Ok(())
    }

    fn expire(&mut self, hook: &str, group: &str) {
        if let Some(series) = self.groups.remove(&(hook.to_string(), group.to_string())) {
            for (name, labels) in series {
                if let Some(f) = self.counters.get(&name) {
                    f.remove(&labels);
                }
                if let Some(f) = self.gauges.get(&name) {
                    f.remove(&labels);
                }
            }
        }
    }

    /// Encode in the Prometheus/OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut registry = Registry::default();
        let mut names: Vec<&String> = self
            .counters
            .keys()
            .chain(self.gauges.keys())
            .chain(self.histograms.keys())
            .collect();
        names.sort();
        for name in names {
            if let Some(f) = self.counters.get(name) {
                registry.register(name.trim_end_matches("_total"), "hook metric", f.clone());
            } else if let Some(f) = self.gauges.get(name) {
                registry.register(name.as_str(), "hook metric", f.clone());
            } else if let Some((_, f)) = self.histograms.get(name) {
                registry.register(name.as_str(), "hook metric", f.clone());
            }
        }
        let mut out = String::new();
        let _ = encode(&mut out, &registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_action_and_shortcuts() {
        let text = r#"{"name":"a","action":"add","value":1,"labels":{"x":"y"}}
{"name":"b","action":"set","value":3,"group":"g"}
{"name":"c","action":"observe","value":0.5,"buckets":[0.1,1]}
{"group":"g","action":"expire"}
{"name":"d","set":7}

{"name":"e","add":2}"#;
        let ops = parse_metrics("m", text).unwrap();
        assert_eq!(ops.len(), 6);
        assert_eq!(ops[4].action, MetricAction::Set);
        assert_eq!(ops[4].value, Some(7.0));
        assert_eq!(ops[5].action, MetricAction::Add);
    }

    #[test]
    fn rejects_bad_lines_with_line_numbers() {
        let cases = [
            (r#"{"name":"a","action":"observe","value":1}"#, "buckets"),
            (
                r#"{"name":"a","action":"observe","value":1,"buckets":[1],"group":"g"}"#,
                "grouped",
            ),
            (r#"{"action":"expire"}"#, "group"),
            (r#"{"name":"a b","action":"set","value":1}"#, "metric name"),
            (r#"{"name":"a","action":"set"}"#, "value"),
            (r#"{"name":"a","action":"bump","value":1}"#, "action"),
            (r#"{"name":"a","action":"set","value":"1"}"#, "number"),
            (
                r#"{"name":"a","action":"set","value":1,"labels":{"k":1}}"#,
                "label",
            ),
            (r#"{"name":"a","action":"add","value":-1}"#, "decrease"),
            ("[1]", "object"),
            ("garbage", "JSON"),
        ];
        for (text, what) in cases {
            let e = parse_metrics("METRICS_PATH", &format!("\n{text}"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("line 2") && e.contains(what), "{text}: {e}");
        }
    }

    #[test]
    fn groups_expire_previous_series() {
        let mut m = HookMetrics::default();
        let run1 = parse_metrics(
            "m",
            r#"{"name":"backends","action":"set","value":3,"labels":{"zone":"a"},"group":"g"}"#,
        )
        .unwrap();
        m.apply("h", &run1).unwrap();
        assert!(
            m.encode().contains(r#"backends{hook="h",zone="a"} 3"#),
            "{}",
            m.encode()
        );
        let run2 = parse_metrics(
            "m",
            r#"{"name":"backends","action":"set","value":1,"labels":{"zone":"b"},"group":"g"}"#,
        )
        .unwrap();
        m.apply("h", &run2).unwrap();
        let text = m.encode();
        assert!(!text.contains("zone=\"a\""), "{text}");
        assert!(text.contains(r#"backends{hook="h",zone="b"} 1"#), "{text}");
        let expire = parse_metrics("m", r#"{"group":"g","action":"expire"}"#).unwrap();
        m.apply("h", &expire).unwrap();
        assert!(!m.encode().contains("zone="), "{}", m.encode());
    }

    #[test]
    fn counters_and_histograms_encode() {
        let mut m = HookMetrics::default();
        let ops = parse_metrics("m", "{\"name\":\"runs_total\",\"action\":\"add\",\"value\":2}\n{\"name\":\"lat\",\"action\":\"observe\",\"value\":0.5,\"buckets\":[1,2]}").unwrap();
        m.apply("h", &ops).unwrap();
        m.apply("h", &ops).unwrap();
        let text = m.encode();
        assert!(text.contains(r#"runs_total{hook="h"} 4"#), "{text}");
        assert!(
            text.contains(r#"lat_bucket{le="1.0",hook="h"} 2"#) || text.contains("lat_bucket"),
            "{text}"
        );
        let clash =
            parse_metrics("m", r#"{"name":"runs_total","action":"set","value":1}"#).unwrap();
        assert!(m.apply("h", &clash).is_err());
        assert!(matches!(
            m.apply("h", &clash),
            Err(MetricError::TypeClash { name, kind: "gauge" }) if name == "runs_total"
        ));
    }
}
