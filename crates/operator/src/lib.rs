//! deckmod's runtime: DKP modules and their hooks running in a real
//! cluster, as addon-operator and shell-operator run them, in one process.
//!
//! The only crate that talks to the cluster. Layers, each on the ones
//! before it:
//! 1. [`resources`] and [`cluster`]: discovery and object operations;
//! 2. [`watch`]: one shared watch per distinct (resource, namespace,
//!    selectors); [`bindings`] keeps a hook binding's snapshot from it;
//! 3. [`hook_set`]: a set of hooks with their bindings' snapshots,
//!    schedules and the runs they queue; [`module_worker`]: a module's
//!    task queue and converge (hooks, values, render, release, drift
//!    repair);
//! 4. [`release`]: server-side apply, prune, Helm 3 release records;
//! 5. [`config`], [`status`], [`crds`]: the DKP custom resources;
//! 6. beside them: [`webhooks`] (hooks as admission and conversion
//!    webhooks), [`leader`] and [`ha`] (one leader among replicas),
//!    [`http`], [`metrics`] and [`debug`] (what an operator of the
//!    operator reads).
//!
//! Pure parts ([`release::record`], [`objects`], [`patches`],
//! [`selectors`], [`config::check`]) have no cluster client and are unit
//! tested; the cluster code is thin around them and tested against a
//! real kube-apiserver (`tests/`).

pub mod bindings;
pub mod cluster;
pub mod config;
pub mod crds;
pub mod debug;
pub mod enabled;
pub mod events;
pub mod global_worker;
pub mod ha;
pub mod hook_call;
pub mod hook_set;
pub mod http;
pub mod kube_ops;
pub mod leader;
pub mod metrics;
pub mod module_worker;
pub mod objects;
pub mod operator;
pub mod order;
pub mod patches;
pub mod release;
pub mod resources;
pub mod selectors;
pub mod sources;
pub mod status;
pub mod watch;
pub mod webhooks;

pub use operator::{Operator, Options};

/// Install the process-wide TLS provider (ring) once; kube and the
/// registry client share it (see the project's dependency notes).
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client from the kubeconfig (`KUBECONFIG`, `~/.kube/config`) or the
/// in-cluster service account.
pub async fn client() -> Result<kube::Client, kube::Error> {
    install_tls_provider();
    kube::Client::try_default().await
}
