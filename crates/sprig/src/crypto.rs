//! Hashes, password hashing and symmetric encryption: `sha1sum`,
//! `sha256sum`, `sha512sum`, `adler32sum`, `bcrypt`, `htpasswd`,
//! `derivePassword` (the Master Password algorithm), `encryptAES`/`decryptAES`.

use aes::Aes256;
use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit, generic_array::GenericArray};
use data_encoding::{BASE64, HEXLOWER};
use gotmpl::{FuncError, FuncMap, Value};
use ring::{digest, hmac};

use crate::{FuncResult, args, define};

fn hex_digest(alg: &'static digest::Algorithm, input: &str) -> String {
    HEXLOWER.encode(digest::digest(alg, &gostd::bytestring::to_bytes(input)).as_ref())
}

/// Adler-32 of `data`.
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// `golang.org/x/crypto/bcrypt.DefaultCost`.
const GO_BCRYPT_DEFAULT_COST: u32 = 10;

/// Go's `bcrypt.GenerateFromPassword(p, 10)`: a `$2a$10$` hash.
pub fn bcrypt_hash(password: &str) -> String {
    // Go's bcrypt.DefaultCost is 10 (the Rust crate's default is 12).
    match bcrypt::hash_with_result(password, GO_BCRYPT_DEFAULT_COST) {
        Ok(h) => h.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

const MASTER_PASSWORD_SEED: &[u8] = b"com.lyndir.masterpassword";

fn password_templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn template_characters(class: u8) -> &'static [u8] {
    match class {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

/// Sprig's `derivePassword` (Master Password v3: scrypt key, HMAC-SHA256 seed, templates).
pub fn derive_password(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    let Some(templates) = password_templates(kind) else {
        return format!("cannot find password template {kind}");
    };
    let mut salt = MASTER_PASSWORD_SEED.to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let params = match scrypt::Params::new(15, 8, 2, 64) {
        Ok(p) => p,
        Err(e) => return format!("failed to derive password: {e}"),
    };
    if let Err(e) = scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key) {
        return format!("failed to derive password: {e}");
    }
    let mut message = MASTER_PASSWORD_SEED.to_vec();
    message.extend_from_slice(&(site.len() as u32).to_be_bytes());
    message.extend_from_slice(site.as_bytes());
    message.extend_from_slice(&counter.to_be_bytes());
    let seed = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), &message);
    let seed = seed.as_ref();
    let template = templates[usize::from(seed[0]) % templates.len()];
    template
        .bytes()
        .enumerate()
        .map(|(i, class)| {
            let chars = template_characters(class);
            chars[usize::from(seed[i + 1]) % chars.len()] as char
        })
        .collect()
}

/// The AES-256 key Sprig derives from a password: its bytes, zero-padded
/// (or cut) to 32.
fn aes_key(password: &str) -> Aes256 {
    let mut key = [0u8; 32];
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password.as_bytes()[..n]);
    Aes256::new(GenericArray::from_slice(&key))
}

/// Sprig's `encryptAES`: AES-256-CBC, PKCS#7 padding, random IV in front, base64.
pub fn encrypt_aes(password: &str, plaintext: &str) -> Result<String, FuncError> {
    if plaintext.is_empty() {
        return Ok(String::new());
    }
    let cipher = aes_key(password);
    let mut content = plaintext.as_bytes().to_vec();
    let padding = 16 - content.len() % 16;
    content.extend(std::iter::repeat_n(padding as u8, padding));
    let mut iv = [0u8; 16];
    crate::random::fill(&mut iv)?;
    let mut out = iv.to_vec();
    let mut prev = iv;
    for block in content.chunks(16) {
        let mut b = [0u8; 16];
        for i in 0..16 {
            b[i] = block[i] ^ prev[i];
        }
        let mut ga = GenericArray::from(b);
        cipher.encrypt_block(&mut ga);
        prev = ga.into();
        out.extend_from_slice(&prev);
    }
    Ok(BASE64.encode(&out))
}

