//! Process-wide TLS crypto provider.
//!
//! oci-client (via reqwest) and kube both use rustls; when both live in one binary rustls
//! cannot pick a provider by itself and the first TLS client panics. Installing `ring`
//! explicitly once per process avoids that and keeps aws-lc's C build out of the binary.

use std::sync::Once;

static INSTALL_PROVIDER: Once = Once::new();

/// Installs `ring` as the process-default rustls crypto provider. Idempotent and cheap:
/// call it at the start of every entry point and test that may open a TLS connection.
pub fn init_crypto() {
    INSTALL_PROVIDER.call_once(|| {
        // Err means another provider was installed first (for example by kube); any
        // installed provider is fine for us, so the result is deliberately ignored.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
