//! Where the time of one `helm template`-style render goes: chart loading,
//! the first render (which also builds lazily compiled regexes and tables)
//! and a steady-state render. `cargo run --release -p chart --example
//! phases -- CHART_DIR [ITERATIONS]`.

use std::time::Instant;

use chart::{PrintOptions, RenderOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: phases CHART_DIR [ITERATIONS]");
    let iterations: u32 = args.next().map_or(50, |n| n.parse().expect("a number"));
    let opts = RenderOptions {
        kube_version: Some("1.29.0".into()),
        ..Default::default()
    };
    let print = PrintOptions::default();
    let values = serde_json::json!({});

    let start = Instant::now();
    let loaded = chart::load(std::path::Path::new(&dir)).expect("chart loads");
    let load = start.elapsed();

    let start = Instant::now();
    chart::template(&loaded, &values, &opts, &print).expect("renders");
    let first = start.elapsed();

    let start = Instant::now();
    for _ in 0..iterations {
        chart::template(&loaded, &values, &opts, &print).expect("renders");
    }
    let steady = start.elapsed() / iterations;

    let start = Instant::now();
    for _ in 0..iterations {
        chart::load(std::path::Path::new(&dir)).expect("chart loads");
    }
    let warm_load = start.elapsed() / iterations;
    println!(
        "load {load:?} (warm {warm_load:?}), first render {first:?}, steady render {steady:?}"
    );
}
