//! Differential test: every chart under `tests/charts/` (small charts, one
//! feature each, with argument sets in `NAME.args`) and every real chart
//! under `tests/corpus/charts/` (default values and each `ci/*values.yaml`)
//! is rendered by the real `helm template` and by deckmod with the same
//! arguments; stdout must be byte-identical (for failures: the `Error:`
//! text). Mismatches print a unified diff.
//!
//! `helm` is found by [`testkit::helm`]; without it the test fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use chart::{PrintOptions, RenderOptions, ValueOptions};

/// Every render pins the cluster version so the default never matters.
const KUBE_VERSION: &str = "1.29.0";

/// Corpus renders that are known to differ, with the reason (kept honest:
/// a listed case that starts passing is reported so the list shrinks).
const KNOWN_CORPUS_FAILURES: &[(&str, &str)] = &[];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One invocation: optional release name, chart path, flags.
#[derive(Debug, Clone)]
struct Case {
    label: String,
    release: Option<String>,
    chart: PathBuf,
    args: Vec<String>,
}

/// Split an args line on whitespace, honouring single and double quotes.
fn split_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' | '\'' if quote.is_none() => {
                quote = Some(c);
                any = true;
            }
            c if quote == Some(c) => quote = None,
            c if c.is_whitespace() && quote.is_none() => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// Make file arguments absolute so both tools read the same files.
fn absolutize(args: Vec<String>, base: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-f" | "--values" => {
                out.push(a);
                if let Some(p) = it.next() {
                    out.push(base.join(p).display().to_string());
                }
            }
            "--set-file" => {
                out.push(a);
                if let Some(kv) = it.next() {
                    let (k, v) = kv.split_once('=').unwrap_or((&kv, ""));
                    out.push(format!("{k}={}", base.join(v).display()));
                }
            }
            _ => out.push(a),
        }
    }
    out
}

fn feature_cases() -> Vec<Case> {
    let dir = workspace_root().join("tests/charts");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/charts exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut cases = Vec::new();
    for name in names {
        let args_file = dir.join(format!("{name}.args"));
        let lines: Vec<String> = match std::fs::read_to_string(&args_file) {
            Ok(text) => text.lines().map(str::to_string).collect(),
            Err(_) => vec![String::new()],
        };
        for (i, line) in lines.iter().enumerate() {
            let mut tokens = split_line(line);
            let release = if tokens.first().is_some_and(|t| !t.starts_with('-')) {
                Some(tokens.remove(0))
            } else {
                None
            };
            cases.push(Case {
                label: format!("{name}#{i} [{line}]"),
                release,
                chart: dir.join(&name),
                args: absolutize(tokens, &dir),
            });
        }
    }
    cases
}

