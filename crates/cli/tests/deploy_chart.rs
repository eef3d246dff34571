//! The Helm chart `deploy/helm/deckmod`:
//! - its `crds/` is what `deckmod crds` prints (one source of truth: the
//!   operator's built-in CRDs);
//! - `deckmod template` and the real `helm template` print the same bytes
//!   for it, with the default values and with every value changed, and
//!   fail the same on a missing required value;
//! - the flags its Deployment passes are flags `deckmod operator` takes;
//! - `helm install` into a real kube-apiserver is accepted (a private test
//!   environment: no node, so the objects are checked, not the Pods), its
//!   RBAC grants what deckmod needs and not more, and `deckmod operator`
//!   acting as the chart's ServiceAccount (impersonated) converges a module
//!   whose hook watches ConfigMaps, with only the chart's RBAC plus the
//!   module rules given in the values.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn chart() -> String {
    repo().join("deploy/helm/deckmod").display().to_string()
}

fn deckmod() -> Command {
    Command::new(env!("CARGO_BIN_EXE_deckmod"))
}

fn run(mut c: Command) -> Output {
    c.output().expect("the command runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn chart_crds_are_what_deckmod_crds_prints() {
    let out = run({
        let mut c = deckmod();
        c.arg("crds");
        c
    });
    assert!(out.status.success(), "{}", stderr(&out));
    let crds_dir = repo().join("deploy/helm/deckmod/crds");
    let files: Vec<_> = std::fs::read_dir(&crds_dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files,
        ["deckmod.yaml"],
        "crds/ holds one file, the output of `deckmod crds`"
    );
    let in_chart = std::fs::read_to_string(crds_dir.join("deckmod.yaml")).unwrap();
    assert!(
        in_chart == stdout(&out),
        "deploy/helm/deckmod/crds/deckmod.yaml differs from `deckmod crds`; regenerate it:\n  \
         cargo run -q -p deckmod -- crds > deploy/helm/deckmod/crds/deckmod.yaml"
    );
}

/// Values that change every value the chart has.
const ALL_CHANGED: &str = r#"
replicas: 1
image: {repository: registry.example.com/platform/deckmod, tag: "1.2.3", pullPolicy: Always}
imagePullSecrets: [{name: regcred}]
modulesDirs: [/modules, /opt/more-modules]
sources:
  - {name: main, repo: registry.example.com/modules, scheme: HTTP, ca: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}
  - {name: second, repo: "mirror.example.com:5000/deckhouse/modules", dockerCfg: eyJhdXRocyI6e319}
configMap: addon-operator
logFormat: text
logLevel: info,operator=debug
hookTimeoutSeconds: 30
historyMax: 3
leaderElection: {enabled: true, leaseName: other-lease, leaseDuration: 30s, renewDeadline: 20s, retryPeriod: 5s}
metrics: {port: 9100}
hooksDir: /hooks
webhooks: {enabled: true, admissionPort: 9443, conversionPort: 9444}
service: {type: NodePort, annotations: {prometheus.io/scrape: "true"}}
rbac:
  modules:
    rules:
      - apiGroups: [apps]
        resources: [deployments, statefulsets]
        verbs: [get, list, watch, create, update, patch, delete]
    clusterAdmin: true
serviceAccount: {create: true, name: deckmod-operator, annotations: {team: platform}}
podDisruptionBudget: {enabled: true, minAvailable: 1}
resources: {requests: {cpu: 1, memory: 1Gi}, limits: {cpu: 2, memory: 2Gi}}
podSecurityContext: {runAsNonRoot: true, runAsUser: 1000}
securityContext: {readOnlyRootFilesystem: true}
tmpSizeLimit: 1Gi
extraArgs: [--no-install-crds]
extraEnv: [{name: HTTPS_PROXY, value: "http://proxy:3128"}]
extraVolumes: [{name: modules, emptyDir: {}}]
extraVolumeMounts: [{name: modules, mountPath: /opt/more-modules, readOnly: true}]
initContainers: [{name: copy-modules, image: "modules:1", command: [/bin/cp, -r, /src/., /opt/more-modules]}]
podAnnotations: {checksum/config: abc}
podLabels: {tier: control-plane}
nodeSelector: {node-role.kubernetes.io/control-plane: ""}
tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]
affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/os, operator: In, values: [linux]}]}]}}}
priorityClassName: system-cluster-critical
"#;

