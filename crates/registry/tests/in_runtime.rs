//! The library inside a caller's tokio runtime (as the operator calls it): nothing builds a
//! runtime of its own or blocks on one, and transfers report to the caller's [`Progress`].

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use common::{plain_client, unique_source, write_module};
use registry::ops::{self, VersionSelector};
use registry::{Channel, ModuleVersion, Progress, build_module};

/// Counts what the library reports.
#[derive(Default)]
struct Counted {
    total: AtomicU64,
    done: AtomicU64,
}

impl Progress for Counted {
    fn add_total(&self, bytes: u64) {
        self.total.fetch_add(bytes, Ordering::Relaxed);
    }

    fn advance(&self, bytes: u64) {
        self.done.fetch_add(bytes, Ordering::Relaxed);
    }
}

// A current-thread runtime is the strictest host: a nested `block_on` or a blocking wait on
// the runtime's own thread would panic or hang here.
#[tokio::test(flavor = "current_thread")]
async fn publish_list_pull_inside_a_current_thread_runtime_report_progress() {
    let (client, registry) = plain_client();
    let source = unique_source(&registry, "in-runtime");
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("src");
    write_module(&dir, "inside", "rt");
    let version = ModuleVersion::parse("v0.3.0").unwrap();
    let built = build_module(&dir, &version, None).unwrap();
    let layout = work.path().join("layout");
    registry::write_build_output(&layout, &built).unwrap();
    let built = registry::read_build_output(&layout).unwrap();

    let pushed = Counted::default();
    ops::publish(&client, &source, &built, &[Channel::Beta], &pushed)
        .await
        .unwrap();
    let pushed_total = pushed.total.load(Ordering::Relaxed);
    assert!(pushed_total > 0);
    assert_eq!(pushed.done.load(Ordering::Relaxed), pushed_total);

    let listing = ops::list_source(&client, &source).await.unwrap();
    assert_eq!(listing.modules[0].channels["beta"], "v0.3.0");

    let pulled = Counted::default();
    let dest = work.path().join("out");
    let report = ops::pull_module(
        &client,
        &source,
        "inside",
        &VersionSelector::Channel(Channel::Beta),
        &dest,
        &pulled,
    )
    .await
    .unwrap();
    assert_eq!(report.version, "v0.3.0");
    let pulled_total = pulled.total.load(Ordering::Relaxed);
    assert!(pulled_total >= report.downloaded_bytes);
    assert_eq!(pulled.done.load(Ordering::Relaxed), pulled_total);
}

#[tokio::test(flavor = "current_thread")]
async fn an_unreachable_registry_is_an_error_not_a_panic_inside_a_runtime() {
    registry::init_crypto();
    let client = registry::RegistryClient::new(registry::ClientOptions {
        plain_http: true,
        ..registry::ClientOptions::default()
    })
    .unwrap();
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let source: registry::SourceRef = "127.0.0.1:1/nowhere".parse().unwrap();
    let err = ops::list_source(&client, &source).await.unwrap_err();
    assert!(matches!(err, registry::Error::Registry { .. }), "{err:?}");
}
