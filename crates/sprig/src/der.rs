//! Just enough DER for Sprig's keys and certificates: moving P-256 keys
//! between PKCS#8 (what `ring` reads and writes) and SEC1 `EC PRIVATE KEY`
//! (what Go's `x509.MarshalECPrivateKey` writes, with the curve named in its
//! `[0]` parameters), and the values Go's `encoding/asn1` writes into a
//! certificate ([`tlv`], [`unsigned_integer`], [`bit_string`], [`go_string`],
//! [`go_time`]).

/// `id-ecPublicKey` (1.2.840.10045.2.1).
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// `prime256v1` (1.2.840.10045.3.1.7).
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// One TLV: tag, contents, and the rest of the input.
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The TLVs of a constructed value's contents.
fn children(mut input: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (tag, content, rest) = read_tlv(input)?;
        out.push((tag, content));
        input = rest;
    }
    Some(out)
}

/// Encode one TLV (definite length, as DER wants it).
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// PKCS#8 P-256 key (as `ring` writes it) → SEC1 `ECPrivateKey` with the curve OID.
pub fn pkcs8_ec_to_sec1(pkcs8: &[u8]) -> Option<Vec<u8>> {
    let (_, info, _) = read_tlv(pkcs8)?;
    let fields = children(info)?;
    let (_, private_key) = fields.iter().find(|(tag, _)| *tag == 0x04)?;
    let (_, ec, _) = read_tlv(private_key)?;
    let ec_fields = children(ec)?;
    let mut body = Vec::new();
    for (tag, content) in &ec_fields {
        match tag {
            0x02 | 0x04 => body.extend(tlv(*tag, content)),
            _ => {}
        }
    }
    body.extend(tlv(0xa0, &tlv(0x06, OID_P256)));
    if let Some((_, public)) = ec_fields.iter().find(|(tag, _)| *tag == 0xa1) {
        body.extend(tlv(0xa1, public));
    }
    Some(tlv(0x30, &body))
}

/// SEC1 `ECPrivateKey` on P-256 → PKCS#8 in the shape `ring` accepts
/// (curve in the algorithm identifier, none inside the key).
pub fn sec1_to_pkcs8_p256(sec1: &[u8]) -> Option<Vec<u8>> {
    let (_, ec, _) = read_tlv(sec1)?;
    let fields = children(ec)?;
    if let Some((_, params)) = fields.iter().find(|(tag, _)| *tag == 0xa0) {
        let (_, oid, _) = read_tlv(params)?;
        if oid != OID_P256 {
            return None;
        }
    }
    let mut inner = Vec::new();
    for (tag, content) in &fields {
        match tag {
            0x02 | 0x04 => inner.extend(tlv(*tag, content)),
            0xa1 => inner.extend(tlv(0xa1, content)),
            _ => {}
        }
    }
    let ec_key = tlv(0x30, &inner);
    let mut alg = tlv(0x06, OID_EC_PUBLIC_KEY);
    alg.extend(tlv(0x06, OID_P256));
    let mut body = tlv(0x02, &[0]);
    body.extend(tlv(0x30, &alg));
    body.extend(tlv(0x04, &ec_key));
    Some(tlv(0x30, &body))
}

/// A non-negative INTEGER from its big-endian magnitude, in the fewest
/// octets (a leading zero only where the top bit is set), as Go writes a
/// `*big.Int`.
pub fn unsigned_integer(magnitude: &[u8]) -> Vec<u8> {
    let digits: Vec<u8> = magnitude.iter().copied().skip_while(|&b| b == 0).collect();
    let mut content = Vec::with_capacity(digits.len() + 1);
    if digits.first().is_none_or(|&b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend(digits);
    tlv(0x02, &content)
}

/// A BIT STRING of whole octets.
pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(bytes.len() + 1);
    content.push(0);
    content.extend_from_slice(bytes);
    tlv(0x03, &content)
}

/// Go's `encoding/asn1` `isPrintable` as `Marshal` applies it to a string
/// without a declared type: the PrintableString set without `*` and `&`
/// (which Go only tolerates when parsing).
fn go_printable(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b)
}

/// A Go string as `encoding/asn1` marshals it with no string type given:
/// PrintableString (tag 19) when every byte is printable, else UTF8String
/// (tag 12); Go refuses bytes that are not UTF-8 in a UTF8String.
pub fn go_string(s: &[u8]) -> Result<Vec<u8>, &'static str> {
    if s.iter().all(|&b| go_printable(b)) {
        return Ok(tlv(0x13, s));
    }
    if std::str::from_utf8(s).is_err() {
        return Err("asn1: string not valid UTF-8");
    }
    Ok(tlv(0x0c, s))
}

/// A `time.Time` as `encoding/asn1` marshals it, to the second in UTC:
/// UTCTime for the years 1950 to 2049, GeneralizedTime outside them.
pub fn go_time(t: time::OffsetDateTime) -> Vec<u8> {
    let t = t.to_offset(time::UtcOffset::UTC);
    let rest = format!(
        "{:02}{:02}{:02}{:02}{:02}Z",
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if (1950..2050).contains(&t.year()) {
        tlv(0x17, format!("{:02}{rest}", t.year() % 100).as_bytes())
    } else {
        tlv(0x18, format!("{:04}{rest}", t.year()).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_take_the_fewest_octets() {
        assert_eq!(unsigned_integer(&[0, 0, 0x7f, 1]), [0x02, 0x02, 0x7f, 1]);
        assert_eq!(unsigned_integer(&[0, 0x80]), [0x02, 0x02, 0, 0x80]);
        assert_eq!(unsigned_integer(&[0, 0]), [0x02, 0x01, 0]);
    }

    fn at(
        year: i32,
        month: u8,
        day: u8,
        hms: (u8, u8, u8),
        offset_hours: i8,
    ) -> time::OffsetDateTime {
        let date = time::Date::from_calendar_date(year, month.try_into().unwrap(), day).unwrap();
        let time = time::Time::from_hms_milli(hms.0, hms.1, hms.2, 900).unwrap();
        let offset = time::UtcOffset::from_hms(offset_hours, 0, 0).unwrap();
        time::PrimitiveDateTime::new(date, time).assume_offset(offset)
    }

    #[test]
    fn times_are_utc_seconds_and_generalized_outside_1950_to_2049() {
        let t = at(2050, 1, 1, (0, 59, 59), 1);
        assert_eq!(go_time(t), tlv(0x17, b"491231235959Z"));
        assert_eq!(
            go_time(at(2050, 1, 1, (1, 0, 0), 1)),
            tlv(0x18, b"20500101000000Z")
        );
        assert_eq!(
            go_time(at(1949, 6, 1, (12, 0, 0), 0)),
            tlv(0x18, b"19490601120000Z")
        );
    }

    #[test]
    fn strings_that_are_not_utf8_are_refused() {
        assert!(go_string(b"a\xffb").is_err());
        assert_eq!(go_string(b"a b").unwrap(), [0x13, 3, b'a', b' ', b'b']);
    }
}
