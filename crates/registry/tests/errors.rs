//! Clear errors for bad credentials and untrusted certificates (real TLS registry).

mod common;

use std::path::PathBuf;

use common::{block_on, env, unique_source, write_module};
use registry::auth::DockerConfig;
use registry::ops;
use registry::{ClientOptions, Error, ModuleVersion, NoProgress, RegistryClient};

fn built() -> (tempfile::TempDir, registry::BuiltModule) {
    let work = tempfile::tempdir().unwrap();
    write_module(work.path(), "denied", "x");
    let built = registry::build_module(work.path(), &ModuleVersion::parse("v0.1.0").unwrap(), None)
        .unwrap();
    (work, built)
}

#[test]
fn wrong_password_is_an_authentication_error_with_a_hint() {
    registry::init_crypto();
    let registry_host = env("REGISTRY_TLS");
    let config = format!(
        r#"{{"auths":{{"{registry_host}":{{"username":"{}","password":"wrong-password"}}}}}}"#,
        env("REGISTRY_USER")
    );
    let client = RegistryClient::new(ClientOptions {
        plain_http: false,
        ca_file: Some(PathBuf::from(env("REGISTRY_CA_FILE"))),
        credentials: DockerConfig::from_json(config.as_bytes(), "test").unwrap(),
        ..ClientOptions::default()
    })
    .unwrap();
    let source = unique_source(&registry_host, "modules");
    let (_work, built) = built();
    let err = block_on(ops::publish(&client, &source, &built, &[], &NoProgress)).unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&registry_host) && text.contains("--registry-config"),
        "{text}"
    );

    let anonymous = RegistryClient::new(ClientOptions {
        plain_http: false,
        ca_file: Some(PathBuf::from(env("REGISTRY_CA_FILE"))),
        credentials: DockerConfig::default(),
        ..ClientOptions::default()
    })
    .unwrap();
    let err = block_on(ops::list_source(&anonymous, &source)).unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
}

#[test]
fn unknown_ca_is_an_untrusted_certificate_error_with_a_hint() {
    registry::init_crypto();
    let registry_host = env("REGISTRY_TLS");
    let client = RegistryClient::new(ClientOptions {
        plain_http: false,
        ca_file: None,
        credentials: DockerConfig::load(Some(std::path::Path::new(&env("DOCKER_CONFIG")))).unwrap(),
        ..ClientOptions::default()
    })
    .unwrap();
    let source = unique_source(&registry_host, "modules");
    let err = block_on(ops::list_source(&client, &source)).unwrap_err();
    assert!(matches!(err, Error::UntrustedCertificate { .. }), "{err:?}");
    assert!(err.to_string().contains("--ca-file"), "{err}");
}

#[test]
fn a_ca_file_that_is_not_pem_is_refused_up_front() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "not a certificate").unwrap();
    let err = RegistryClient::new(ClientOptions {
        ca_file: Some(file.path().to_path_buf()),
        ..ClientOptions::default()
    })
    .err()
    .expect("must fail");
    assert!(err.to_string().contains("PEM"), "{err}");
}

#[test]
fn listing_a_source_with_no_modules_says_so() {
    let (client, registry_host) = common::plain_client();
    let source = unique_source(&registry_host, "empty");
    let err = block_on(ops::list_source(&client, &source)).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(
        err.to_string().contains("no module was ever published"),
        "{err}"
    );
}
