//! SHA-256 digests in the `sha256:<hex>` form used by OCI, computed with ring (hardware
//! accelerated where available, and already linked in for TLS).

use std::fmt;
use std::io::{self, Read, Write};

use ring::digest::{Context, SHA256};

use crate::error::{Error, Result};

/// A content digest, always `sha256:<64 lowercase hex>`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(String);

impl Digest {
    /// Digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        let mut context = Context::new(&SHA256);
        context.update(bytes);
        Digest::from_context(context)
    }

    fn from_context(context: Context) -> Digest {
        Digest(format!("sha256:{}", hex::encode(context.finish().as_ref())))
    }

    /// Parses `sha256:<hex>`; other algorithms and malformed text are refused.
    pub fn parse(text: &str) -> Result<Digest> {
        let valid = text.strip_prefix("sha256:").is_some_and(|hex| {
            hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        if valid {
            Ok(Digest(text.to_string()))
        } else {
            Err(Error::Invalid(format!(
                "invalid digest {text:?} (expected sha256:<64 hex digits>)"
            )))
        }
    }

    /// The hex part, used as the blob file name in an OCI layout.
    pub fn hex(&self) -> &str {
        &self.0["sha256:".len()..]
    }

    /// The full `sha256:<hex>` text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Fails with [`Error::DigestMismatch`] unless `bytes` hash to this digest.
    pub fn verify(&self, what: &str, bytes: &[u8]) -> Result<()> {
        let actual = Digest::of(bytes);
        if actual == *self {
            Ok(())
        } else {
            Err(Error::DigestMismatch {
                what: what.to_string(),
                expected: self.0.clone(),
                actual: actual.0,
            })
        }
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A writer that hashes everything passing through it.
pub struct HashingWriter<W> {
    inner: W,
    context: Context,
}

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            context: Context::new(&SHA256),
        }
    }

    /// Returns the inner writer and the digest of all bytes written.
    pub fn finish(self) -> (W, Digest) {
        (self.inner, Digest::from_context(self.context))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.context.update(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes everything read through it.
pub struct HashingReader<R> {
    inner: R,
    context: Context,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            context: Context::new(&SHA256),
        }
    }

    /// Reads the rest of the input (tar archives end before their padding) and returns the
    /// digest of everything read.
    pub fn finish(mut self) -> io::Result<Digest> {
        io::copy(&mut self, &mut io::sink())?;
        Ok(Digest::from_context(self.context))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.context.update(&buf[..read]);
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_and_verification() {
        let d = Digest::of(b"");
        assert_eq!(
            d.as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(d.verify("empty", b"").is_ok());
        assert!(matches!(
            d.verify("x", b"x"),
            Err(Error::DigestMismatch { .. })
        ));
        assert!(Digest::parse("sha512:00").is_err());
        assert!(Digest::parse(d.as_str()).is_ok());
    }
}