/// Sprig's `decryptAES`, the inverse of [`encrypt_aes`].
pub fn decrypt_aes(password: &str, encoded: &str) -> Result<String, FuncError> {
    let data = BASE64
        .decode(encoded.as_bytes())
        .map_err(|e| FuncError::new(format!("illegal base64 data at input byte {}", e.position)))?;
    if data.len() < 16 {
        return Err(FuncError::new("ciphertext too short"));
    }
    if data.len() % 16 != 0 {
        return Err(FuncError::new("crypto/cipher: input not full blocks"));
    }
    let cipher = aes_key(password);
    let mut prev: [u8; 16] = data[..16]
        .try_into()
        .map_err(|_| FuncError::new("ciphertext too short"))?;
    let mut plain = Vec::with_capacity(data.len() - 16);
    for block in data[16..].chunks(16) {
        let mut ga = GenericArray::clone_from_slice(block);
        cipher.decrypt_block(&mut ga);
        for i in 0..16 {
            plain.push(ga[i] ^ prev[i]);
        }
        prev.copy_from_slice(block);
    }
    // Sprig trims the padding the last byte announces, without checking it.
    let pad = usize::from(*plain.last().unwrap_or(&0));
    if pad > plain.len() {
        return Err(FuncError::new(format!(
            "runtime error: slice bounds out of range [:{}]",
            plain.len() as i64 - pad as i64
        )));
    }
    plain.truncate(plain.len() - pad);
    Ok(gostd::bytestring::from_bytes(&plain).into_owned())
}

fn hash_fn(n: &'static str, a: &[Value], alg: &'static digest::Algorithm) -> FuncResult {
    args::exact(n, a, 1)?;
    Ok(Value::str(hex_digest(alg, args::string(&a[0])?)))
}

/// Register the hashing and encryption functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["sha1sum"], |n, a| {
        hash_fn(n, a, &digest::SHA1_FOR_LEGACY_USE_ONLY)
    });
    define(m, &["sha256sum"], |n, a| hash_fn(n, a, &digest::SHA256));
    define(m, &["sha512sum"], |n, a| hash_fn(n, a, &digest::SHA512));
    define(m, &["adler32sum"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(
            adler32(&gostd::bytestring::to_bytes(args::string(&a[0])?)).to_string(),
        ))
    });
    define(m, &["bcrypt"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(bcrypt_hash(args::string(&a[0])?)))
    });
    define(m, &["htpasswd"], |n, a| {
        args::exact(n, a, 2)?;
        let (user, password) = (args::string(&a[0])?, args::string(&a[1])?);
        if user.contains(':') {
            return Ok(Value::str(format!("invalid username: {user}")));
        }
        Ok(Value::str(format!("{user}:{}", bcrypt_hash(password))))
    });
    define(m, &["derivePassword"], |n, a| {
        args::exact(n, a, 5)?;
        let counter = args::int(&a[0])? as u32;
        let (kind, password, user, site) = (
            args::string(&a[1])?,
            args::string(&a[2])?,
            args::string(&a[3])?,
            args::string(&a[4])?,
        );
        Ok(Value::str(derive_password(
            counter, kind, password, user, site,
        )))
    });
    define(m, &["encryptAES"], |n, a| {
        args::exact(n, a, 2)?;
        Ok(Value::str(encrypt_aes(
            args::string(&a[0])?,
            args::string(&a[1])?,
        )?))
    });
    define(m, &["decryptAES"], |n, a| {
        args::exact(n, a, 2)?;
        Ok(Value::str(decrypt_aes(
            args::string(&a[0])?,
            args::string(&a[1])?,
        )?))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes_round_trip_and_adler() {
        let enc = encrypt_aes("secretkey", "plaintext").unwrap();
        assert_eq!(decrypt_aes("secretkey", &enc).unwrap(), "plaintext");
        assert_eq!(adler32(b"abc"), 38600999);
    }
}
