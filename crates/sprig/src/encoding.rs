//! Base64 and base32 (standard alphabets, padded). Decoding errors are
//! returned as the function's text, as Sprig does.

use data_encoding::{BASE32, BASE64};
use gotmpl::{FuncMap, Value};

use crate::{args, define};

/// Go's `base64.CorruptInputError` text for a decode failure.
fn corrupt(position: usize, encoding: &str) -> String {
    format!("illegal {encoding} data at input byte {position}")
}

/// Register the encoding functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["b64enc"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(BASE64.encode(args::string(&a[0])?.as_bytes())))
    });
    define(m, &["b64dec"], |n, a| {
        args::exact(n, a, 1)?;
        let text = args::string(&a[0])?;
        Ok(Value::str(match BASE64.decode(text.as_bytes()) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => corrupt(e.position, "base64"),
        }))
    });
    define(m, &["b32enc"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(BASE32.encode(args::string(&a[0])?.as_bytes())))
    });
    define(m, &["b32dec"], |n, a| {
        args::exact(n, a, 1)?;
        let text = args::string(&a[0])?;
        Ok(Value::str(match BASE32.decode(text.as_bytes()) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => corrupt(e.position, "base32"),
        }))
    });
}