fn corpus_cases() -> Vec<Case> {
    let dir = workspace_root().join("tests/corpus/charts");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/corpus/charts exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Chart.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut cases = vec![Case {
        label: "corpus/deckhouse-lib-helm/tests (with helm_lib as subchart)".into(),
        release: None,
        chart: lib_helm_test_chart(&dir.join("deckhouse-lib-helm")),
        args: Vec::new(),
    }];
    for name in names {
        let chart = dir.join(&name);
        cases.push(Case {
            label: format!("corpus/{name}"),
            release: None,
            chart: chart.clone(),
            args: Vec::new(),
        });
        let mut ci: Vec<PathBuf> = std::fs::read_dir(chart.join("ci"))
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        ci.sort();
        for f in ci {
            if f.extension().is_some_and(|e| e == "yaml") {
                cases.push(Case {
                    label: format!(
                        "corpus/{name} -f ci/{}",
                        f.file_name().unwrap_or_default().to_string_lossy()
                    ),
                    release: None,
                    chart: chart.clone(),
                    args: vec!["-f".into(), f.display().to_string()],
                });
            }
        }
    }
    cases
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from)
        .expect("read dir")
        .filter_map(|e| e.ok())
    {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// lib-helm's unit-test chart expects lib-helm under `charts/`, as
/// helm-unittest arranges it: assemble that in a temporary directory.
fn lib_helm_test_chart(lib: &Path) -> PathBuf {
    let root = std::env::temp_dir().join(format!(
        "deckmod-differential-libhelm-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&root);
    copy_tree(&lib.join("tests"), &root);
    copy_tree(&lib.join("charts/helm_lib"), &root.join("charts/helm_lib"));
    root
}

/// What a tool printed: stdout on success, the `Error: ...` text on failure.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Ok(String),
    Err(String),
}

fn run_helm(helm: &Path, case: &Case) -> Outcome {
    let scratch = std::env::temp_dir().join("deckmod-differential-helm");
    let mut cmd = Command::new(helm);
    cmd.arg("template");
    if let Some(r) = &case.release {
        cmd.arg(r);
    }
    cmd.arg(&case.chart)
        .arg("--kube-version")
        .arg(KUBE_VERSION)
        .args(&case.args)
        .env("KUBECONFIG", scratch.join("no-kubeconfig"))
        .env("HELM_CACHE_HOME", scratch.join("cache"))
        .env("HELM_CONFIG_HOME", scratch.join("config"))
        .env("HELM_DATA_HOME", scratch.join("data"))
        .env_remove("HELM_NAMESPACE");
    let out = cmd.output().expect("helm runs");
    if out.status.success() {
        let warnings = String::from_utf8_lossy(&out.stderr)
            .lines()
            .map(|l| strip_log_prefix(l).to_string())
            .collect();
        Outcome::Ok(with_warnings(
            String::from_utf8_lossy(&out.stdout).into_owned(),
            warnings,
        ))
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let start = err.find("Error: ").unwrap_or(0);
        Outcome::Err(err[start..].trim_end().to_string())
    }
}

/// deckmod's render, with the same argument handling as `deckmod template`.
fn run_deckmod(case: &Case) -> Outcome {
    let mut values = ValueOptions::default();
    let mut render = RenderOptions {
        kube_version: Some(KUBE_VERSION.into()),
        ..Default::default()
    };
    if let Some(r) = &case.release {
        render.release_name = r.clone();
    }
    let mut print = PrintOptions::default();
    let mut it = case.args.iter();
    while let Some(flag) = it.next() {
        let mut next = || it.next().cloned().unwrap_or_default();
        match flag.as_str() {
            "-f" | "--values" => values.value_files.push(PathBuf::from(next())),
            "--set" => values.values.push(next()),
            "--set-string" => values.string_values.push(next()),
            "--set-json" => values.json_values.push(next()),
            "--set-file" => values.file_values.push(next()),
            "--set-literal" => values.literal_values.push(next()),
            "-n" | "--namespace" => render.namespace = next(),
            "--kube-version" => render.kube_version = Some(next()),
            "-a" | "--api-versions" => render.api_versions.push(next()),
            "-s" | "--show-only" => print.show_only.push(next()),
            "--include-crds" => print.include_crds = true,
            "--is-upgrade" => render.is_upgrade = true,
            "--skip-tests" => print.skip_tests = true,
            "--no-hooks" => print.no_hooks = true,
            other => panic!("differential harness does not know flag {other}"),
        }
    }
    let result = values.merge().and_then(|v| {
        let c = chart::load(&case.chart)?;
        chart::template(&c, &v, &render, &print)
            .map(|(text, warnings)| with_warnings(text, warnings))
    });
    match result {
        Ok(text) => Outcome::Ok(text),
        Err(e @ chart::Error::Render(_)) => Outcome::Err(format!(
            "Error: {e}\n\nUse --debug flag to render out invalid YAML"
        )),
        // Helm's stderr is compared without trailing blank lines.
        Err(e) => Outcome::Err(format!("Error: {e}").trim_end().to_string()),
    }
}

/// Helm's log lines start with the Go source position (`coalesce.go:298: `),
/// which is Helm's, not part of the message.
fn strip_log_prefix(line: &str) -> &str {
    match line.split_once(".go:") {
        Some((file, rest))
            if !file.contains(' ')
                && let Some((digits, message)) = rest.split_once(": ")
                && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            message
        }
        _ => line,
    }
}

/// The rendered text followed by the warnings printed on the way, sorted
/// (Helm walks Go maps, so its order is random).
fn with_warnings(text: String, mut warnings: Vec<String>) -> String {
    warnings.retain(|w| !w.trim().is_empty());
    if warnings.is_empty() {
        return text;
    }
    warnings.sort();
    format!("{text}<<warnings>>\n{}\n", warnings.join("\n"))
}

fn text_of(o: &Outcome) -> String {
    match o {
        Outcome::Ok(s) => s.clone(),
        Outcome::Err(e) => format!("<<failed>>\n{e}\n"),
    }
}

/// Lines that differ between two helm runs are random (passwords,
/// certificates): compare them by position only.
fn mask_random(first: &str, second: &str, subject: &str) -> String {
    let a: Vec<&str> = first.lines().collect();
    let b: Vec<&str> = second.lines().collect();
    if a.len() != b.len() {
        return subject.to_string();
    }
    subject
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i < a.len() && a[i] != b[i] {
                "<random>"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn compare(helm: &Path, case: &Case, allow_random: bool) -> Result<(), String> {
    let expected = run_helm(helm, case);
    let actual = std::panic::catch_unwind(|| run_deckmod(case))
        .unwrap_or_else(|_| Outcome::Err("<<deckmod panicked>>".into()));
    if expected == actual {
        return Ok(());
    }
    let (mut want, mut got) = (text_of(&expected), text_of(&actual));
    if allow_random && let (Outcome::Ok(_), Outcome::Ok(_)) = (&expected, &actual) {
        let again = text_of(&run_helm(helm, case));
        if again != want {
            let masked_want = mask_random(&want, &again, &want);
            let masked_got = mask_random(&want, &again, &got);
            if masked_want == masked_got {
                return Ok(());
            }
            want = masked_want;
            got = masked_got;
        }
    }
    let diff = similar::TextDiff::from_lines(&want, &got)
        .unified_diff()
        .context_radius(3)
        .header("helm", "deckmod")
        .to_string();
    let shown: String = diff.lines().take(80).collect::<Vec<_>>().join("\n");
    Err(format!("--- {} ---\n{shown}\n", case.label))
}

#[test]
fn feature_charts_render_like_helm() {
    let helm = testkit::helm();
    let cases = feature_cases();
    assert!(!cases.is_empty(), "no charts under tests/charts");
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(e) = compare(&helm, case, false) {
            failures.push(e);
        }
    }
    println!(
        "feature charts: {}/{} renders identical to helm",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} renders differ from helm:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_charts_render_like_helm() {
    let helm = testkit::helm();
    let cases = corpus_cases();
    let mut failures = Vec::new();
    let mut passed = 0;
    for case in &cases {
        let known = KNOWN_CORPUS_FAILURES.iter().find(|(l, _)| *l == case.label);
        match (compare(&helm, case, true), known) {
            (Ok(()), None) => passed += 1,
            (Ok(()), Some(_)) => {
                passed += 1;
                println!(
                    "now passing, remove from KNOWN_CORPUS_FAILURES: {}",
                    case.label
                );
            }
            (Err(_), Some((_, why))) => println!("known difference: {} ({why})", case.label),
            (Err(e), None) => failures.push(e),
        }
    }
    println!(
        "corpus charts: {passed}/{} renders identical to helm",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} renders differ from helm:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
