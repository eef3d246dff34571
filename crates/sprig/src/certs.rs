//! Private keys and X.509 certificates: `genPrivateKey`, `genCA`,
//! `genSelfSignedCert`, `genSignedCert`, their `WithKey` forms and
//! `buildCustomCert`.
//!
//! Keys are written in the PEM forms Go's `crypto/x509` marshals (PKCS#1
//! `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, PKCS#8 `PRIVATE KEY` for
//! Ed25519). Certificates carry what Sprig's template sets: a random
//! 128-bit serial, the common name, IP and DNS SANs, validity from now for
//! the given days, key usages (plus certificate signing for CAs), server and
//! client auth, basic constraints.

use std::fmt;
use std::net::IpAddr;
use std::rc::Rc;

use gotmpl::{FuncError, FuncMap, Object, Value};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};

use crate::{FuncResult, args, define};

/// Sprig's `certificate` struct: PEM text in `.Cert` and `.Key`.
#[derive(Debug, Clone)]
pub struct Certificate {
    /// PEM `CERTIFICATE` block.
    pub cert: String,
    /// PEM private key block.
    pub key: String,
}

impl Object for Certificate {
    fn type_name(&self) -> &str {
        "sprig.certificate"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::str(&self.cert)),
            "Key" => Some(Value::str(&self.key)),
            _ => None,
        }
    }
    fn fmt_go(&self) -> String {
        format!("{{{} {}}}", self.cert, self.key)
    }
}

fn err(context: &str, e: impl fmt::Display) -> FuncError {
    FuncError::new(format!("{context}: {e}"))
}

/// A private key as Sprig handles it: the signing key pair and its PEM text.
struct PrivateKey {
    pair: KeyPair,
    pem: String,
}

fn rsa_key(bits: usize) -> Result<PrivateKey, FuncError> {
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, bits)
        .map_err(|e| err("error generating rsa key", e))?;
    rsa_private_key(&key)
}

fn rsa_private_key(key: &rsa::RsaPrivateKey) -> Result<PrivateKey, FuncError> {
    let pkcs8 = key
        .to_pkcs8_der()
        .map_err(|e| err("error encoding rsa key", e))?;
    let pair =
        KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8.as_bytes().into(), &rcgen::PKCS_RSA_SHA256)
            .map_err(|e| err("error loading rsa key", e))?;
    let pem = key
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(|e| err("error encoding rsa key", e))?;
    Ok(PrivateKey {
        pair,
        pem: pem.to_string(),
    })
}

fn ecdsa_key() -> Result<PrivateKey, FuncError> {
    let pair = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| err("failed to generate private key", e))?;
    let sec1 = crate::der::pkcs8_ec_to_sec1(pair.serialized_der())
        .ok_or_else(|| FuncError::new("failed to encode ecdsa key"))?;
    Ok(PrivateKey {
        pem: pem_block("EC PRIVATE KEY", &sec1),
        pair,
    })
}

fn ed25519_key() -> Result<PrivateKey, FuncError> {
    let pair = KeyPair::generate_for(&rcgen::PKCS_ED25519)
        .map_err(|e| err("failed to generate private key", e))?;
    Ok(PrivateKey {
        pem: pem_block("PRIVATE KEY", pair.serialized_der()),
        pair,
    })
}

/// Go's `pem.EncodeToMemory`: base64 in 64-character lines.
pub fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = data_encoding::BASE64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The first PEM block of `text`: its label and DER bytes.
fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let label_end = rest.find("-----")?;
    let label = rest[..label_end].to_string();
    let body_start = label_end + 5;
    let end_marker = format!("-----END {label}-----");
    let body_end = rest.find(&end_marker)?;
    let body: String = rest[body_start..body_end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = data_encoding::BASE64.decode(body.as_bytes()).ok()?;
    Some((label, der))
}

