//! Criterion benchmarks: `toYaml` of a large values tree (the emitter Helm's
//! `toYaml` maps to) and a few Sprig functions charts call on every render.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use gotmpl::{Templates, Value};
use serde_json::{Map, json};

/// A values tree shaped like a big chart's: 200 components, each with
/// resources, labels, env lists, multi-line config and numbers.
fn large_values() -> serde_json::Value {
    let mut components = Map::new();
    for i in 0..200 {
        components.insert(
            format!("component-{i}"),
            json!({
                "enabled": i % 3 != 0,
                "replicas": i % 5 + 1,
                "image": {"repository": format!("registry.example.com/team/app-{i}"), "tag": "v1.2.3", "pullPolicy": "IfNotPresent"},
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": 1.5, "memory": "1Gi"}},
                "labels": {"app.kubernetes.io/name": format!("app-{i}"), "tier": "backend", "version": "1.0"},
                "env": [{"name": "MODE", "value": "yes"}, {"name": "PORT", "value": "8080"}, {"name": "RATIO", "value": "0.75"}],
                "config": "server:\n  port: 8080\n  host: 0.0.0.0\nlogging:\n  level: info\n",
                "description": "A component with a rather long description that goes past the eighty column folding limit of yaml.v2",
                "ports": [80, 443, 8080],
                "annotations": {},
                "tolerations": [],
            }),
        );
    }
    json!({ "global": {"domain": "example.com", "debug": false}, "components": components })
}

fn bench_to_yaml(c: &mut Criterion) {
    let values = large_values();
    let size = goyaml::emit::to_string(&values).len();
    c.bench_function(
        &format!("toYaml large values ({size} bytes of YAML)"),
        |b| b.iter(|| goyaml::emit::to_string(black_box(&values))),
    );
}

fn bench_functions(c: &mut Criterion) {
    let mut set = Templates::new(sprig::funcs());
    let cases = [
        (
            "fullname",
            r#"{{ printf "%s-%s" .Values.release .Values.name | trunc 63 | trimSuffix "-" }}"#,
        ),
        (
            "default+quote",
            r#"{{ .Values.missing | default "fallback" | quote }}"#,
        ),
        (
            "regexReplaceAll",
            r#"{{ regexReplaceAll "[^a-z0-9-]" (lower .Values.name) "-" }}"#,
        ),
        (
            "dict+merge",
            r#"{{ $d := merge (dict "a" 1 "b" (dict "c" 2)) .Values.labels }}{{ len $d }}"#,
        ),
        ("sha256sum", r#"{{ .Values.name | sha256sum }}"#),
        (
            "semverCompare",
            r#"{{ semverCompare ">=1.21.0-0" .Values.kubeVersion }}"#,
        ),
        ("toJson", r#"{{ toJson .Values.labels }}"#),
    ];
    for (name, text) in cases {
        set.parse(name, text).expect("benchmark template parses");
    }
    let data = Value::from_json_helm(&json!({"Values": {
        "release": "my-release", "name": "My_Application.Server", "kubeVersion": "v1.27.3",
        "labels": {"app": "web", "tier": "frontend", "team": "platform", "version": "1.2.3"},
    }}));
    for (name, _) in cases {
        c.bench_function(&format!("sprig {name}"), |b| {
            b.iter(|| set.execute(name, black_box(&data)).expect("renders"))
        });
    }
}

criterion_group!(benches, bench_to_yaml, bench_functions);
criterion_main!(benches);
