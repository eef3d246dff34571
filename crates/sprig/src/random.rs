//! Randomness: random strings, bytes, UUIDs, `shuffle`. Everything draws
//! from the operating system's cryptographic generator (through `ring`),
//! as goutils' `CryptoRandom*` and Go's `crypto/rand` do.

use gotmpl::{FuncError, FuncMap, Value};
use ring::rand::{SecureRandom, SystemRandom};

use crate::{args, define};

/// Fill `buf` with random bytes.
pub fn fill(buf: &mut [u8]) -> Result<(), FuncError> {
    SystemRandom::new()
        .fill(buf)
        .map_err(|_| FuncError::new("crypto/rand: random source failed"))
}

/// A uniform random integer in `0..n` (`n > 0`), without modulo bias.
pub fn below(n: u64) -> Result<u64, FuncError> {
    if n == 0 {
        return Err(FuncError::new("invalid argument to Intn"));
    }
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let mut b = [0u8; 8];
        fill(&mut b)?;
        let x = u64::from_le_bytes(b);
        if x < zone {
            return Ok(x % n);
        }
    }
}

/// `count` characters drawn uniformly from `alphabet`; empty for `count <= 0`
/// (goutils fails on a negative count and Sprig prints the empty result).
pub fn string_from(alphabet: &[u8], count: i64) -> Result<String, FuncError> {
    let mut out = String::with_capacity(count.max(0) as usize);
    for _ in 0..count.max(0) {
        out.push(alphabet[below(alphabet.len() as u64)? as usize] as char);
    }
    Ok(out)
}

const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const NUMERIC: &[u8] = b"0123456789";
const ALPHANUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A version 4 UUID in its canonical text form.
pub fn uuid_v4() -> Result<String, FuncError> {
    let mut b = [0u8; 16];
    fill(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

/// Register the random functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["randAlphaNum"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(string_from(ALPHANUM, args::int(&a[0])?)?))
    });
    define(m, &["randAlpha"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(string_from(ALPHA, args::int(&a[0])?)?))
    });
    define(m, &["randNumeric"], |n, a| {
        args::exact(n, a, 1)?;
        Ok(Value::str(string_from(NUMERIC, args::int(&a[0])?)?))
    });
    define(m, &["randAscii"], |n, a| {
        args::exact(n, a, 1)?;
        let printable: Vec<u8> = (32u8..127).collect();
        Ok(Value::str(string_from(&printable, args::int(&a[0])?)?))
    });
    define(m, &["randBytes"], |n, a| {
        args::exact(n, a, 1)?;
        let count = args::int(&a[0])?;
        if count < 0 {
            return Err(FuncError::new("runtime error: makeslice: len out of range"));
        }
        let mut buf = vec![0u8; count as usize];
        fill(&mut buf)?;
        Ok(Value::str(data_encoding::BASE64.encode(&buf)))
    });
    define(m, &["uuidv4"], |n, a| {
        args::exact(n, a, 0)?;
        Ok(Value::str(uuid_v4()?))
    });
    define(m, &["shuffle"], |n, a| {
        args::exact(n, a, 1)?;
        let mut chars: Vec<char> = args::string(&a[0])?.chars().collect();
        for i in (1..chars.len()).rev() {
            let j = below(i as u64 + 1)? as usize;
            chars.swap(i, j);
        }
        Ok(Value::str(chars.into_iter().collect::<String>()))
    });
}