/// Sprig's `parsePrivateKeyPEM` (RSA, EC and PKCS#8 keys; DSA is not supported).
fn parse_private_key(text: &str) -> Result<PrivateKey, FuncError> {
    let (label, der) = pem_decode(text).ok_or_else(|| FuncError::new("no PEM data in input"))?;
    match label.as_str() {
        "PRIVATE KEY" => {
            let algs: [&'static rcgen::SignatureAlgorithm; 3] = [
                &rcgen::PKCS_ED25519,
                &rcgen::PKCS_ECDSA_P256_SHA256,
                &rcgen::PKCS_RSA_SHA256,
            ];
            for alg in algs {
                if let Ok(pair) = KeyPair::from_pkcs8_der_and_sign_algo(&der.as_slice().into(), alg)
                {
                    return Ok(PrivateKey {
                        pair,
                        pem: text.to_string(),
                    });
                }
            }
            Err(FuncError::new(
                "decoding PEM as PKCS#8: x509: failed to parse private key",
            ))
        }
        "RSA PRIVATE KEY" => {
            let key = rsa::RsaPrivateKey::from_pkcs1_der(&der)
                .map_err(|e| err("decoding PEM as PKCS#1", e))?;
            let mut parsed = rsa_private_key(&key)?;
            parsed.pem = text.to_string();
            Ok(parsed)
        }
        "EC PRIVATE KEY" => {
            let pkcs8 = crate::der::sec1_to_pkcs8_p256(&der).ok_or_else(|| {
                FuncError::new("decoding PEM as EC: x509: unsupported elliptic curve")
            })?;
            let pair = KeyPair::from_pkcs8_der_and_sign_algo(
                &pkcs8.as_slice().into(),
                &rcgen::PKCS_ECDSA_P256_SHA256,
            )
            .map_err(|e| err("decoding PEM as EC", e))?;
            Ok(PrivateKey {
                pair,
                pem: text.to_string(),
            })
        }
        other => Err(FuncError::new(format!(
            "no known private key type in PEM: {other:?}"
        ))),
    }
}

fn strings_of(v: &Value) -> Result<Vec<String>, FuncError> {
    args::list(v)?
        .iter()
        .map(|x| match x {
            Value::String(s) => Ok(s.to_string()),
            other => Err(FuncError::new(format!(
                "error processing certificate: value {} is not a string",
                gotmpl::fmt::format_value(other)
            ))),
        })
        .collect()
}

/// Sprig's `getBaseCertTemplate`.
fn base_params(
    cn: &str,
    ips: &[String],
    dns: &[String],
    days: i64,
) -> Result<CertificateParams, FuncError> {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, go_name_string(cn));
    let mut serial = [0u8; 16];
    crate::random::fill(&mut serial)?;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    for ip in ips {
        let addr: IpAddr = ip
            .parse()
            .map_err(|_| FuncError::new(format!("error parsing ip: {ip}")))?;
        params.subject_alt_names.push(SanType::IpAddress(addr));
    }
    for name in dns {
        let name = name
            .clone()
            .try_into()
            .map_err(|e| err("error parsing dns name", e))?;
        params.subject_alt_names.push(SanType::DnsName(name));
    }
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now;
    params.not_after = days
        .checked_mul(86_400)
        .and_then(|secs| now.checked_add(time::Duration::seconds(secs)))
        .ok_or_else(|| {
            FuncError::new(format!(
                "error creating certificate: validity of {days} days is out of range"
            ))
        })?;
    params.key_usages = vec![
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.is_ca = IsCa::ExplicitNoCa;
    Ok(params)
}

/// A name attribute as Go's `encoding/asn1` encodes a string:
/// PrintableString when every byte is one (letters, digits, space and
/// `'()+,-./:=?`; Go also lets `*` through, which ASN.1 and rcgen do not,
/// so such a name stays UTF8String), else UTF8String.
fn go_name_string(s: &str) -> rcgen::DnValue {
    let printable = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b));
    match rcgen::string::PrintableString::try_from(s) {
        Ok(p) if printable => rcgen::DnValue::PrintableString(p),
        _ => rcgen::DnValue::Utf8String(s.to_string()),
    }
}

