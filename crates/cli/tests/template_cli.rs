//! `deckmod template` flags compared with the real `helm template` through
//! both binaries: stdout (or the `Error:` text), exit status, and for
//! `--output-dir` the files written. Covers `--set-literal`,
//! `--name-template`, `-g`, `--output-dir` with `--release-name`,
//! `--post-renderer` with `--post-renderer-args`, and their errors.
//!
//! `helm` is found by [`testkit::helm`]; without it the test fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn chart() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/charts/cliflags")
        .canonicalize()
        .expect("tests/charts/cliflags exists")
        .display()
        .to_string()
}

/// What one run showed: exit success, stdout, the `Error: ...` text, files under the folder.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    ok: bool,
    stdout: String,
    error: String,
    files: BTreeMap<String, String>,
}

fn tree(dir: &Path, base: &Path, out: &mut BTreeMap<String, String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            tree(&p, base, out);
        } else {
            let rel = p.strip_prefix(base).unwrap().display().to_string();
            out.insert(rel, std::fs::read_to_string(&p).unwrap_or_default());
        }
    }
}

/// Run `tool template ARGS` `times` times in a fresh folder holding the
/// post-renderer scripts; `{dir}` in stdout stands for that folder.
fn run(tool: &Path, args: &[&str], times: usize) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let script = |name: &str, body: &str| {
        let p = d.join(name);
        std::fs::write(&p, body).unwrap();
        let mut perm = std::fs::metadata(&p).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        std::fs::set_permissions(&p, perm).unwrap();
    };
    script(
        "pr.sh",
        "#!/bin/sh\necho \"# post-renderer args: $*\"\nsed 's/release-name/post/'\necho ignored >&2\n",
    );
    script(
        "fail.sh",
        "#!/bin/sh\ncat >/dev/null\necho 'bad input' >&2\nexit 3\n",
    );
    std::fs::write(d.join("not-executable.sh"), "#!/bin/sh\n").unwrap();
    let scratch = d.join(".helm");
    let mut last = None;
    for _ in 0..times {
        let out = Command::new(tool)
            .arg("template")
            .args(args)
            .current_dir(d)
            .env("KUBECONFIG", scratch.join("no-kubeconfig"))
            .env("HELM_CACHE_HOME", scratch.join("cache"))
            .env("HELM_CONFIG_HOME", scratch.join("config"))
            .env("HELM_DATA_HOME", scratch.join("data"))
            .env_remove("HELM_NAMESPACE")
            .output()
            .expect("runs");
        last = Some(out);
    }
    let out = last.expect("ran at least once");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error = stderr
        .find("Error: ")
        .map(|i| stderr[i..].trim_end().to_string())
        .unwrap_or_default();
    let real = d.canonicalize().unwrap().display().to_string();
    let mut files = BTreeMap::new();
    tree(d, d, &mut files);
    files.retain(|k, _| !k.starts_with(".helm") && !k.ends_with(".sh"));
    Outcome {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout)
            .replace(&real, "{dir}")
            .replace(&d.display().to_string(), "{dir}"),
        error: error
            .replace(&real, "{dir}")
            .replace(&d.display().to_string(), "{dir}"),
        files,
    }
}

