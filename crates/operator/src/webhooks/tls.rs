//! The webhooks' TLS material: a server certificate the API server
//! trusts through the `caBundle` deckmod writes next to it.
//!
//! Either given as files (shell-operator's `--validating-webhook-server-cert`,
//! `-key` and `-ca`), or generated once and kept in a Secret of the
//! operator's namespace, so every replica serves the same certificate and
//! a restart does not change the `caBundle` the API server holds. A
//! generated certificate names the Services' DNS names and the call-back
//! host; the Secret records those names, and one that no longer covers
//! them is replaced.

use std::path::PathBuf;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::PostParams;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The annotation on a generated Secret listing the names its certificate
/// covers (comma-separated, sorted).
pub const NAMES_ANNOTATION: &str = "deckmod.io/webhook-names";

/// How long a generated certificate is valid.
const VALID_YEARS: i32 = 10;

/// Where the certificate comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsSource {
    /// PEM files: the server certificate (chain), its key and the CA that
    /// signed it (the `caBundle`).
    Files {
        /// Server certificate.
        cert: PathBuf,
        /// Its private key.
        key: PathBuf,
        /// The CA certificate.
        ca: PathBuf,
    },
    /// Generated and kept in this Secret of the operator's namespace.
    Secret(String),
}

/// The webhooks' TLS material could not be had.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file cannot be read.
    #[error("{0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// The PEM text holds no usable certificate or key.
    #[error("{what}: {message}")]
    Pem {
        /// The file or Secret key.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// Generating the certificate failed.
    #[error("generate the webhook certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// The API server refused the Secret.
    #[error("webhook certificate Secret {name}: {source}")]
    Secret {
        /// `namespace/name`.
        name: String,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
}

/// A server certificate, its key and the CA that signed it, as PEM.
#[derive(Clone)]
pub struct Material {
    /// Server certificate (chain).
    pub cert_pem: String,
    /// Its private key.
    pub key_pem: String,
    /// The CA certificate: the `caBundle` of the webhook configurations.
    pub ca_pem: String,
}

impl std::fmt::Debug for Material {
    /// Never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Material").finish_non_exhaustive()
    }
}

impl Material {
    /// Read the three PEM files.
    pub fn from_files(cert: &PathBuf, key: &PathBuf, ca: &PathBuf) -> Result<Material, TlsError> {
        let read =
            |p: &PathBuf| std::fs::read_to_string(p).map_err(|e| TlsError::Read(p.clone(), e));
        let m = Material {
            cert_pem: read(cert)?,
            key_pem: read(key)?,
            ca_pem: read(ca)?,
        };
        m.server_config()?;
        Ok(m)
    }

    /// A new CA and a server certificate it signs for `names` (DNS names
    /// or IP addresses).
    pub fn generate(names: &[String]) -> Result<Material, TlsError> {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let ((y, m, d), years) = (valid_from(), VALID_YEARS);
        let now = rcgen::date_time_ymd(y, m, d);
        let until = rcgen::date_time_ymd(y + years, m, d);
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "deckmod webhook CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params.not_before = now;
        ca_params.not_after = until;
        let ca_key = KeyPair::generate()?;
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let mut params = CertificateParams::new(names.to_vec())?;
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().map(String::as_str).unwrap_or("deckmod"),
        );
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = now;
        params.not_after = until;
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &issuer)?;
        Ok(Material {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            ca_pem: ca_cert.pem(),
        })
    }

    /// The rustls configuration serving this certificate (HTTP/1.1).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let pem_err = |what: &str, e: &dyn std::fmt::Display| TlsError::Pem {
            what: what.to_string(),
            message: e.to_string(),
        };
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(self.cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| pem_err("server certificate", &e))?;
        if certs.is_empty() {
            return Err(pem_err("server certificate", &"no CERTIFICATE block"));
        }
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| pem_err("server key", &e))?;
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| pem_err("server certificate and key", &e))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// Year, month and day a generated certificate is valid from: yesterday
/// (the clocks of the API server and this process may differ), its day
/// kept under 29 so that the same day exists [`VALID_YEARS`] later.
fn valid_from() -> (i32, u8, u8) {
    use chrono::Datelike;
    let d = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    // A month and a day of a date fit in u8.
    (d.year(), d.month() as u8, d.day().min(28) as u8)
}