fn certificate(cert: String, key: String) -> Value {
    Value::Object(Rc::new(Certificate { cert, key }))
}

fn gen_ca(cn: &str, days: i64, key: PrivateKey) -> FuncResult {
    let mut params = base_params(cn, &[], &[], days)?;
    params.key_usages.push(KeyUsagePurpose::KeyCertSign);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params
        .self_signed(&key.pair)
        .map_err(|e| err("error creating certificate", e))?;
    Ok(certificate(cert.pem(), key.pem))
}

fn gen_self_signed(a: &[Value], key: PrivateKey) -> FuncResult {
    let (cn, ips, dns, days) = (
        args::string(&a[0])?,
        strings_of(&a[1])?,
        strings_of(&a[2])?,
        args::int(&a[3])?,
    );
    let params = base_params(cn, &ips, &dns, days)?;
    let cert = params
        .self_signed(&key.pair)
        .map_err(|e| err("error creating certificate", e))?;
    Ok(certificate(cert.pem(), key.pem))
}

fn ca_of(v: &Value) -> Result<Certificate, FuncError> {
    match v {
        Value::Object(o) if o.type_name() == "sprig.certificate" => {
            let field = |name| {
                o.field(name)
                    .and_then(|f| f.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            Ok(Certificate {
                cert: field("Cert"),
                key: field("Key"),
            })
        }
        other => Err(FuncError::new(format!(
            "wrong type for value; expected sprig.certificate; got {}",
            args::go_type(other)
        ))),
    }
}

fn gen_signed(a: &[Value], key: PrivateKey) -> FuncResult {
    let (cn, ips, dns, days) = (
        args::string(&a[0])?,
        strings_of(&a[1])?,
        strings_of(&a[2])?,
        args::int(&a[3])?,
    );
    let ca = ca_of(&a[4])?;
    if pem_decode(&ca.cert).is_none() {
        return Err(FuncError::new("unable to decode certificate"));
    }
    let signer = parse_private_key(&ca.key).map_err(|e| err("error parsing private key", e))?;
    let issuer = Issuer::from_ca_cert_pem(&ca.cert, &signer.pair)
        .map_err(|e| err("error parsing certificate: decodedSignerCert.Bytes", e))?;
    let mut params = base_params(cn, &ips, &dns, days)?;
    // Go's x509 names the signer's key when the CA has a key identifier.
    params.use_authority_key_identifier_extension = true;
    let cert = params
        .signed_by(&key.pair, &issuer)
        .map_err(|e| err("error creating certificate", e))?;
    Ok(certificate(cert.pem(), key.pem))
}

fn with_key(a: &Value) -> Result<PrivateKey, FuncError> {
    parse_private_key(args::string(a)?).map_err(|e| err("parsing private key", e))
}

/// Register the key and certificate functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["genPrivateKey"], |n, a| {
        args::exact(n, a, 1)?;
        let key = match args::string(&a[0])? {
            "" | "rsa" => rsa_key(4096),
            "ecdsa" => ecdsa_key(),
            "ed25519" => ed25519_key(),
            "dsa" => {
                return Ok(Value::str(
                    "failed to generate dsa params: DSA keys are not supported",
                ));
            }
            other => return Ok(Value::str(format!("Unknown type {other}"))),
        };
        Ok(Value::str(match key {
            Ok(k) => k.pem,
            Err(e) => format!("failed to generate private key: {e}"),
        }))
    });
    define(m, &["genCA"], |n, a| {
        args::exact(n, a, 2)?;
        gen_ca(args::string(&a[0])?, args::int(&a[1])?, rsa_key(2048)?)
    });
    define(m, &["genCAWithKey"], |n, a| {
        args::exact(n, a, 3)?;
        gen_ca(args::string(&a[0])?, args::int(&a[1])?, with_key(&a[2])?)
    });
    define(m, &["genSelfSignedCert"], |n, a| {
        args::exact(n, a, 4)?;
        gen_self_signed(a, rsa_key(2048)?)
    });
    define(m, &["genSelfSignedCertWithKey"], |n, a| {
        args::exact(n, a, 5)?;
        gen_self_signed(a, with_key(&a[4])?)
    });
    define(m, &["genSignedCert"], |n, a| {
        args::exact(n, a, 5)?;
        gen_signed(a, rsa_key(2048)?)
    });
    define(m, &["genSignedCertWithKey"], |n, a| {
        args::exact(n, a, 6)?;
        gen_signed(a, with_key(&a[5])?)
    });
    define(m, &["buildCustomCert"], |n, a| {
        args::exact(n, a, 2)?;
        let cert = data_encoding::BASE64
            .decode(args::string(&a[0])?.as_bytes())
            .map_err(|_| FuncError::new("unable to decode base64 certificate"))?;
        let key = data_encoding::BASE64
            .decode(args::string(&a[1])?.as_bytes())
            .map_err(|_| FuncError::new("unable to decode base64 private key"))?;
        let (cert, key) = (
            String::from_utf8_lossy(&cert).into_owned(),
            String::from_utf8_lossy(&key).into_owned(),
        );
        let (_, der) =
            pem_decode(&cert).ok_or_else(|| FuncError::new("unable to decode certificate"))?;
        x509_parser::parse_x509_certificate(&der)
            .map_err(|e| err("error parsing certificate: decodedCert.Bytes", e))?;
        parse_private_key(&key).map_err(|e| err("error parsing private key", e))?;
        Ok(certificate(cert, key))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der_of(pem: &str) -> Vec<u8> {
        pem_decode(pem).expect("PEM").1
    }

    /// Issue 16 item 6 (in part): names are PrintableString where Go's
    /// asn1 uses it, and a signed certificate names its CA's key.
    #[test]
    fn names_and_key_identifiers_as_go_writes_them() {
        let ca_key = rsa_key(2048).unwrap();
        let Value::Object(ca) = gen_ca("foo-ca", 30, ca_key).unwrap() else {
            panic!()
        };
        let ca_pem = ca.field("Cert").unwrap().as_str().unwrap().to_string();
        let ca_value = Value::Object(ca);
        let leaf_key = rsa_key(2048).unwrap();
        let args = [
            Value::str("svc"),
            Value::list(vec![]),
            Value::list(vec![Value::str("svc.example")]),
            Value::Int(30),
            ca_value,
        ];
        let Value::Object(leaf) = gen_signed(&args, leaf_key).unwrap() else {
            panic!()
        };
        let leaf_pem = leaf.field("Cert").unwrap().as_str().unwrap().to_string();
        let ca_der = der_of(&ca_pem);
        let leaf_der = der_of(&leaf_pem);
        let (_, ca_cert) = x509_parser::parse_x509_certificate(&ca_der).unwrap();
        let (_, leaf_cert) = x509_parser::parse_x509_certificate(&leaf_der).unwrap();
        for name in [ca_cert.subject(), leaf_cert.subject(), leaf_cert.issuer()] {
            let cn = name.iter_common_name().next().unwrap();
            assert_eq!(
                cn.attr_value().header.tag(),
                x509_parser::der_parser::asn1_rs::Tag::PrintableString,
                "{name}"
            );
        }
        let aki = leaf_cert
            .extensions()
            .iter()
            .find(|e| e.oid == x509_parser::oid_registry::OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER);
        assert!(aki.is_some(), "the leaf names its CA's key");
        // A name Go cannot write as PrintableString stays UTF8String.
        assert!(matches!(
            go_name_string("ünï"),
            rcgen::DnValue::Utf8String(_)
        ));
    }
}
