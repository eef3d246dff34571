//! Just enough DER to move P-256 keys between PKCS#8 (what `ring` reads and
//! writes) and SEC1 `EC PRIVATE KEY` (what Go's `x509.MarshalECPrivateKey`
//! writes, with the curve named in its `[0]` parameters).

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

/// Encode one TLV.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
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
