//! Behaviour beyond Sprig's own vectors: what Helm charts rely on (in-place
//! map mutation, Helm's float values), Go's call errors, and the
//! nondeterministic functions checked by property (keys, certificates,
//! random text, bcrypt).

use gotmpl::{Templates, Value};

fn render_with(template: &str, data: &Value) -> Result<String, String> {
    let mut set = Templates::new(sprig::funcs());
    set.parse("t", template).map_err(|e| e.to_string())?;
    set.execute("t", data).map_err(|e| e.to_string())
}

fn render(template: &str) -> String {
    render_with(template, &Value::Nil).unwrap_or_else(|e| panic!("{template}: {e}"))
}

fn helm_values(json: serde_json::Value) -> Value {
    Value::from_json_helm(&json)
}

#[test]
fn set_unset_and_merge_change_the_map_everyone_sees() {
    let out = render(
        r#"{{ $a := dict "x" 1 }}{{ $b := dict "inner" $a }}{{ $_ := set $a "y" 2 }}{{ $_ := unset $a "x" }}{{ $b.inner }}"#,
    );
    assert_eq!(out, "map[y:2]");
    let out = render(
        r#"{{ $d := dict "n" (dict "a" 1) }}{{ $_ := mergeOverwrite $d (dict "n" (dict "b" 2)) }}{{ $d }}"#,
    );
    assert_eq!(out, "map[n:map[a:1 b:2]]");
}

