//! Base64 and base32 (standard alphabets, padded). Decoding errors are
//! returned as the function's text, as Sprig does. Encoding reads the Go
//! string's bytes and decoding may give any bytes ([`gostd::bytestring`]).

use data_encoding::{BASE32, BASE64};
use gotmpl::{FuncMap, Value};

use crate::{args, define};

/// Go's `CorruptInputError` text for a decode failure: Go reports the first
/// character outside the alphabet, else where the length or padding went wrong.
fn corrupt(text: &str, fallback: usize, encoding: &str, alphabet: fn(u8) -> bool) -> String {
    let position = text
        .bytes()
        .position(|b| !(alphabet(b) || b == b'=' || b == b'\r' || b == b'\n'))
        .unwrap_or(fallback);
    format!("illegal {encoding} data at input byte {position}")
}

/// Go's decoders skip line breaks anywhere in the input.
fn without_newlines(text: &str) -> String {
    text.chars().filter(|&c| c != '\r' && c != '\n').collect()
}

/// Register the encoding functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["b64enc"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(BASE64.encode(&gostd::bytestring::to_bytes(
            args::string(&a[0])?,
        ))))
    });
    define(m, &["b64dec"], |n, a| {
        args::exact(n, a, 1)?;
        let text = args::string(&a[0])?;
        Ok(Value::str(
            match BASE64.decode(without_newlines(text).as_bytes()) {
                Ok(bytes) => gostd::bytestring::from_bytes(&bytes).into_owned(),
                Err(e) => corrupt(text, e.position, "base64", |b| {
                    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
                }),
            },
        ))
    });
    define(m, &["b32enc"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(BASE32.encode(&gostd::bytestring::to_bytes(
            args::string(&a[0])?,
        ))))
    });
    define(m, &["b32dec"], |n, a| {
        args::exact(n, a, 1)?;
        let text = args::string(&a[0])?;
        Ok(Value::str(
            match BASE32.decode(without_newlines(text).as_bytes()) {
                Ok(bytes) => gostd::bytestring::from_bytes(&bytes).into_owned(),
                Err(e) => corrupt(text, e.position, "base32", |b| {
                    b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)
                }),
            },
        ))
    });
}
