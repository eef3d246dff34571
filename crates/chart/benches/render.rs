//! Render throughput: a real chart (ingress-nginx from the corpus) and a
//! small feature chart, each loaded once and rendered per iteration the way
//! `helm template` does (values coalescing, all templates, sorting, printing).

use std::path::Path;

use chart::{PrintOptions, RenderOptions};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench_chart(c: &mut Criterion, label: &str, rel: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    let loaded = chart::load(&dir).expect("bench chart loads");
    let values = serde_json::json!({});
    let opts = RenderOptions {
        kube_version: Some("1.29.0".into()),
        ..Default::default()
    };
    let print = PrintOptions::default();
    c.bench_function(label, |b| {
        b.iter(|| chart::template(&loaded, &values, &opts, &print).expect("renders"))
    });
}

fn benches(c: &mut Criterion) {
    bench_chart(
        c,
        "render ingress-nginx",
        "tests/corpus/charts/ingress-nginx",
    );
    bench_chart(c, "render prometheus", "tests/corpus/charts/prometheus");
    bench_chart(c, "render small chart", "tests/charts/control");
}

criterion_group!(render, benches);
criterion_main!(render);
