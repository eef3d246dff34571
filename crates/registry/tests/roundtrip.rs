//! Push -> list -> pull against the real docker-registry of the test environment.

mod common;

use std::fs;

use common::{block_on, plain_client, tls_client, tree, unique_source, write_module};
use registry::ops::{self, VersionSelector};
use registry::{Channel, ModuleVersion, NoProgress, build_module};

fn v(text: &str) -> ModuleVersion {
    ModuleVersion::parse(text).unwrap()
}

#[test]
fn push_list_pull_round_trip_is_byte_for_byte() {
    let (client, registry) = plain_client();
    let source = unique_source(&registry, "modules");
    let work = tempfile::tempdir().unwrap();
    let module_dir = work.path().join("src");
    write_module(&module_dir, "echo", "one");
    let built = build_module(&module_dir, &v("v0.1.0"), None).unwrap();

    let listing = block_on(async {
        let report = ops::publish(&client, &source, &built, &[Channel::Alpha], &NoProgress).await?;
        assert_eq!(
            report.module_digest,
            built.module_image.manifest_digest.to_string()
        );
        ops::list_source(&client, &source).await
    })
    .unwrap();
    assert_eq!(listing.modules.len(), 1);
    assert_eq!(listing.modules[0].name, "echo");
    assert_eq!(listing.modules[0].versions, ["v0.1.0"]);
    assert_eq!(listing.modules[0].channels["alpha"], "v0.1.0");

    let dest = work.path().join("pulled/echo/v0.1.0");
    let report = block_on(ops::pull_module(
        &client,
        &source,
        "echo",
        &VersionSelector::Version(v("v0.1.0")),
        &dest,
        &NoProgress,
    ))
    .unwrap();
    assert_eq!(
        report.digest,
        built.module_image.manifest_digest.to_string()
    );

    // The pulled tree equals the bundle selection of the source tree plus version.json.
    let pulled = tree(&dest);
    let mut expected: Vec<(String, Vec<u8>)> = tree(&module_dir)
        .into_iter()
        .filter(|(path, _)| {
            !path.starts_with("images/")
                && !path.starts_with("hooks/go/")
                && !path.starts_with("CHANGELOG/")
        })
        .collect();
    expected.push(("version.json".into(), br#"{"version":"v0.1.0"}"#.to_vec()));
    expected.sort();
    assert_eq!(pulled, expected);

    // Regular files are written with mode & 0700, as the platform does.
    let mode = |p: &str| {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(dest.join(p)).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode("hooks/run.sh"), 0o700);
    assert_eq!(mode("Chart.yaml"), 0o600);
}

#[test]
fn channels_move_and_pull_by_channel_follows_them() {
    let (client, registry) = plain_client();
    let source = unique_source(&registry, "modules");
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("src");
    write_module(&dir, "mover", "one");
    let first = build_module(&dir, &v("v0.1.0"), None).unwrap();
    write_module_salt(&dir, "two");
    let second = build_module(&dir, &v("v0.2.0"), None).unwrap();
    assert_ne!(
        first.module_image.manifest_digest,
        second.module_image.manifest_digest
    );

    block_on(async {
        ops::publish(&client, &source, &first, &[Channel::Stable], &NoProgress).await?;
        ops::publish(&client, &source, &second, &[Channel::Alpha], &NoProgress).await?;
        let stable = ops::read_release(&client, &source, "mover", "stable").await?;
        assert_eq!(stable.version, v("v0.1.0"));
        assert_eq!(stable.digest, first.release_image.manifest_digest);

        let moved =
            ops::move_channel(&client, &source, "mover", &v("v0.2.0"), Channel::Stable).await?;
        assert_eq!(moved, second.release_image.manifest_digest);
        let stable = ops::read_release(&client, &source, "mover", "stable").await?;
        assert_eq!(stable.version, v("v0.2.0"));
        assert_eq!(stable.changelog.as_deref(), Some("features:\n- faster\n"));

        let dest = work.path().join("by-channel");
        let report = ops::pull_module(
            &client,
            &source,
            "mover",
            &VersionSelector::Channel(Channel::Stable),
            &dest,
            &NoProgress,
        )
        .await?;
        assert_eq!(report.version, "v0.2.0");
        assert_eq!(
            fs::read_to_string(dest.join("templates/deployment.yaml")).unwrap(),
            "kind: Deployment # two\n"
        );
        // A channel that was never set is reported as not found.
        let missing = ops::read_release(&client, &source, "mover", "rock-solid").await;
        assert!(
            matches!(missing, Err(registry::Error::NotFound { .. })),
            "{missing:?}"
        );
        // Moving a channel to a version that was never pushed fails without touching it.
        let bad = ops::move_channel(&client, &source, "mover", &v("v9.9.9"), Channel::Stable).await;
        assert!(
            matches!(bad, Err(registry::Error::NotFound { .. })),
            "{bad:?}"
        );
        let stable = ops::read_release(&client, &source, "mover", "stable").await?;
        assert_eq!(stable.version, v("v0.2.0"));
        Ok(())
    })
    .unwrap();
}

fn write_module_salt(dir: &std::path::Path, salt: &str) {
    fs::write(
        dir.join("templates/deployment.yaml"),
        format!("kind: Deployment # {salt}\n"),
    )
    .unwrap();
}

#[test]
fn listing_sorts_versions_by_semver_and_lists_every_module() {
    let (client, registry) = plain_client();
    let source = unique_source(&registry, "modules");
    let work = tempfile::tempdir().unwrap();
    block_on(async {
        for (name, version) in [
            ("zeta", "v1.10.0"),
            ("alpha-mod", "v0.1.0"),
            ("zeta", "v1.9.0"),
            ("zeta", "v1.2.0"),
        ] {
            let dir = work.path().join(format!("{name}-{version}"));
            write_module(&dir, name, version);
            let built = build_module(&dir, &v(version), None)?;
            ops::publish(&client, &source, &built, &[], &NoProgress).await?;
        }
        let listing = ops::list_source(&client, &source).await?;
        let names: Vec<_> = listing.modules.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["alpha-mod", "zeta"]);
        assert_eq!(listing.modules[1].versions, ["v1.2.0", "v1.9.0", "v1.10.0"]);
        assert!(listing.modules[1].channels.is_empty());
        Ok(())
    })
    .unwrap();
}

#[test]
fn tls_with_custom_ca_and_basic_auth_round_trip() {
    let (client, registry) = tls_client();
    let source = unique_source(&registry, "modules");
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("src");
    write_module(&dir, "secure", "tls");
    let built = build_module(&dir, &v("v1.0.0"), None).unwrap();
    let dest = work.path().join("out");
    block_on(async {
        ops::publish(
            &client,
            &source,
            &built,
            &[Channel::EarlyAccess],
            &NoProgress,
        )
        .await?;
        let listing = ops::list_source(&client, &source).await?;
        assert_eq!(listing.modules[0].channels["early-access"], "v1.0.0");
        ops::pull_module(
            &client,
            &source,
            "secure",
            &VersionSelector::Channel(Channel::EarlyAccess),
            &dest,
            &NoProgress,
        )
        .await
    })
    .unwrap();
    assert_eq!(
        fs::read_to_string(dest.join("templates/deployment.yaml")).unwrap(),
        "kind: Deployment # tls\n"
    );
}