fn compare(cases: &[Vec<&str>], times: usize) {
    let helm = testkit::helm();
    let deckmod = PathBuf::from(env!("CARGO_BIN_EXE_deckmod"));
    let mut failures = Vec::new();
    for args in cases {
        let want = run(&helm, args, times);
        let got = run(&deckmod, args, times);
        if want != got {
            failures.push(format!(
                "--- template {args:?} (x{times})\nhelm:    {want:#?}\ndeckmod: {got:#?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} runs differ from helm:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn set_literal_like_helm() {
    let c = chart();
    compare(
        &[
            vec![&c, "--set-literal", "greeting=a,b={c}=d"],
            vec![
                &c,
                "--set-literal",
                "list[1]=x",
                "--set-literal",
                "n.deep=null",
            ],
            vec![
                &c,
                "--set-literal",
                "l[0].k=v",
                "--set-literal",
                "l[0][1]=w",
            ],
            // applied after --set and --set-string, whatever the order on the line
            vec![&c, "--set-literal", "greeting=lit", "--set", "greeting=set"],
            vec![&c, "--set-literal", "greeting.x=1"],
            vec![&c, "--set-literal", "a[1"],
            vec![&c, "--set-literal", "a"],
            vec![&c, "--set-literal", "a[0]x=1"],
            vec![&c, "--set-literal", "a[-1]=1"],
            // which error comes first: kube version, names, chart location, values
            vec!["x", &c, "-g", "--kube-version", "bad", "--set-literal", "a"],
            vec!["x", &c, "-g", "--set-literal", "a"],
            vec!["x", "./no-chart", "--set-literal", "a"],
            vec!["x", "no-chart", "--set-literal", "a"],
        ],
        1,
    );
}

#[test]
fn release_names_like_helm() {
    let c = chart();
    compare(
        &[
            vec![&c, "--name-template", "{{ \"Abc\" | lower }}-{{ add 1 2 }}"],
            vec![&c, "--name-template", "{{ \"\" }}"],
            vec![&c, "--name-template", "{{ . }}"],
            vec![&c, "--name-template", "{{ bad"],
            vec![&c, "--name-template", "{{ include \"x\" . }}"],
            vec![&c, "--name-template", "{{ fail \"no\" }}"],
            vec!["rel", &c, "--name-template", "x"],
            vec![&c, "-g"],
            vec![&c, "--generate-name"],
            vec!["rel", &c, "-g"],
            vec!["rel", &c, "extra", "more"],
            vec!["", &c],
            vec!["Bad_Name", &c],
            // --release-name only matters with --output-dir
            vec!["rel", &c, "--release-name"],
        ],
        1,
    );
}

#[test]
fn post_renderer_like_helm() {
    let c = chart();
    compare(
        &[
            vec![&c, "--post-renderer", "./pr.sh"],
            vec![
                &c,
                "--post-renderer-args",
                "-x",
                "--post-renderer",
                "./pr.sh",
                "--post-renderer-args",
                "a b",
            ],
            vec![&c, "--post-renderer", "./pr.sh", "--include-crds"],
            vec![
                &c,
                "--post-renderer",
                "./pr.sh",
                "-s",
                "templates/multi.yaml",
            ],
            vec![&c, "--post-renderer", "./pr.sh", "--no-hooks"],
            vec![&c, "--post-renderer", "./pr.sh", "--skip-tests"],
            vec![&c, "--post-renderer", "true"],
            vec![&c, "--post-renderer", "true", "-s", "templates/values.yaml"],
            vec![&c, "--post-renderer", ""],
            vec![&c, "--post-renderer", "./fail.sh"],
            vec![&c, "--post-renderer", "no-such-renderer-in-path"],
            vec![&c, "--post-renderer", "./missing.sh"],
            vec![&c, "--post-renderer", "./not-executable.sh"],
            vec![&c, "--post-renderer", "."],
        ],
        1,
    );
}

#[test]
fn output_dir_like_helm() {
    let c = chart();
    let cases = [
        vec![&c as &str, "--output-dir", "out"],
        vec!["rel", &c, "--output-dir", "out/", "--release-name"],
        vec![
            "rel",
            &c,
            "--output-dir",
            "./out//x",
            "--release-name",
            "--include-crds",
        ],
        vec![&c, "--output-dir", "out", "--skip-tests"],
        vec![&c, "--output-dir", "out", "--no-hooks"],
        vec![&c, "--output-dir", "out", "-s", "templates/multi.yaml"],
        vec![&c, "--output-dir", "out", "--post-renderer", "./pr.sh"],
        // boolean flags take Go's =VALUE forms
        vec![
            "rel",
            &c,
            "--output-dir=out",
            "--release-name=false",
            "--include-crds=T",
            "--skip-tests=1",
            "--no-hooks=false",
            "--is-upgrade=true",
        ],
    ];
    compare(&cases, 1);
    // A second run truncates manifest files but appends hooks to what is there.
    compare(&cases[..2], 2);
}

/// When a chart has several faults, the error is the one Helm reports
/// first: the values schema, then the chart's `kubeVersion`, then template
/// parse errors.
#[test]
fn error_order_like_helm() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("ordchart");
    std::fs::create_dir_all(c.join("templates")).unwrap();
    std::fs::write(
        c.join("Chart.yaml"),
        "apiVersion: v2\nname: ordchart\nversion: 0.1.0\nkubeVersion: \">=1.30.0\"\n",
    )
    .unwrap();
    std::fs::write(c.join("values.yaml"), "replicas: \"two\"\n").unwrap();
    std::fs::write(
        c.join("values.schema.json"),
        r#"{"type":"object","properties":{"replicas":{"type":"integer"}}}"#,
    )
    .unwrap();
    std::fs::write(c.join("templates/bad.yaml"), "a: {{ .Values.x \n").unwrap();
    let chart = c.display().to_string();
    let chart = chart.as_str();
    compare(
        &[
            vec![chart, "--kube-version", "1.29.0"],
            vec![chart, "--kube-version", "1.29.0", "--set", "replicas=2"],
            vec![chart, "--kube-version", "1.31.0", "--set", "replicas=2"],
        ],
        1,
    );
}
