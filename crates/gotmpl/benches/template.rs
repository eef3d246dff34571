//! Parse and execute a Helm-like chart template (helpers, include, range,
//! with, if, printf) with a few Sprig-like functions registered here.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use gotmpl::{CallContext, FuncError, FuncMap, Templates, Value};
use std::hint::black_box;

const HELPERS: &str = r#"
{{/* Expand the name of the chart. */}}
{{- define "app.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "app.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "app.labels" -}}
app.kubernetes.io/name: {{ include "app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
"#;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "app.labels" . | nindent 6 }}
  template:
    spec:
      containers:
      {{- range $i, $c := .Values.containers }}
        - name: {{ $c.name }}
          image: "{{ $c.image.repository }}:{{ $c.image.tag | default $.Chart.AppVersion }}"
          {{- with $c.ports }}
          ports:
            {{- range . }}
            - name: {{ .name }}
              containerPort: {{ .port }}
              protocol: {{ .protocol | default "TCP" }}
            {{- end }}
          {{- end }}
          env:
            {{- range $k, $v := $c.env }}
            - name: {{ $k }}
              value: {{ $v | quote }}
            {{- end }}
      {{- end }}
"#;

fn str_arg(args: &[Value], i: usize) -> String {
    match args.get(i) {
        Some(Value::String(s)) => s.to_string(),
        Some(v) => gotmpl::fmt::format_value(v),
        None => String::new(),
    }
}

fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.insert("include", |ctx: &mut dyn CallContext, args: &[Value]| {
        ctx.execute_template(&str_arg(args, 0), args.get(1).unwrap_or(&Value::Nil))
            .map(Value::str)
    });
    f.insert("tpl", |ctx: &mut dyn CallContext, args: &[Value]| {
        ctx.execute_text(&str_arg(args, 0), args.get(1).unwrap_or(&Value::Nil))
            .map(Value::str)
    });
    f.insert_pure("default", |args| {
        let given = args.get(1).cloned().unwrap_or_default();
        Ok(if given.truthy() {
            given
        } else {
            args.first().cloned().unwrap_or_default()
        })
    });
    f.insert_pure("trunc", |args| {
        let n = match args.first() {
            Some(Value::Int(n)) => *n as usize,
            _ => return Err(FuncError::new("trunc wants an int")),
        };
        Ok(Value::str(
            str_arg(args, 1).chars().take(n).collect::<String>(),
        ))
    });
    f.insert_pure("trimSuffix", |args| {
        let (suffix, s) = (str_arg(args, 0), str_arg(args, 1));
        Ok(Value::str(s.strip_suffix(suffix.as_str()).unwrap_or(&s)))
    });
    f.insert_pure("quote", |args| {
        Ok(Value::str(format!("{:?}", str_arg(args, 0))))
    });
    f.insert_pure("nindent", |args| {
        let n = match args.first() {
            Some(Value::Int(n)) => *n as usize,
            _ => 0,
        };
        let pad = " ".repeat(n);
        let body: Vec<String> = str_arg(args, 1)
            .lines()
            .map(|l| format!("{pad}{l}"))
            .collect();
        Ok(Value::str(format!("\n{}", body.join("\n"))))
    });
    f
}

fn values() -> Value {
    let containers: Vec<serde_json::Value> = (0..5)
        .map(|i| {
            serde_json::json!({
                "name": format!("c{i}"),
                "image": {"repository": "registry.example.com/app", "tag": null},
                "ports": [{"name": "http", "port": 8080 + i}, {"name": "metrics", "port": 9090, "protocol": "TCP"}],
                "env": {"LOG_LEVEL": "info", "MODE": "prod", "REPLICA": i.to_string(), "REGION": "eu-1"},
            })
        })
        .collect();
    Value::from_json(&serde_json::json!({
        "Chart": {"Name": "app", "AppVersion": "1.2.3"},
        "Release": {"Name": "rel", "Service": "Helm"},
        "Values": {"replicaCount": 3, "autoscaling": {"enabled": false}, "containers": containers},
    }))
}

fn set() -> Templates {
    let mut set = Templates::new(funcs());
    set.parse("app/templates/_helpers.tpl", HELPERS)
        .expect("helpers parse");
    set.parse("app/templates/deployment.yaml", DEPLOYMENT)
        .expect("deployment parses");
    set
}

fn bench(c: &mut Criterion) {
    c.bench_function("parse helm-like chart (helpers + deployment)", |b| {
        b.iter(|| black_box(set()));
    });
    let set = set();
    let data = values();
    let out = set
        .execute("app/templates/deployment.yaml", &data)
        .expect("renders");
    assert!(
        out.contains("containerPort: 8084") && out.contains("app.kubernetes.io/version: \"1.2.3\""),
        "{out}"
    );
    c.bench_function("execute helm-like deployment (5 containers)", |b| {
        b.iter(|| {
            black_box(
                set.execute("app/templates/deployment.yaml", &data)
                    .expect("renders"),
            )
        });
    });
}

/// N `tpl` (or `include`) calls from one template: the cost per call must
/// not grow with N (texts are parsed once per set, the set is never copied).
fn bench_calls(c: &mut Criterion) {
    let mut set = set();
    set.parse(
        "tpl.yaml",
        r#"{{ range $i := .N }}{{ tpl "{{ .Release.Name }}-{{ include \"app.name\" . }}" $ }}{{ end }}"#,
    )
    .expect("tpl template parses");
    set.parse(
        "include.yaml",
        r#"{{ range $i := .N }}{{ include "app.fullname" $ }}{{ end }}"#,
    )
    .expect("include template parses");
    let mut group = c.benchmark_group("calls");
    for n in [100i64, 1_000, 10_000] {
        let data = values();
        if let Value::Map(m) = &data {
            m.borrow_mut().insert("N".into(), Value::Int(n));
        }
        group.throughput(Throughput::Elements(n as u64));
        for name in ["tpl", "include"] {
            let file = format!("{name}.yaml");
            let out = set.execute(&file, &data).expect("renders");
            assert_eq!(out.matches("rel-app").count(), n as usize, "{name}");
            group.bench_with_input(BenchmarkId::new(name, n), &data, |b, data| {
                b.iter(|| black_box(set.execute(&file, data).expect("renders")));
            });
        }
    }
    // The same tpl calls in a set as large as a big umbrella chart's: the
    // cost of a call must not grow with the number of templates either.
    let mut big = set.clone();
    for i in 0..2_000 {
        big.parse(
            &format!("sub{i}/templates/_helpers.tpl"),
            &format!(r#"{{{{ define "sub{i}.name" }}}}{{{{ .Release.Name }}}}-{i}{{{{ end }}}}"#),
        )
        .expect("helper parses");
    }
    let data = values();
    if let Value::Map(m) = &data {
        m.borrow_mut().insert("N".into(), Value::Int(1_000));
    }
    group.throughput(Throughput::Elements(1_000));
    group.bench_with_input(
        BenchmarkId::new("tpl-in-2000-template-set", 1_000),
        &data,
        |b, data| {
            b.iter(|| black_box(big.execute("tpl.yaml", data).expect("renders")));
        },
    );
    group.finish();
}

criterion_group!(benches, bench, bench_calls);
criterion_main!(benches);