#[test]
fn helm_float_values_follow_cast_rules() {
    let data =
        helm_values(serde_json::json!({"Values": {"replicas": 3, "ratio": 2.7, "port": "8080"}}));
    assert_eq!(
        render_with("{{ add 1 .Values.replicas }}", &data).unwrap(),
        "4"
    );
    assert_eq!(
        render_with("{{ mul .Values.ratio 2 }}", &data).unwrap(),
        "4"
    );
    assert_eq!(
        render_with("{{ add1 .Values.port }}", &data).unwrap(),
        "8081"
    );
    assert_eq!(render_with("{{ .Values.replicas }}", &data).unwrap(), "3");
    // An int parameter refuses a float64, as Go's reflection call does.
    let err = render_with(r#"{{ repeat .Values.replicas "x" }}"#, &data).unwrap_err();
    assert!(
        err.contains("wrong type for value; expected int; got float64"),
        "{err}"
    );
}

#[test]
fn call_errors_name_the_function() {
    let err = render_with(r#"{{ trunc 3 }}"#, &Value::Nil).unwrap_err();
    assert!(
        err.contains("wrong number of args for trunc: want 2 got 1"),
        "{err}"
    );
    let err = render_with(r#"{{ first "abc" }}"#, &Value::Nil).unwrap_err();
    assert!(err.contains("Cannot find first on type string"), "{err}");
    let err = render_with(r#"{{ div 1 0 }}"#, &Value::Nil).unwrap_err();
    assert!(err.contains("integer divide by zero"), "{err}");
    let err = render_with(r#"{{ fail "stop here" }}"#, &Value::Nil).unwrap_err();
    assert!(err.contains("stop here"), "{err}");
}

fn pem_der(pem: &str, label: &str) -> Vec<u8> {
    let begin = format!("-----BEGIN {label}-----\n");
    let end = format!("-----END {label}-----");
    let start = pem
        .find(&begin)
        .unwrap_or_else(|| panic!("no {label} in {pem}"))
        + begin.len();
    let stop = pem.find(&end).expect("end marker");
    let body: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    data_encoding::BASE64
        .decode(body.as_bytes())
        .expect("base64")
}

#[test]
fn generated_ca_signs_a_certificate_with_the_requested_names() {
    let out = render(
        r#"{{ $ca := genCA "my-ca" 365 }}{{ $c := genSignedCert "svc.ns" (list "10.0.0.1") (list "svc.ns.svc" "svc") 30 $ca }}{{ $ca.Cert }}|{{ $c.Cert }}|{{ $c.Key }}"#,
    );
    let parts: Vec<&str> = out.split('|').collect();
    let ca_der = pem_der(parts[0], "CERTIFICATE");
    let cert_der = pem_der(parts[1], "CERTIFICATE");
    assert!(parts[2].starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    let (_, ca) = x509_parser::parse_x509_certificate(&ca_der).expect("CA parses");
    let (_, cert) = x509_parser::parse_x509_certificate(&cert_der).expect("cert parses");
    assert!(ca.is_ca());
    assert!(!cert.is_ca());
    assert_eq!(cert.issuer().to_string(), ca.subject().to_string());
    assert_eq!(cert.subject().to_string(), "CN=svc.ns");
    let sans = format!(
        "{:?}",
        cert.subject_alternative_name()
            .expect("SAN ext")
            .expect("SANs")
            .value
            .general_names
    );
    assert!(
        sans.contains("svc.ns.svc") && sans.contains("[10, 0, 0, 1]"),
        "{sans}"
    );
    let days =
        (cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp()) / 86400;
    assert_eq!(days, 30);
    cert.verify_signature(Some(ca.public_key()))
        .expect("signed by the CA");
}

#[test]
fn given_keys_are_used_and_returned() {
    for kind in ["ecdsa", "ed25519"] {
        let tpl = format!(
            r#"{{{{ $k := genPrivateKey "{kind}" }}}}{{{{ $c := genSelfSignedCertWithKey "x" nil nil 1 $k }}}}{{{{ eq $c.Key $k }}}}|{{{{ $c.Cert }}}}|{{{{ $k }}}}"#
        );
        let out = render(&tpl);
        let parts: Vec<&str> = out.split('|').collect();
        assert_eq!(parts[0], "true", "{kind}");
        let label = if kind == "ecdsa" {
            "EC PRIVATE KEY"
        } else {
            "PRIVATE KEY"
        };
        assert!(
            parts[2].starts_with(&format!("-----BEGIN {label}-----")),
            "{kind}: {}",
            parts[2]
        );
        let der = pem_der(parts[1], "CERTIFICATE");
        let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("parses");
        cert.verify_signature(None)
            .expect("self-signed with the given key");
    }
    let ca = render(r#"{{ $k := genPrivateKey "ecdsa" }}{{ (genCAWithKey "ca" 1 $k).Key | len }}"#);
    assert!(ca.parse::<usize>().unwrap() > 100);
}

#[test]
fn random_text_has_the_requested_shape() {
    let out = render(
        "{{ randAlphaNum 32 }}\n{{ randAlpha 16 }}\n{{ randNumeric 8 }}\n{{ randAscii 20 }}\n{{ uuidv4 }}\n{{ randBytes 24 | len }}",
    );
    // A newline separates the parts: randAscii can print any of ' '..='~'.
    let p: Vec<&str> = out.split('\n').collect();
    assert!(p[0].len() == 32 && p[0].chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(p[1].len() == 16 && p[1].chars().all(|c| c.is_ascii_alphabetic()));
    assert!(p[2].len() == 8 && p[2].chars().all(|c| c.is_ascii_digit()));
    assert!(p[3].len() == 20 && p[3].chars().all(|c| (' '..='~').contains(&c)));
    let u: Vec<&str> = p[4].split('-').collect();
    assert_eq!(
        u.iter().map(|s| s.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    assert!(u[2].starts_with('4') && "89ab".contains(&u[3][..1]));
    // 24 bytes, base64-encoded.
    assert_eq!(p[5], "32");
    assert_ne!(
        render("{{ randAlphaNum 32 }}"),
        render("{{ randAlphaNum 32 }}")
    );
}

#[test]
fn password_hashes_verify() {
    let out = render(r#"{{ htpasswd "admin" "s3cret" }}"#);
    let (user, hash) = out.split_once(':').expect("user:hash");
    assert_eq!(user, "admin");
    assert!(hash.starts_with("$2a$10$"), "{hash}");
    assert!(bcrypt::verify("s3cret", hash).expect("bcrypt hash"));
    assert_eq!(
        render(r#"{{ htpasswd "a:b" "x" }}"#),
        "invalid username: a:b"
    );
}

#[test]
fn dates_print_as_go_does() {
    assert_eq!(
        render(r#"{{ toDate "2006-01-02" "bad" }}"#),
        "0001-01-01 00:00:00 +0000 UTC"
    );
    assert_eq!(
        render(r#"{{ dateInZone "2006-01-02 15:04 MST" 0 "America/New_York" }}"#),
        "1969-12-31 19:00 EST"
    );
    let now = render(r#"{{ now | date "2006" }}"#);
    assert!(now.parse::<i32>().unwrap() >= 2024);
    assert!(render_with(r#"{{ mustToDate "2006-01-02" "2020-02-30" }}"#, &Value::Nil).is_err());
}

#[test]
fn host_objects_serialize_as_go_marshals_them() {
    assert_eq!(
        render(
            r#"{{ toJson (dict "t" (toDate "2006-01-02T15:04:05Z07:00" "2020-03-04T05:06:07Z")) }}"#
        ),
        r#"{"t":"2020-03-04T05:06:07Z"}"#
    );
    assert_eq!(
        render(r#"{{ toJson (semver "v1.2.3-rc.1") }}"#),
        r#""1.2.3-rc.1""#
    );
    assert!(
        render(r#"{{ toJson (genCA "x" 1) }}"#)
            .starts_with(r#"{"Cert":"-----BEGIN CERTIFICATE-----\n"#)
    );
}

#[test]
fn cyclic_maps_fail_instead_of_overflowing() {
    let setup = r#"{{ $d := dict "a" 1 }}{{ $_ := set $d "self" $d }}"#;
    let err = render_with(&format!("{setup}{{{{ toJson $d }}}}"), &Value::Nil);
    assert_eq!(
        err.as_deref(),
        Ok(""),
        "toJson swallows the error as Sprig does"
    );
    let err = render_with(&format!("{setup}{{{{ mustToJson $d }}}}"), &Value::Nil).unwrap_err();
    assert!(err.contains("encountered a cycle"), "{err}");
    assert!(render_with(&format!("{setup}{{{{ deepCopy $d }}}}"), &Value::Nil).is_err());
    assert_eq!(
        render(&format!(
            "{setup}{{{{ $x := dict }}}}{{{{ $_ := merge $x $d }}}}{{{{ len $x }}}}"
        )),
        "2"
    );
}

#[test]
fn extreme_numbers_do_not_panic() {
    // Go's end+1 wraps around, leaving an empty sequence.
    assert_eq!(
        render("{{ seq 9223372036854775806 9223372036854775807 }}"),
        ""
    );
    assert!(
        render_with(
            "{{ randInt -9223372036854775808 9223372036854775807 }}",
            &Value::Nil
        )
        .is_err()
    );
    assert!(
        render_with(
            r#"{{ genSelfSignedCert "x" nil nil 9223372036854775807 }}"#,
            &Value::Nil
        )
        .is_err()
    );
    // 2020-01-01 plus 2562047 hours (the largest Go duration) is past year 2262,
    // where nanoseconds since 1970 no longer fit an int64.
    assert_eq!(
        render(r#"{{ dateModify "2562047h" (toDate "2006Z07:00" "2020Z") | unixEpoch }}"#),
        "10801206000"
    );
}
