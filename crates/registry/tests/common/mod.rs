//! Shared helpers for the registry integration tests: test-environment variables, module
//! fixtures and unique repository paths.

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use registry::auth::DockerConfig;
use registry::{ClientOptions, RegistryClient, SourceRef};

/// Reads a test-environment variable, failing loudly (never skipping) when it is missing.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: these tests need the real docker-registry of the test \
             environment. Start it with `ENV_FILE=$(testenv/up.sh)` and `. $ENV_FILE` \
             (or run the project's test command), then rerun."
        )
    })
}

/// Runs an async registry operation to completion on a runtime of its own, as the CLI does
/// (the library builds none).
pub fn block_on<T>(
    future: impl std::future::Future<Output = registry::Result<T>>,
) -> registry::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(future)
}

/// A source path no other test or run uses.
pub fn unique_source(registry: &str, label: &str) -> SourceRef {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{registry}/t{}-{nanos}-{n}/{label}", std::process::id())
        .parse()
        .expect("valid source")
}

/// Client for the plain-HTTP registry (`$REGISTRY`).
pub fn plain_client() -> (RegistryClient, String) {
    registry::init_crypto();
    let registry = env("REGISTRY");
    let client = RegistryClient::new(ClientOptions {
        plain_http: true,
        ..ClientOptions::default()
    })
    .expect("client");
    (client, registry)
}

/// Client for the TLS + htpasswd registry (`$REGISTRY_TLS`) with the test CA and the
/// docker config of the environment.
pub fn tls_client() -> (RegistryClient, String) {
    registry::init_crypto();
    let registry = env("REGISTRY_TLS");
    let credentials =
        DockerConfig::load(Some(Path::new(&env("DOCKER_CONFIG")))).expect("docker config");
    let client = RegistryClient::new(ClientOptions {
        plain_http: false,
        ca_file: Some(PathBuf::from(env("REGISTRY_CA_FILE"))),
        credentials,
        ..ClientOptions::default()
    })
    .expect("client");
    (client, registry)
}

/// Writes a small module named `name` into `dir`; `salt` changes one template so two
/// versions differ.
pub fn write_module(dir: &Path, name: &str, salt: &str) {
    let files: &[(&str, String)] = &[
        (
            "module.yaml",
            format!("name: {name}\nweight: 910\nstage: Preview\n"),
        ),
        (
            "Chart.yaml",
            format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n"),
        ),
        (".helmignore", "images\nhooks\n".to_string()),
        (
            "templates/deployment.yaml",
            format!("kind: Deployment # {salt}\n"),
        ),
        (
            "templates/_helpers.tpl",
            "{{- define \"x\" -}}x{{- end -}}\n".to_string(),
        ),
        ("openapi/config-values.yaml", "type: object\n".to_string()),
        ("hooks/run.sh", "#!/bin/sh\necho ok\n".to_string()),
        ("hooks/go/main.go", "package main\n".to_string()),
        ("images/backend/Dockerfile", "FROM scratch\n".to_string()),
        ("CHANGELOG/v0.2.0.yml", "features:\n- faster\n".to_string()),
        ("docs/README.md", "# Demo\n".to_string()),
    ];
    for (path, content) in files {
        let full = dir.join(path);
        fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        fs::write(&full, content).expect("write");
    }
    fs::set_permissions(dir.join("hooks/run.sh"), fs::Permissions::from_mode(0o755))
        .expect("chmod");
    std::os::unix::fs::symlink("deployment.yaml", dir.join("templates/link.yaml"))
        .expect("symlink");
}

/// Every regular file and symlink under `root` as (relative path, content or link target).
pub fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    collect(root, root, &mut out);
    out.sort();
    out
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        let relative = path
            .strip_prefix(root)
            .expect("prefix")
            .to_string_lossy()
            .into_owned();
        let meta = fs::symlink_metadata(&path).expect("meta");
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).expect("link");
            out.push((relative, format!("-> {}", target.display()).into_bytes()));
        } else if meta.is_dir() {
            collect(root, &path, out);
        } else {
            out.push((relative, fs::read(&path).expect("read")));
        }
    }
}
