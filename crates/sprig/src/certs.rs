//! Private keys and X.509 certificates: `genPrivateKey`, `genCA`,
//! `genSelfSignedCert`, `genSignedCert`, their `WithKey` forms and
//! `buildCustomCert`.
//!
//! Keys are written in the PEM forms Go's `crypto/x509` marshals (PKCS#1
//! `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, PKCS#8 `PRIVATE KEY` for
//! Ed25519). Certificates are written as Go's `x509.CreateCertificate`
//! writes Sprig's templates (see `create_certificate`), so that they differ
//! from Helm's only in the key, serial, validity times and signature.

use std::fmt;
use std::net::IpAddr;
use std::rc::Rc;

use gotmpl::{FuncError, FuncMap, Object, Value};
use rcgen::{KeyPair, PublicKeyData, SigningKey};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};

use crate::der::{bit_string, go_string, go_time, tlv, unsigned_integer};
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

/// The key types Sprig can put in a certificate (Go also takes P-224,
/// P-384 and P-521 keys, which deckmod does not read).
#[derive(Debug, Clone, Copy, PartialEq)]
enum KeyKind {
    Rsa,
    EcdsaP256,
    Ed25519,
}

/// DER contents of the object identifiers Go writes into these certificates.
mod oid {
    pub const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    pub const SHA256_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    pub const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    pub const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    pub const ECDSA_WITH_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    pub const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    pub const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
    pub const SUBJECT_KEY_ID: &[u8] = &[0x55, 0x1d, 0x0e];
    pub const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
    pub const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
    pub const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
    pub const AUTHORITY_KEY_ID: &[u8] = &[0x55, 0x1d, 0x23];
    pub const EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
    pub const SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
    pub const CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
}

/// A SEQUENCE of the given encoded elements.
fn sequence(elements: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &elements.concat())
}

const NULL: &[u8] = &[0x05, 0x00];

impl KeyKind {
    /// The SubjectPublicKeyInfo algorithm, as Go's `marshalPublicKey`
    /// writes it: NULL parameters for RSA (RFC 3279), the named curve for
    /// ECDSA, none for Ed25519.
    fn public_key_algorithm(self) -> Vec<u8> {
        match self {
            KeyKind::Rsa => sequence(&[&tlv(0x06, oid::RSA_ENCRYPTION), NULL]),
            KeyKind::EcdsaP256 => {
                sequence(&[&tlv(0x06, oid::EC_PUBLIC_KEY), &tlv(0x06, oid::P256)])
            }
            KeyKind::Ed25519 => sequence(&[&tlv(0x06, oid::ED25519)]),
        }
    }

    /// The signature algorithm Go's `signingParamsForPublicKey` picks for
    /// a signer of this kind: SHA-256 with RSA (NULL parameters), ECDSA
    /// with SHA-256 on P-256 and Ed25519 (no parameters).
    fn signature_algorithm(self) -> Vec<u8> {
        match self {
            KeyKind::Rsa => sequence(&[&tlv(0x06, oid::SHA256_WITH_RSA), NULL]),
            KeyKind::EcdsaP256 => sequence(&[&tlv(0x06, oid::ECDSA_WITH_SHA256)]),
            KeyKind::Ed25519 => sequence(&[&tlv(0x06, oid::ED25519)]),
        }
    }
}

/// A private key as Sprig handles it: the signing key pair and its PEM text.
struct PrivateKey {
    pair: KeyPair,
    pem: String,
    kind: KeyKind,
}

impl PrivateKey {
    /// The subjectPublicKey bits: PKCS#1 `RSAPublicKey`, the uncompressed
    /// point, or the Ed25519 key.
    fn public_key(&self) -> &[u8] {
        self.pair.der_bytes()
    }
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
        kind: KeyKind::Rsa,
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
        kind: KeyKind::EcdsaP256,
    })
}