/// `helm template ARGS` and `deckmod template ARGS`: same success, same
/// stdout, byte for byte (and the same `Error:` line when both fail).
fn same_as_helm(args: &[&str]) -> String {
    let mut h = Command::new(testkit::helm());
    h.arg("template").args(args);
    let mut d = deckmod();
    d.arg("template").args(args);
    let (h, d) = (run(h), run(d));
    let error = |o: &Output| {
        stderr(o)
            .lines()
            .find(|l| l.starts_with("Error:"))
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        (h.status.success(), error(&h)),
        (d.status.success(), error(&d)),
        "args {args:?}: helm stderr {}\ndeckmod stderr {}",
        stderr(&h),
        stderr(&d)
    );
    let (hs, ds) = (stdout(&h), stdout(&d));
    if hs != ds {
        let at = hs
            .lines()
            .zip(ds.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(hs.lines().count().min(ds.lines().count()));
        panic!(
            "args {args:?}: outputs differ at line {}:\n helm:    {:?}\n deckmod: {:?}",
            at + 1,
            hs.lines().nth(at),
            ds.lines().nth(at)
        );
    }
    if h.status.success() { hs } else { error(&h) }
}

#[test]
fn deckmod_template_prints_what_helm_template_prints() {
    let chart = chart();
    let dir = tempfile::tempdir().unwrap();
    let changed = dir.path().join("changed.yaml");
    std::fs::write(&changed, ALL_CHANGED).unwrap();
    let changed = changed.display().to_string();

    let default = same_as_helm(&["deckmod", &chart, "-n", "d8-system"]);
    for kind in [
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Deployment",
        "PodDisruptionBudget",
        "Service",
    ] {
        assert!(
            default.contains(&format!("\nkind: {kind}\n")),
            "default values render a {kind}"
        );
    }
    assert!(default.contains("  replicas: 2\n"));
    assert!(!default.contains("kind: ModuleSource"));
    assert!(
        !default.contains("cluster-admin"),
        "no cluster-admin by default"
    );

    let all = same_as_helm(&["dm", &chart, "-n", "platform", "-f", &changed]);
    assert!(all.contains("kind: ModuleSource"), "sources render");
    assert!(
        all.contains("name: cluster-admin"),
        "the cluster-admin switch"
    );
    assert!(all.contains("name: dm-deckmod-modules"), "the module rules");
    assert!(
        !all.contains("kind: PodDisruptionBudget"),
        "one replica: no budget"
    );
    assert!(all.contains("- --config-map=addon-operator"));
    assert!(all.contains("- --hooks-dir=/hooks"));
    assert!(
        all.contains("name: dm-deckmod-validating"),
        "the admission Service"
    );
    assert!(
        all.contains("name: dm-deckmod-conversion"),
        "the conversion Service"
    );
    assert!(all.contains("- --validating-webhook-service-name=dm-deckmod-validating"));
    assert!(all.contains("- --conversion-webhook-listen-port=9444"));
    assert!(all.contains("- --webhook-tls-secret=dm-deckmod-webhook-tls"));
    assert!(
        all.contains("validatingwebhookconfigurations"),
        "webhook RBAC"
    );

    // More flag shapes: --set over a file, CRDs included, capabilities
    // of an older cluster, a single template.
    same_as_helm(&[
        "x",
        &chart,
        "-f",
        &changed,
        "--set",
        "replicas=3,leaderElection.enabled=false,rbac.create=false",
        "--set-string",
        "image.tag=7",
        "--include-crds",
        "--kube-version",
        "1.20.0",
    ]);
    same_as_helm(&[
        "deckmod",
        &chart,
        "--set",
        "serviceAccount.create=false",
        "-s",
        "templates/deployment.yaml",
    ]);
    same_as_helm(&["deckmod", &chart, "-a", "policy/v1beta1"]);
}

#[test]
fn a_missing_required_value_fails_the_same_in_both() {
    let error = same_as_helm(&[
        "deckmod",
        &chart(),
        "--set-json",
        r#"sources=[{"name":"no-repo"}]"#,
    ]);
    assert!(
        error.contains("sources[].repo is required"),
        "both fail naming the value: {error}"
    );
}

/// The container args of the chart's Deployment, rendered with `values`.
fn operator_args(values: &[&str]) -> Vec<String> {
    let mut c = deckmod();
    c.args([
        "template",
        "deckmod",
        &chart(),
        "-s",
        "templates/deployment.yaml",
    ])
    .args(values);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let deployment = goyaml::from_str(&stdout(&out)).expect("the Deployment is YAML");
    deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

/// The contract with `deckmod operator`'s flags: every flag the chart
/// passes must be one the binary takes (`--help` last, so an unknown flag
/// before it is an error).
#[test]
fn chart_flags_are_flags_deckmod_operator_takes() {
    let dir = tempfile::tempdir().unwrap();
    let changed = dir.path().join("changed.yaml");
    std::fs::write(&changed, ALL_CHANGED).unwrap();
    for values in [
        vec![],
        vec!["-f".to_string(), changed.display().to_string()],
    ] {
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let args = operator_args(&values);
        assert_eq!(args[0], "operator");
        let out = run({
            let mut c = deckmod();
            c.args(&args).arg("--help");
            c
        });
        assert!(
            out.status.success(),
            "`deckmod {}` is refused: {}",
            args.join(" "),
            stderr(&out)
        );
    }
}

/// A private test environment (its own kube-apiserver and etcd; no
/// registries), stopped on drop. Private because the operator started
/// here watches every ModuleConfig and must not touch other tests'.
struct Env {
    run_dir: PathBuf,
    vars: Vec<(String, String)>,
}

impl Env {
    fn up() -> Env {
        let run_dir = std::env::temp_dir().join(format!("deckmod-chart-{}", std::process::id()));
        let out = Command::new(repo().join("testenv/up.sh"))
            .env("DECKMOD_TE_RUN_DIR", &run_dir)
            .env("DECKMOD_TE_NO_REGISTRY", "1")
            .env_remove("DECKMOD_TE_NODE")
            .stderr(Stdio::inherit())
            .output()
            .expect("testenv/up.sh runs");
        assert!(out.status.success(), "testenv/up.sh failed");
        let env_file = stdout(&out).trim().to_string();
        let text = std::fs::read_to_string(&env_file).unwrap();
        let vars = text
            .lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|l| l.split_once('='))
            .filter(|(k, _)| *k != "PATH")
            .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
            .collect();
        Env { run_dir, vars }
    }

    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        c
    }

    fn ok(&self, program: &str, args: &[&str]) -> String {
        self.ok_in(program, args, None)
    }

    fn ok_in(&self, program: &str, args: &[&str], stdin: Option<&str>) -> String {
        let mut c = self.cmd(program);
        c.args(args);
        let out = testkit::output_with_stdin(c, stdin);
        assert!(out.status.success(), "{program} {args:?}: {}", stderr(&out));
        stdout(&out)
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        serde_json::from_str(&self.ok("kubectl", &all)).unwrap()
    }

    /// `kubectl auth can-i` as `user`: yes or no.
    fn can(&self, user: &str, args: &[&str]) -> bool {
        let out = run({
            let mut c = self.cmd("kubectl");
            c.args(["auth", "can-i"]).args(args).args(["--as", user]);
            c
        });
        stdout(&out).trim() == "yes"
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("testenv/down.sh"))
            .arg(&self.run_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A `deckmod operator` process, killed on drop.
struct OperatorProcess(Child);

impl Drop for OperatorProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A module whose hook watches ConfigMaps labelled `probe=yes` in
/// `chart-probe-src` and whose chart writes their names into the
/// ConfigMap `seen` in its namespace `chart-probe`.
fn write_probe_module(dir: &Path) {
    let m = dir.join("010-probe");
    std::fs::create_dir_all(m.join("hooks")).unwrap();
    std::fs::create_dir_all(m.join("openapi")).unwrap();
    std::fs::create_dir_all(m.join("templates")).unwrap();
    std::fs::write(
        m.join("module.yaml"),
        "name: probe\nweight: 10\nnamespace: chart-probe\n",
    )
    .unwrap();
    std::fs::write(
        m.join("openapi/values.yaml"),
        "type: object\nproperties:\n  internal:\n    type: object\n    default: {}\n    properties:\n      names: {type: array, default: [], items: {type: string}}\n",
    )
    .unwrap();
    std::fs::write(
        m.join("templates/seen.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: seen\ndata:\n  names: {{ join \",\" .Values.probe.internal.names | quote }}\n",
    )
    .unwrap();
    let hook = m.join("hooks/watch");
    std::fs::write(
        &hook,
        r#"#!/usr/bin/env python3
import json, os, sys
if len(sys.argv) > 1 and sys.argv[1] == "--config":
    print("""configVersion: v1
kubernetes:
- name: probes
  kind: ConfigMap
  namespace: {nameSelector: {matchNames: [chart-probe-src]}}
  labelSelector: {matchLabels: {probe: "yes"}}
  jqFilter: .metadata.name
  keepFullObjectsInMemory: false
  group: probes
""")
    sys.exit(0)
ctx = json.load(open(os.environ["BINDING_CONTEXT_PATH"]))[-1]
names = sorted(i["filterResult"] for i in ctx["snapshots"]["probes"])
json.dump([{"op": "add", "path": "/probe/internal/names", "value": names}],
          open(os.environ["VALUES_JSON_PATCH_PATH"], "w"))
"#,
    )
    .unwrap();
    let mut perm = std::fs::metadata(&hook).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&hook, perm).unwrap();
}

/// Wait (at most `secs`) until `check` gives `Some`.
fn eventually<T>(what: &str, secs: u64, log: &Path, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check() {
            return v;
        }
        if Instant::now() > deadline {
            panic!(
                "timed out after {secs}s waiting for: {what}\noperator log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn helm_install_is_accepted_and_the_operator_runs_on_the_charts_rbac() {
    let env = Env::up();
    let chart = chart();
    let ns = "deckmod-chart";
    let sa = format!("system:serviceaccount:{ns}:dm-deckmod");

    // Installed with the default values.
    env.ok(
        "helm",
        &["install", "dm", &chart, "-n", ns, "--create-namespace"],
    );
    let deploy = env.json(&["get", "deployment", "dm-deckmod", "-n", ns]);
    assert_eq!(deploy["spec"]["replicas"], 2);
    let pod = &deploy["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "dm-deckmod");
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let container = &pod["containers"][0];
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    for flag in [
        "--modules-dir=/modules",
        "--namespace=deckmod-chart",
        "--listen=:9650",
        "--log-format=json",
        "--leader-election",
    ] {
        assert!(args.contains(&flag), "{flag} in {args:?}");
    }
    // Kubernetes 1.20 serves PodDisruptionBudget in policy/v1beta1 only:
    // the chart asks the cluster (the capability check took the right branch).
    let pdb = env.json(&[
        "get",
        "poddisruptionbudgets.v1beta1.policy",
        "dm-deckmod",
        "-n",
        ns,
    ]);
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    let svc = env.json(&["get", "service", "dm-deckmod", "-n", ns]);
    assert_eq!(svc["spec"]["ports"][0]["port"], 9650);
    env.ok(
        "kubectl",
        &["get", "serviceaccount", "dm-deckmod", "-n", ns],
    );
    for crd in ["moduleconfigs.deckhouse.io", "modules.deckhouse.io"] {
        let c = env.json(&["get", "crd", crd]);
        let established = c["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["type"] == "Established" && c["status"] == "True");
        assert!(established, "{crd} is established");
    }
    let releases: Value =
        serde_json::from_str(&env.ok("helm", &["list", "-n", ns, "-o", "json"])).unwrap();
    assert_eq!(releases[0]["status"], "deployed", "{releases}");

    // Least privilege: what deckmod needs, and not more.
    for need in [
        vec!["patch", "customresourcedefinitions/modules.deckhouse.io"],
        vec!["watch", "moduleconfigs.deckhouse.io"],
        vec![
            "patch",
            "moduleconfigs.deckhouse.io",
            "--subresource",
            "status",
        ],
        vec!["create", "modules.deckhouse.io"],
        vec!["create", "secrets", "-n", "any-module-ns"],
        vec!["create", "namespaces"],
        vec!["update", "leases.coordination.k8s.io", "-n", ns],
        vec!["watch", "configmaps", "-n", ns],
    ] {
        assert!(env.can(&sa, &need), "the chart grants {need:?}");
    }
    for not in [
        vec![
            "patch",
            "customresourcedefinitions/certificates.cert-manager.io",
        ],
        vec!["delete", "customresourcedefinitions/modules.deckhouse.io"],
        vec!["update", "moduleconfigs.deckhouse.io"],
        vec!["delete", "namespaces"],
        vec!["update", "leases.coordination.k8s.io", "-n", "kube-system"],
        vec!["list", "configmaps", "-n", "kube-system"],
        vec!["create", "deployments.apps", "-n", "chart-probe"],
        vec!["delete", "nodes"],
        vec!["create", "clusterrolebindings"],
    ] {
        assert!(!env.can(&sa, &not), "the chart must not grant {not:?}");
    }

    // The module rules of the values extend the role (helm upgrade).
    let values = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        values.path(),
        "rbac:\n  modules:\n    rules:\n      - apiGroups: [\"\"]\n        resources: [configmaps]\n        verbs: [get, list, watch, create, update, patch, delete]\n",
    )
    .unwrap();
    let values_path = values.path().display().to_string();
    env.ok(
        "helm",
        &["upgrade", "dm", &chart, "-n", ns, "-f", &values_path],
    );
    assert!(env.can(&sa, &["list", "configmaps", "-n", "kube-system"]));
    assert!(!env.can(&sa, &["create", "deployments.apps", "-n", "chart-probe"]));

    // deckmod operator as the chart's ServiceAccount: a kubeconfig that
    // impersonates it (the admin may), with the groups a token would give.
    let mut kubeconfig: Value = serde_json::from_str(&env.ok(
        "kubectl",
        &["config", "view", "--raw", "--minify", "-o", "json"],
    ))
    .unwrap();
    kubeconfig["users"][0]["user"]["as"] = json!(sa);
    kubeconfig["users"][0]["user"]["as-groups"] = json!([
        "system:serviceaccounts",
        format!("system:serviceaccounts:{ns}"),
        "system:authenticated"
    ]);
    let work = tempfile::tempdir().unwrap();
    let sa_kubeconfig = work.path().join("kubeconfig");
    std::fs::write(&sa_kubeconfig, kubeconfig.to_string()).unwrap();
    let modules = work.path().join("modules");
    write_probe_module(&modules);
    env.ok("kubectl", &["create", "namespace", "chart-probe-src"]);

    let log = work.path().join("operator.log");
    let log_file = std::fs::File::create(&log).unwrap();
    let _operator = OperatorProcess(
        env.cmd(env!("CARGO_BIN_EXE_deckmod"))
            .env("KUBECONFIG", &sa_kubeconfig)
            .args(["operator", "--namespace", ns, "--log-format", "json"])
            .arg("--modules-dir")
            .arg(&modules)
            .arg("--tmp-dir")
            .arg(work.path().join("tmp"))
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("deckmod operator starts"),
    );
    env.ok_in(
        "kubectl",
        &["apply", "-f", "-"],
        Some(
            "apiVersion: deckhouse.io/v1alpha1\nkind: ModuleConfig\nmetadata: {name: probe}\nspec: {enabled: true, version: 1}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: first, namespace: chart-probe-src, labels: {probe: \"yes\"}}\n",
        ),
    );
    let kubectl_get = |args: &[&str]| -> Option<Value> {
        let out = env
            .cmd("kubectl")
            .args(args)
            .args(["-o", "json"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| serde_json::from_slice(&out.stdout).ok())
            .flatten()
    };
    eventually(
        "the module's ConfigMap names the watched one",
        60,
        &log,
        || {
            let cm = kubectl_get(&["get", "configmap", "seen", "-n", "chart-probe"])?;
            (cm["data"]["names"] == "first").then_some(())
        },
    );
    env.ok(
        "kubectl",
        &[
            "label",
            "configmap",
            "first",
            "-n",
            "chart-probe-src",
            "probe-",
        ],
    );
    env.ok_in(
        "kubectl",
        &["apply", "-f", "-"],
        Some("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: second, namespace: chart-probe-src, labels: {probe: \"yes\"}}\n"),
    );
    eventually("the module follows the watch", 60, &log, || {
        let cm = kubectl_get(&["get", "configmap", "seen", "-n", "chart-probe"])?;
        (cm["data"]["names"] == "second").then_some(())
    });
    let module = eventually("the Module is Ready", 60, &log, || {
        let m = kubectl_get(&["get", "modules.deckhouse.io", "probe"])?;
        (m["status"]["phase"] == "Ready").then_some(m)
    });
    assert_eq!(module["status"]["phase"], "Ready");
    let mc = eventually("the ModuleConfig's status is written", 60, &log, || {
        let m = kubectl_get(&["get", "moduleconfigs.deckhouse.io", "probe"])?;
        m["status"].is_object().then_some(m)
    });
    assert_eq!(mc["status"]["version"], "1", "{mc}");
    assert!(
        mc["status"]["message"].as_str().unwrap_or("").is_empty(),
        "no refusal: {mc}"
    );
    let releases: Value =
        serde_json::from_str(&env.ok("helm", &["list", "-n", "chart-probe", "-o", "json"]))
            .unwrap();
    assert_eq!(releases[0]["name"], "probe", "{releases}");
    assert_eq!(releases[0]["status"], "deployed", "{releases}");
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !log_text.contains("forbidden"),
        "the operator was refused something:\n{log_text}"
    );
}