fn sorted_names(names: &[String]) -> String {
    let mut n: Vec<&str> = names.iter().map(String::as_str).collect();
    n.sort_unstable();
    n.dedup();
    n.join(",")
}

/// The material kept in Secret `namespace/name`, generated (and the Secret
/// created or replaced) when there is none or its certificate does not
/// cover `names`. Two replicas starting at once agree: the one whose
/// create loses reads the winner's.
pub async fn from_secret(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    names: &[String],
) -> Result<Material, TlsError> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let wrap = |source| TlsError::Secret {
        name: format!("{namespace}/{name}"),
        source,
    };
    let wanted = sorted_names(names);
    for _ in 0..3 {
        let current = api.get_opt(name).await.map_err(wrap)?;
        if let Some(secret) = &current {
            let covers = secret
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(NAMES_ANNOTATION))
                .is_some_and(|have| {
                    let have: Vec<&str> = have.split(',').collect();
                    names.iter().all(|n| have.contains(&n.as_str()))
                });
            if covers && let Some(m) = material_of(secret, namespace, name) {
                return Ok(m);
            }
        }
        let m = Material::generate(names)?;
        let data = [
            ("tls.crt", &m.cert_pem),
            ("tls.key", &m.key_pem),
            ("ca.crt", &m.ca_pem),
        ]
        .into_iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                k8s_openapi::ByteString(v.as_bytes().to_vec()),
            )
        })
        .collect();
        let mut secret = Secret {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                namespace: Some(namespace.to_string()),
                annotations: Some([(NAMES_ANNOTATION.to_string(), wanted.clone())].into()),
                labels: Some(
                    [(
                        super::register::MANAGED_BY.0.to_string(),
                        super::register::MANAGED_BY.1.to_string(),
                    )]
                    .into(),
                ),
                ..ObjectMeta::default()
            },
            type_: Some("kubernetes.io/tls".into()),
            data: Some(data),
            ..Secret::default()
        };
        let written = match current {
            None => api.create(&PostParams::default(), &secret).await,
            Some(old) => {
                secret.metadata.resource_version = old.metadata.resource_version;
                api.replace(name, &PostParams::default(), &secret).await
            }
        };
        match written {
            Ok(_) => return Ok(m),
            // Another replica wrote it first: read theirs.
            Err(kube::Error::Api(s)) if s.code == 409 => continue,
            Err(e) => return Err(wrap(e)),
        }
    }
    Err(TlsError::Pem {
        what: format!("Secret {namespace}/{name}"),
        message: "kept changing while it was written".into(),
    })
}

fn material_of(secret: &Secret, namespace: &str, name: &str) -> Option<Material> {
    let data = secret.data.as_ref()?;
    let text = |k: &str| {
        data.get(k)
            .and_then(|b| String::from_utf8(b.0.clone()).ok())
    };
    let m = Material {
        cert_pem: text("tls.crt")?,
        key_pem: text("tls.key")?,
        ca_pem: text("ca.crt")?,
    };
    match m.server_config() {
        Ok(_) => Some(m),
        Err(e) => {
            tracing::warn!(
                "Secret {namespace}/{name} holds an unusable certificate ({e}); generating a new one"
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_certificate_serves_and_hides_its_key_from_debug() {
        crate::install_tls_provider();
        let m = Material::generate(&["svc.ns.svc".into(), "127.0.0.1".into()]).unwrap();
        assert!(m.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(m.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_ne!(m.cert_pem, m.ca_pem);
        m.server_config().unwrap();
        assert!(!format!("{m:?}").contains("PRIVATE"));
    }

    #[test]
    fn a_bad_key_is_named() {
        crate::install_tls_provider();
        let mut m = Material::generate(&["x.y.svc".into()]).unwrap();
        m.key_pem = "not a key".into();
        let e = m.server_config().unwrap_err().to_string();
        assert!(e.starts_with("server key:"), "{e}");
    }
}