fn ed25519_key() -> Result<PrivateKey, FuncError> {
    let pair = KeyPair::generate_for(&rcgen::PKCS_ED25519)
        .map_err(|e| err("failed to generate private key", e))?;
    Ok(PrivateKey {
        pem: pem_block("PRIVATE KEY", pair.serialized_der()),
        pair,
        kind: KeyKind::Ed25519,
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
            let algs: [(&'static rcgen::SignatureAlgorithm, KeyKind); 3] = [
                (&rcgen::PKCS_ED25519, KeyKind::Ed25519),
                (&rcgen::PKCS_ECDSA_P256_SHA256, KeyKind::EcdsaP256),
                (&rcgen::PKCS_RSA_SHA256, KeyKind::Rsa),
            ];
            for (alg, kind) in algs {
                if let Ok(pair) = KeyPair::from_pkcs8_der_and_sign_algo(&der.as_slice().into(), alg)
                {
                    return Ok(PrivateKey {
                        pair,
                        pem: text.to_string(),
                        kind,
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
                kind: KeyKind::EcdsaP256,
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

/// What Go's `CreateCertificate` reads from Sprig's templates
/// (`getBaseCertTemplate`, and for a CA its key usage and `IsCA`).
struct Template {
    /// The encoded subject: `pkix.Name{CommonName: cn}.ToRDNSequence()`.
    subject: Vec<u8>,
    /// The serial's magnitude: 128 random bits, as `rand.Int` below 2^128.
    serial: [u8; 16],
    ips: Vec<IpAddr>,
    dns: Vec<String>,
    not_before: time::OffsetDateTime,
    not_after: time::OffsetDateTime,
    is_ca: bool,
}

/// Go's `x509.KeyUsage` bits.
const DIGITAL_SIGNATURE: u16 = 1 << 0;
const KEY_ENCIPHERMENT: u16 = 1 << 2;
const CERT_SIGN: u16 = 1 << 5;

impl Template {
    /// Sprig's key usages: digital signature and key encipherment, plus
    /// certificate signing for a CA.
    fn key_usage(&self) -> u16 {
        let leaf = KEY_ENCIPHERMENT | DIGITAL_SIGNATURE;
        if self.is_ca { leaf | CERT_SIGN } else { leaf }
    }
}

/// Sprig's `getBaseCertTemplate`.
fn base_template(
    cn: &str,
    ips: &[String],
    dns: &[String],
    days: i64,
) -> Result<Template, FuncError> {
    let ips = ips
        .iter()
        .map(|ip| {
            ip.parse()
                .map_err(|_| FuncError::new(format!("error parsing ip: {ip}")))
        })
        .collect::<Result<_, _>>()?;
    let mut serial = [0u8; 16];
    crate::random::fill(&mut serial)?;
    let subject = go_name(cn).map_err(|e| err("error creating certificate", e))?;
    let now = time::OffsetDateTime::now_utc();
    let not_after = days
        .checked_mul(86_400)
        .and_then(|secs| now.checked_add(time::Duration::seconds(secs)))
        .ok_or_else(|| {
            FuncError::new(format!(
                "error creating certificate: validity of {days} days is out of range"
            ))
        })?;
    Ok(Template {
        subject,
        serial,
        ips,
        dns: dns.to_vec(),
        not_before: now,
        not_after,
        is_ca: false,
    })
}

/// A name holding only a common name, as Go's `pkix.Name.ToRDNSequence`
/// and `asn1.Marshal` write it: one single-valued RDN, or no RDN at all
/// for an empty name.
fn go_name(cn: &str) -> Result<Vec<u8>, &'static str> {
    if cn.is_empty() {
        return Ok(sequence(&[]));
    }
    let value = go_string(&gostd::bytestring::to_bytes(cn))?;
    let attribute = sequence(&[&tlv(0x06, oid::COMMON_NAME), &value]);
    Ok(sequence(&[&tlv(0x31, &attribute)]))
}

/// The certificate that signs: its subject as encoded, its subject key
/// identifier, and the key that signs (with the public key the parent
/// certificate carries, when there is one, to check it against).
struct Parent<'a> {
    subject: &'a [u8],
    key_id: Option<&'a [u8]>,
    public_key: Option<&'a [u8]>,
    key: &'a PrivateKey,
}

/// One `pkix.Extension`: `critical` is written only when true.
fn extension(id: &[u8], critical: bool, value: &[u8]) -> Vec<u8> {
    let id = tlv(0x06, id);
    let value = tlv(0x04, value);
    if critical {
        sequence(&[&id, &[0x01, 0x01, 0xff], &value])
    } else {
        sequence(&[&id, &value])
    }
}

/// Go's `marshalKeyUsage`: the usage bits reversed into a BIT STRING of
/// one or two octets, without its trailing zero bits.
fn key_usage_value(usage: u16) -> Vec<u8> {
    let octets = [
        (usage as u8).reverse_bits(),
        ((usage >> 8) as u8).reverse_bits(),
    ];
    let used = if octets[1] == 0 {
        &octets[..1]
    } else {
        &octets[..]
    };
    let last = used[used.len() - 1];
    let unused = if last == 0 {
        0
    } else {
        last.trailing_zeros() as u8
    };
    let mut content = vec![unused];
    content.extend_from_slice(used);
    tlv(0x03, &content)
}

/// Go's `marshalSANs` for Sprig's templates: DNS names (which must be
/// ASCII), then IP addresses, IPv4 ones (also IPv4-mapped IPv6) in four bytes.
fn subject_alt_names(dns: &[String], ips: &[IpAddr]) -> Result<Vec<u8>, FuncError> {
    let mut names = Vec::new();
    for name in dns {
        let bytes = gostd::bytestring::to_bytes(name);
        if !bytes.is_ascii() {
            return Err(FuncError::new(format!(
                "error creating certificate: x509: {} cannot be encoded as an IA5String",
                gostd::strconv::quote(name)
            )));
        }
        names.extend(tlv(0x82, &bytes));
    }
    for ip in ips {
        let octets = match ip {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.octets().to_vec(),
                None => v6.octets().to_vec(),
            },
        };
        names.extend(tlv(0x87, &octets));
    }
    Ok(tlv(0x30, &names))
}

/// Go's `buildCertExtensions` for Sprig's templates, in Go's order:
/// keyUsage, extKeyUsage, basicConstraints, subjectKeyId, authorityKeyId,
/// subjectAltName (critical only under an empty subject).
fn extensions(
    template: &Template,
    subject_key_id: Option<&[u8]>,
    authority_key_id: Option<&[u8]>,
) -> Result<Vec<u8>, FuncError> {
    let mut out = extension(oid::KEY_USAGE, true, &key_usage_value(template.key_usage()));
    let auth = sequence(&[&tlv(0x06, oid::SERVER_AUTH), &tlv(0x06, oid::CLIENT_AUTH)]);
    out.extend(extension(oid::EXT_KEY_USAGE, false, &auth));
    // Go leaves a false `IsCA` and the absent path length out.
    let constraints = if template.is_ca {
        sequence(&[&[0x01, 0x01, 0xff]])
    } else {
        sequence(&[])
    };
    out.extend(extension(oid::BASIC_CONSTRAINTS, true, &constraints));
    if let Some(id) = subject_key_id {
        out.extend(extension(oid::SUBJECT_KEY_ID, false, &tlv(0x04, id)));
    }
    if let Some(id) = authority_key_id {
        out.extend(extension(
            oid::AUTHORITY_KEY_ID,
            false,
            &sequence(&[&tlv(0x80, id)]),
        ));
    }
    if !template.dns.is_empty() || !template.ips.is_empty() {
        let sans = subject_alt_names(&template.dns, &template.ips)?;
        let critical = template.subject == sequence(&[]);
        out.extend(extension(oid::SUBJECT_ALT_NAME, critical, &sans));
    }
    Ok(out)
}

/// Go's `x509.CreateCertificate` for Sprig's templates, as PEM: a v3
/// certificate of `template` for `subject_key`, signed by `parent`.
///
/// As Go does, a CA gets a subject key identifier (SHA-1 of its public key
/// bits, RFC 5280 method 1), and the parent's key identifier becomes the
/// authority key identifier unless issuer and subject encode alike. (Go
/// 1.25 hashes with SHA-256 instead, but only for modules that declare
/// `go 1.25`; Helm 3.17 declares 1.23 and writes SHA-1.)
fn create_certificate(
    template: &Template,
    subject_key: &PrivateKey,
    parent: &Parent<'_>,
) -> Result<String, FuncError> {
    if let Some(public_key) = parent.public_key
        && public_key != parent.key.public_key()
    {
        return Err(FuncError::new(
            "error creating certificate: x509: provided PrivateKey doesn't match parent's PublicKey",
        ));
    }
    let public_key = subject_key.public_key();
    let subject_key_id = template
        .is_ca
        .then(|| ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, public_key));
    let authority_key_id = parent
        .key_id
        .filter(|id| !id.is_empty() && parent.subject != template.subject.as_slice());
    let extensions = extensions(
        template,
        subject_key_id.as_ref().map(|d| d.as_ref()),
        authority_key_id,
    )?;
    let signature_algorithm = parent.key.kind.signature_algorithm();
    let validity = sequence(&[&go_time(template.not_before), &go_time(template.not_after)]);
    let public_key_info = sequence(&[
        &subject_key.kind.public_key_algorithm(),
        &bit_string(public_key),
    ]);
    let tbs = sequence(&[
        &tlv(0xa0, &[0x02, 0x01, 0x02]),
        &unsigned_integer(&template.serial),
        &signature_algorithm,
        parent.subject,
        &validity,
        &template.subject,
        &public_key_info,
        &tlv(0xa3, &tlv(0x30, &extensions)),
    ]);
    let signature = parent
        .key
        .pair
        .sign(&tbs)
        .map_err(|e| err("error creating certificate", e))?;
    let der = sequence(&[&tbs, &signature_algorithm, &bit_string(&signature)]);
    Ok(pem_block("CERTIFICATE", &der))
}

/// A certificate signed by its own key.
fn self_signed(template: &Template, key: PrivateKey) -> FuncResult {
    let parent = Parent {
        subject: &template.subject,
        key_id: None,
        public_key: None,
        key: &key,
    };
    let cert = create_certificate(template, &key, &parent)?;
    Ok(certificate(cert, key.pem))
}

fn certificate(cert: String, key: String) -> Value {
    Value::Object(Rc::new(Certificate { cert, key }))
}

fn gen_ca(cn: &str, days: i64, key: PrivateKey) -> FuncResult {
    let mut template = base_template(cn, &[], &[], days)?;
    template.is_ca = true;
    self_signed(&template, key)
}

fn gen_self_signed(a: &[Value], key: PrivateKey) -> FuncResult {
    let (cn, ips, dns, days) = (
        args::string(&a[0])?,
        strings_of(&a[1])?,
        strings_of(&a[2])?,
        args::int(&a[3])?,
    );
    self_signed(&base_template(cn, &ips, &dns, days)?, key)
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
    let (_, ca_der) =
        pem_decode(&ca.cert).ok_or_else(|| FuncError::new("unable to decode certificate"))?;
    let (_, ca_cert) = x509_parser::parse_x509_certificate(&ca_der)
        .map_err(|e| err("error parsing certificate: decodedSignerCert.Bytes", e))?;
    let signer = parse_private_key(&ca.key).map_err(|e| err("error parsing private key", e))?;
    let template = base_template(cn, &ips, &dns, days)?;
    // Go takes the issuer as the CA's subject bytes and its key identifier
    // from the CA's subjectKeyIdentifier extension.
    let key_id = ca_cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0),
            _ => None,
        });
    let parent = Parent {
        subject: ca_cert.subject().as_raw(),
        key_id,
        public_key: Some(&ca_cert.public_key().subject_public_key.data),
        key: &signer,
    };
    let cert = create_certificate(&template, &key, &parent)?;
    Ok(certificate(cert, key.pem))
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
    use x509_parser::der_parser::asn1_rs::Tag;
    use x509_parser::prelude::{X509Certificate, parse_x509_certificate};

    const KEY_USAGE: &str = "2.5.29.15";
    const EXT_KEY_USAGE: &str = "2.5.29.37";
    const BASIC_CONSTRAINTS: &str = "2.5.29.19";
    const SUBJECT_KEY_ID: &str = "2.5.29.14";
    const AUTHORITY_KEY_ID: &str = "2.5.29.35";
    const SUBJECT_ALT_NAME: &str = "2.5.29.17";

    /// The extKeyUsage value Go writes for serverAuth, clientAuth.
    const SERVER_AND_CLIENT_AUTH: &[u8] = &[
        0x30, 0x14, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01, 0x06, 0x08, 0x2b,
        0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02,
    ];

    fn der_of(v: &Value) -> Vec<u8> {
        let Value::Object(o) = v else {
            panic!("not a certificate: {v:?}")
        };
        let pem = o.field("Cert").unwrap();
        pem_decode(pem.as_str().unwrap()).expect("PEM").1
    }

    fn parse(der: &[u8]) -> X509Certificate<'_> {
        let (rest, cert) = parse_x509_certificate(der).expect("a certificate");
        assert!(rest.is_empty());
        cert
    }

    /// The extensions in order: OID, critical, DER value.
    fn extensions(cert: &X509Certificate<'_>) -> Vec<(String, bool, Vec<u8>)> {
        cert.extensions()
            .iter()
            .map(|e| (e.oid.to_id_string(), e.critical, e.value.to_vec()))
            .collect()
    }

    fn ext(oid: &str, critical: bool, value: &[u8]) -> (String, bool, Vec<u8>) {
        (oid.to_string(), critical, value.to_vec())
    }

    /// A subject of one common name with the given string tag.
    fn cn_name(tag: u8, cn: &str) -> Vec<u8> {
        let mut atv = vec![0x06, 0x03, 0x55, 0x04, 0x03, tag, cn.len() as u8];
        atv.extend(cn.as_bytes());
        let mut seq = vec![0x30, atv.len() as u8];
        seq.extend(atv);
        let mut set = vec![0x31, seq.len() as u8];
        set.extend(seq);
        let mut name = vec![0x30, set.len() as u8];
        name.extend(set);
        name
    }

    /// Check the signature with `signer`'s public key (its SPKI bit string).
    fn verify(
        cert: &X509Certificate<'_>,
        alg: &'static dyn ring::signature::VerificationAlgorithm,
        signer: &[u8],
    ) {
        ring::signature::UnparsedPublicKey::new(alg, signer)
            .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
            .expect("the signature verifies");
    }

    fn pem_key(k: &PrivateKey) -> PrivateKey {
        parse_private_key(&k.pem).unwrap()
    }

    /// Issue 16 item 6: a CA as Go's `CreateCertificate` writes Sprig's CA
    /// template: v3, sha256WithRSAEncryption with NULL parameters, the name
    /// as PrintableString, and keyUsage (critical; digitalSignature,
    /// keyEncipherment, keyCertSign), extKeyUsage, basicConstraints
    /// (critical, CA without a path length) and a SHA-1 subjectKeyId of the
    /// key, in that order and nothing more.
    #[test]
    fn ca_is_written_as_go_writes_it() {
        let der = der_of(&gen_ca("foo-ca", 30, rsa_key(2048).unwrap()).unwrap());
        let cert = parse(&der);
        assert_eq!(cert.version().0, 2);
        for alg in [&cert.tbs_certificate.signature, &cert.signature_algorithm] {
            assert_eq!(alg.algorithm.to_id_string(), "1.2.840.113549.1.1.11");
            assert_eq!(alg.parameters.as_ref().map(|p| p.tag()), Some(Tag::Null));
        }
        let spki = cert.public_key();
        assert_eq!(
            spki.algorithm.algorithm.to_id_string(),
            "1.2.840.113549.1.1.1"
        );
        assert_eq!(
            spki.algorithm.parameters.as_ref().map(|p| p.tag()),
            Some(Tag::Null)
        );
        assert_eq!(cert.subject().as_raw(), cn_name(0x13, "foo-ca"));
        assert_eq!(cert.issuer().as_raw(), cert.subject().as_raw());
        let key_id = ring::digest::digest(
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            &spki.subject_public_key.data,
        );
        let mut ski = vec![0x04, 0x14];
        ski.extend(key_id.as_ref());
        assert_eq!(
            extensions(&cert),
            vec![
                ext(KEY_USAGE, true, &[0x03, 0x02, 0x02, 0xa4]),
                ext(EXT_KEY_USAGE, false, SERVER_AND_CLIENT_AUTH),
                ext(BASIC_CONSTRAINTS, true, &[0x30, 0x03, 0x01, 0x01, 0xff]),
                ext(SUBJECT_KEY_ID, false, &ski),
            ]
        );
        verify(
            &cert,
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &spki.subject_public_key.data,
        );
    }

    /// Issue 16 item 6: a self-signed leaf has keyUsage (digitalSignature,
    /// keyEncipherment), extKeyUsage, an empty critical basicConstraints and
    /// the SANs with DNS names before IPs, IPv4 (also IPv4-mapped IPv6) in
    /// four bytes; no key identifiers.
    #[test]
    fn self_signed_leaf_is_written_as_go_writes_it() {
        let args = [
            Value::str("svc"),
            Value::list(vec![
                Value::str("10.0.0.1"),
                Value::str("::ffff:10.0.0.2"),
                Value::str("fd00::1"),
            ]),
            Value::list(vec![Value::str("svc.example"), Value::str("svc")]),
            Value::Int(30),
        ];
        let der = der_of(&gen_self_signed(&args, ecdsa_key().unwrap()).unwrap());
        let cert = parse(&der);
        let mut san = vec![0x30, 0x30, 0x82, 0x0b];
        san.extend(b"svc.example");
        san.extend([0x82, 0x03]);
        san.extend(b"svc");
        san.extend([
            0x87, 0x04, 10, 0, 0, 1, 0x87, 0x04, 10, 0, 0, 2, 0x87, 0x10, 0xfd,
        ]);
        san.extend([0; 14]);
        san.push(1);
        assert_eq!(
            extensions(&cert),
            vec![
                ext(KEY_USAGE, true, &[0x03, 0x02, 0x05, 0xa0]),
                ext(EXT_KEY_USAGE, false, SERVER_AND_CLIENT_AUTH),
                ext(BASIC_CONSTRAINTS, true, &[0x30, 0x00]),
                ext(SUBJECT_ALT_NAME, false, &san),
            ]
        );
        // ecdsa-with-SHA256 has no parameters; the key names its curve.
        assert_eq!(
            cert.signature_algorithm.algorithm.to_id_string(),
            "1.2.840.10045.4.3.2"
        );
        assert!(cert.signature_algorithm.parameters.is_none());
        let spki = cert.public_key();
        assert_eq!(spki.algorithm.algorithm.to_id_string(), "1.2.840.10045.2.1");
        let curve = spki.algorithm.parameters.as_ref().unwrap();
        assert_eq!(
            curve.as_oid().unwrap().to_id_string(),
            "1.2.840.10045.3.1.7"
        );
        verify(
            &cert,
            &ring::signature::ECDSA_P256_SHA256_ASN1,
            &spki.subject_public_key.data,
        );
    }

    /// Issue 16 item 6: a signed leaf takes its issuer from the CA's subject
    /// bytes and names the CA's subjectKeyId in an authorityKeyId between
    /// basicConstraints and the SANs, unless its name is the CA's own.
    #[test]
    fn signed_leaf_names_its_ca_as_go_does() {
        let ca_key = ed25519_key().unwrap();
        let ca_value = gen_ca("foo-ca", 30, pem_key(&ca_key)).unwrap();
        let ca_der = der_of(&ca_value);
        let ca = parse(&ca_der);
        assert_eq!(
            ca.signature_algorithm.algorithm.to_id_string(),
            "1.3.101.112"
        );
        assert!(ca.signature_algorithm.parameters.is_none());
        assert!(ca.public_key().algorithm.parameters.is_none());
        let ca_ski = extensions(&ca)
            .into_iter()
            .find(|e| e.0 == SUBJECT_KEY_ID)
            .expect("a CA has a subjectKeyId")
            .2;
        let mut aki = vec![0x30, 0x16, 0x80, 0x14];
        aki.extend(&ca_ski[2..]);
        let mut san = vec![0x30, 0x0d, 0x82, 0x0b];
        san.extend(b"svc.example");
        let signed = |cn: &str| {
            let args = [
                Value::str(cn),
                Value::list(vec![]),
                Value::list(vec![Value::str("svc.example")]),
                Value::Int(30),
                ca_value.clone(),
            ];
            der_of(&gen_signed(&args, rsa_key(2048).unwrap()).unwrap())
        };
        let leaf_der = signed("svc");
        let leaf = parse(&leaf_der);
        assert_eq!(leaf.issuer().as_raw(), ca.subject().as_raw());
        assert_eq!(leaf.subject().as_raw(), cn_name(0x13, "svc"));
        assert_eq!(
            extensions(&leaf),
            vec![
                ext(KEY_USAGE, true, &[0x03, 0x02, 0x05, 0xa0]),
                ext(EXT_KEY_USAGE, false, SERVER_AND_CLIENT_AUTH),
                ext(BASIC_CONSTRAINTS, true, &[0x30, 0x00]),
                ext(AUTHORITY_KEY_ID, false, &aki),
                ext(SUBJECT_ALT_NAME, false, &san),
            ]
        );
        // The CA signs with its Ed25519 key; the leaf carries its RSA key.
        assert_eq!(
            leaf.signature_algorithm.algorithm.to_id_string(),
            "1.3.101.112"
        );
        assert_eq!(
            leaf.public_key().algorithm.algorithm.to_id_string(),
            "1.2.840.113549.1.1.1"
        );
        verify(
            &leaf,
            &ring::signature::ED25519,
            &ca.public_key().subject_public_key.data,
        );
        // Go leaves the authority out when issuer and subject bytes match.
        let twin_der = signed("foo-ca");
        let twin = extensions(&parse(&twin_der));
        assert_eq!(
            twin.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
            [
                KEY_USAGE,
                EXT_KEY_USAGE,
                BASIC_CONSTRAINTS,
                SUBJECT_ALT_NAME
            ]
        );
    }

    /// Issue 16 item 6: Go's encoding/asn1 writes a name as PrintableString
    /// only when every byte is in its printable set (letters, digits, space,
    /// `'()+,-./:=?`; it rejects `*` and `&` here although it parses them),
    /// else as UTF8String; an empty common name leaves the subject empty,
    /// which makes the SANs critical.
    #[test]
    fn names_take_go_string_types() {
        for (cn, tag) in [
            ("foo-ca", 0x13),
            ("it's (A) +,-./:=? z9", 0x13),
            ("*.example", 0x0c),
            ("a&b", 0x0c),
            ("svc_name", 0x0c),
            ("me@example", 0x0c),
            ("ünï", 0x0c),
        ] {
            let args = [
                Value::str(cn),
                Value::list(vec![]),
                Value::list(vec![]),
                Value::Int(1),
            ];
            let der = der_of(&gen_self_signed(&args, ecdsa_key().unwrap()).unwrap());
            let cert = parse(&der);
            assert_eq!(cert.subject().as_raw(), cn_name(tag, cn), "{cn}");
            assert_eq!(cert.issuer().as_raw(), cn_name(tag, cn), "{cn}");
        }
        let args = [
            Value::str(""),
            Value::list(vec![]),
            Value::list(vec![Value::str("svc")]),
            Value::Int(1),
        ];
        let der = der_of(&gen_self_signed(&args, ecdsa_key().unwrap()).unwrap());
        let cert = parse(&der);
        assert_eq!(cert.subject().as_raw(), [0x30, 0x00]);
        assert_eq!(cert.issuer().as_raw(), [0x30, 0x00]);
        let san = extensions(&cert).pop().unwrap();
        assert_eq!(
            san,
            ext(
                SUBJECT_ALT_NAME,
                true,
                &[0x30, 0x05, 0x82, 0x03, b's', b'v', b'c']
            )
        );
    }

    /// Go's `marshalSANs` takes only ASCII DNS names.
    #[test]
    fn dns_names_must_be_ascii() {
        let args = [
            Value::str("x"),
            Value::list(vec![]),
            Value::list(vec![Value::str("ünï")]),
            Value::Int(1),
        ];
        let e = gen_self_signed(&args, ecdsa_key().unwrap()).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"error creating certificate: x509: "ünï" cannot be encoded as an IA5String"#
        );
    }

    /// Go refuses to sign with a key that is not the CA certificate's.
    #[test]
    fn signing_key_must_be_the_cas() {
        let Value::Object(ca) = gen_ca("foo-ca", 30, ecdsa_key().unwrap()).unwrap() else {
            panic!()
        };
        let mismatched = certificate(
            ca.field("Cert").unwrap().as_str().unwrap().to_string(),
            ecdsa_key().unwrap().pem,
        );
        let args = [
            Value::str("svc"),
            Value::list(vec![]),
            Value::list(vec![]),
            Value::Int(30),
            mismatched,
        ];
        let e = gen_signed(&args, ecdsa_key().unwrap()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "error creating certificate: x509: provided PrivateKey doesn't match parent's PublicKey"
        );
    }
}
