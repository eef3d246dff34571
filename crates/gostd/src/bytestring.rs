//! Go strings are byte strings; deckmod's template strings are Rust `str`.
//!
//! A Go template can hold any bytes in a string: `.Files.Get` of a binary
//! file, `b64dec` of binary data. To carry such bytes through `str` without
//! loss, each byte of a sequence that is not UTF-8 stands for itself as one
//! code point of the last 128 of Unicode's supplementary private use area B
//! (U+10FF80 + byte − 0x80). Every place where Go looks at a string's bytes
//! (`len`, `b64enc`, `sha256sum`, writing output) converts back with
//! [`to_bytes`]; text that never held such bytes is unchanged both ways.
//!
//! So that the round trip is exact for every input, a UTF-8 sequence that
//! encodes one of those 128 code points itself is also carried byte by
//! byte: `to_bytes(&from_bytes(b)) == b` for all `b`. Only template text
//! that spells one of these private code points literally reads as a raw
//! byte, which no chart does by accident.

use std::borrow::Cow;

/// The code point standing for byte 0x80.
const ESCAPE_BASE: u32 = 0x10FF80;

fn escape_char(b: u8) -> char {
    char::from_u32(ESCAPE_BASE + u32::from(b - 0x80)).expect("U+10FF80..U+10FFFF are chars")
}

/// The raw byte a char stands for, if it is one of the escape code points.
pub fn escaped_byte(c: char) -> Option<u8> {
    let n = u32::from(c);
    (ESCAPE_BASE..=0x10FFFF)
        .contains(&n)
        .then(|| (n - ESCAPE_BASE + 0x80) as u8)
}

/// Bytes as a Go string: UTF-8 is borrowed as it is; every other byte
/// becomes its escape code point.
pub fn from_bytes(data: &[u8]) -> Cow<'_, str> {
    if let Ok(valid) = std::str::from_utf8(data)
        && find_escape_sequence(valid.as_bytes()).is_none()
    {
        return Cow::Borrowed(valid);
    }
    let mut out = String::with_capacity(data.len() + data.len() / 2);
    for chunk in data.utf8_chunks() {
        let mut valid = chunk.valid();
        while let Some(i) = find_escape_sequence(valid.as_bytes()) {
            out.push_str(&valid[..i]);
            out.extend(valid.as_bytes()[i..i + 4].iter().map(|&b| escape_char(b)));
            valid = &valid[i + 4..];
        }
        out.push_str(valid);
        out.extend(chunk.invalid().iter().map(|&b| escape_char(b)));
    }
    Cow::Owned(out)
}

/// Where the UTF-8 of an escape code point starts in `valid`.
fn find_escape_sequence(valid: &[u8]) -> Option<usize> {
    // Valid UTF-8 has 0xF4 only as a lead byte, and a 4-byte char after
    // it; almost no text has one at all, which one fast scan tells.
    if !valid.contains(&0xF4) {
        return None;
    }
    valid
        .windows(4)
        .position(|w| w[0] == 0xF4 && w[1] == 0x8F && (w[2] == 0xBE || w[2] == 0xBF))
}

/// A Go string's bytes: escape code points back to the bytes they stand for.
pub fn to_bytes(s: &str) -> Cow<'_, [u8]> {
    if !has_escapes(s) {
        return Cow::Borrowed(s.as_bytes());
    }
    let mut out = Vec::with_capacity(s.len());
    let mut buf = [0u8; 4];
    for c in s.chars() {
        match escaped_byte(c) {
            Some(b) => out.push(b),
            None => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
        }
    }
    Cow::Owned(out)
}

/// Whether `s` carries bytes that are not UTF-8 (cheap: one byte scan).
pub fn has_escapes(s: &str) -> bool {
    find_escape_sequence(s.as_bytes()).is_some()
}

/// Go's `len(s)`: the number of bytes of the Go string.
pub fn len(s: &str) -> usize {
    if !has_escapes(s) {
        return s.len();
    }
    s.chars()
        .map(|c| {
            if escaped_byte(c).is_some() {
                1
            } else {
                c.len_utf8()
            }
        })
        .sum()
}

/// The Go string's contents as Go's `for _, r := range s` decodes them:
/// each character that is UTF-8 as `Ok`, each byte that is not as `Err`.
pub fn for_each_rune(s: &str, mut f: impl FnMut(Result<char, u8>)) {
    if !has_escapes(s) {
        s.chars().for_each(|c| f(Ok(c)));
        return;
    }
    for chunk in to_bytes(s).utf8_chunks() {
        chunk.valid().chars().for_each(|c| f(Ok(c)));
        chunk.invalid().iter().for_each(|&b| f(Err(b)));
    }
}

/// The text as Go's `json.Marshal` and `utf8`-validating readers see it:
/// every byte that is not UTF-8 becomes U+FFFD.
pub fn to_valid_utf8(s: &str) -> Cow<'_, str> {
    if !has_escapes(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for_each_rune(s, |r| out.push(r.unwrap_or(char::REPLACEMENT_CHARACTER)));
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_borrowed_unchanged() {
        let s = "plain ascii, ünïcödé, 🎉";
        assert!(matches!(from_bytes(s.as_bytes()), Cow::Borrowed(_)));
        assert!(matches!(to_bytes(s), Cow::Borrowed(_)));
        assert_eq!(len(s), s.len());
    }

    #[test]
    fn binary_round_trips_exactly() {
        let cases: Vec<Vec<u8>> = vec![
            b"BZh91AY&SY\xff\x00\x80\xc3".to_vec(),
            vec![0xF4, 0x8F, 0xBE, 0x80], // U+10FF80 itself: carried byte by byte
            vec![b'a', 0xF4, 0x8F, 0xBF, 0xBF, b'b', 0xE2, 0x82],
            vec![0xC3, 0xA9, 0xFF, 0xF0, 0x9F, 0x8E, 0x89, 0xC0],
            (0..=255u8).collect(),
            Vec::new(),
        ];
        for data in cases {
            let s = from_bytes(&data);
            assert_eq!(&to_bytes(&s)[..], &data[..], "{data:?}");
            assert_eq!(len(&s), data.len(), "{data:?}");
        }
        let mut rng = 0x9e3779b97f4a7c15u64;
        for n in 0..2000 {
            let data: Vec<u8> = (0..n % 64)
                .map(|_| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    rng as u8
                })
                .collect();
            assert_eq!(&to_bytes(&from_bytes(&data))[..], &data[..]);
        }
    }

    #[test]
    fn invalid_bytes_read_as_replacement_characters() {
        let s = from_bytes(b"a\xffb\xc3");
        assert_eq!(to_valid_utf8(&s), "a\u{fffd}b\u{fffd}");
        // A real U+10FF80 stays one character; a cut sequence is two bytes.
        let s = from_bytes(b"\xf4\x8f\xbe\x80\xe2\x82");
        assert_eq!(to_valid_utf8(&s), "\u{10ff80}\u{fffd}\u{fffd}");
        let mut runes = Vec::new();
        for_each_rune(&s, |r| runes.push(r));
        assert_eq!(runes, [Ok('\u{10ff80}'), Err(0xe2), Err(0x82)]);
    }
}
