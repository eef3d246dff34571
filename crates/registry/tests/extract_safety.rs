//! The safe extractor refuses crafted archives: traversal, absolute paths, links that
//! leave the root, writes through links, special files; and never leaves partial output.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use proptest::prelude::*;
use registry::Error;
use registry::extract::{LayerToExtract, extract_layers, unpack_tar};

/// One crafted entry: name, type, link target, content. Names are written raw into the
/// header so the tar crate's own path checks cannot sanitise them.
struct Raw<'a>(&'a str, tar::EntryType, &'a str, &'a [u8]);

fn raw_tar(entries: &[Raw<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for Raw(name, kind, link, content) in entries {
        let mut header = tar::Header::new_old();
        {
            let old = header.as_old_mut();
            old.name[..name.len()].copy_from_slice(name.as_bytes());
            old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        header.set_entry_type(*kind);
        header.set_mode(0o755);
        header.set_size(content.len() as u64);
        header.set_cksum();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(content);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Extracts into `<tmp>/root` and returns the result plus everything that exists in `<tmp>`
/// besides `root` and the `canary` file (which must stay the only other entry).
fn extract(entries: &[Raw<'_>]) -> (Result<(), Error>, Vec<String>, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("canary"), "untouched").unwrap();
    let gz = gzip(&raw_tar(entries));
    let result = extract_layers(
        &[LayerToExtract {
            gzip: &gz,
            diff_id: None,
        }],
        &tmp.path().join("root"),
    )
    .map(|_| ());
    let mut outside: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "root" && n != "canary")
        .collect();
    outside.sort();
    assert_eq!(
        fs::read_to_string(tmp.path().join("canary")).unwrap(),
        "untouched"
    );
    (result, outside, tmp)
}

fn assert_refused(entries: &[Raw<'_>], why: &str) {
    let (result, outside, tmp) = extract(entries);
    match result {
        Err(Error::UnsafeEntry { reason, .. }) => {
            assert!(
                reason.contains(why),
                "reason {reason:?} should mention {why:?}"
            )
        }
        other => panic!("expected a refusal mentioning {why:?}, got {other:?}"),
    }
    assert!(outside.is_empty(), "left behind: {outside:?}");
    assert!(
        !tmp.path().join("root").exists(),
        "partial output must not appear"
    );
}

use tar::EntryType as T;

#[test]
fn refuses_parent_traversal() {
    assert_refused(&[Raw("../evil", T::Regular, "", b"x")], "'..'");
    assert_refused(&[Raw("a/../../evil", T::Regular, "", b"x")], "'..'");
    assert_refused(
        &[
            Raw("ok", T::Regular, "", b"x"),
            Raw("./../evil", T::Regular, "", b"x"),
        ],
        "'..'",
    );
}

#[test]
fn refuses_absolute_paths() {
    assert_refused(&[Raw("/tmp/evil", T::Regular, "", b"x")], "absolute");
}

#[test]
fn refuses_symlinks_that_leave_the_root() {
    assert_refused(
        &[Raw("link", T::Symlink, "../outside", b"")],
        "leaves the root",
    );
    assert_refused(
        &[Raw("a/b/link", T::Symlink, "../../../x", b"")],
        "leaves the root",
    );
    assert_refused(&[Raw("link", T::Symlink, "/etc/passwd", b"")], "absolute");
}

#[test]
fn refuses_writing_through_a_symlink() {
    // The link itself stays inside, but a later entry must not be written through it
    // (that is how multi-entry escapes are built).
    assert_refused(
        &[
            Raw("dir", T::Symlink, ".", b""),
            Raw("dir/file", T::Regular, "", b"x"),
        ],
        "symbolic link",
    );
}

#[test]
fn refuses_hard_links_out_of_the_root_or_to_missing_files() {
    assert_refused(&[Raw("h", T::Link, "/etc/passwd", b"")], "hard link");
    assert_refused(&[Raw("h", T::Link, "missing", b"")], "hard link");
}

#[test]
fn refuses_devices_and_fifos() {
    assert_refused(&[Raw("dev", T::Char, "", b"")], "special");
    assert_refused(&[Raw("blk", T::Block, "", b"")], "special");
    assert_refused(&[Raw("fifo", T::Fifo, "", b"")], "special");
}

#[test]
fn accepts_links_inside_and_applies_modes_and_whiteouts() {
    let (result, outside, tmp) = extract(&[
        Raw("./", T::Directory, "", b""),
        Raw("a/file", T::Regular, "", b"content"),
        Raw("a/rel", T::Symlink, "../b/target", b""),
        Raw("hard", T::Link, "a/file", b""),
        Raw("gone", T::Regular, "", b"x"),
        Raw(".wh.gone", T::Regular, "", b""),
    ]);
    result.unwrap();
    assert!(outside.is_empty());
    let root = tmp.path().join("root");
    assert_eq!(
        fs::read_link(root.join("a/rel")).unwrap(),
        Path::new("../b/target")
    );
    assert_eq!(fs::read(root.join("hard")).unwrap(), b"content");
    assert!(!root.join("gone").exists());
    assert_eq!(
        fs::metadata(root.join("a/file"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
}

#[test]
fn a_failed_extraction_keeps_the_previous_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("module");
    let good = gzip(&raw_tar(&[Raw("v1", T::Regular, "", b"one")]));
    extract_layers(
        &[LayerToExtract {
            gzip: &good,
            diff_id: None,
        }],
        &dest,
    )
    .unwrap();
    let bad = gzip(&raw_tar(&[
        Raw("v2", T::Regular, "", b"two"),
        Raw("../x", T::Regular, "", b""),
    ]));
    assert!(
        extract_layers(
            &[LayerToExtract {
                gzip: &bad,
                diff_id: None
            }],
            &dest
        )
        .is_err()
    );
    assert_eq!(fs::read(dest.join("v1")).unwrap(), b"one");
    assert!(!dest.join("v2").exists());
    let names: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["module"], "no staging directory may be left behind");

    // A successful extraction replaces the old tree completely.
    let newer = gzip(&raw_tar(&[Raw("v3", T::Regular, "", b"three")]));
    extract_layers(
        &[LayerToExtract {
            gzip: &newer,
            diff_id: None,
        }],
        &dest,
    )
    .unwrap();
    assert!(!dest.join("v1").exists());
    assert_eq!(fs::read(dest.join("v3")).unwrap(), b"three");
}

#[test]
fn a_wrong_diff_id_is_a_digest_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let gz = gzip(&raw_tar(&[Raw("f", T::Regular, "", b"x")]));
    let wrong = registry::Digest::of(b"something else");
    let err = extract_layers(
        &[LayerToExtract {
            gzip: &gz,
            diff_id: Some(&wrong),
        }],
        &tmp.path().join("d"),
    )
    .unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err:?}");
    assert!(!tmp.path().join("d").exists());
}

fn entry_name() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("..".to_string()),
            Just(".".to_string()),
            Just("".to_string()),
            Just("a".to_string()),
            Just("b".to_string()),
            Just("/".to_string()),
            "[a-z.]{1,4}",
        ],
        1..6,
    )
    .prop_map(|parts| parts.join("/"))
    .prop_filter("fits the 100-byte name field", |n| {
        !n.is_empty() && n.len() < 100
    })
}

fn entry_kind() -> impl Strategy<Value = T> {
    prop_oneof![
        Just(T::Regular),
        Just(T::Directory),
        Just(T::Symlink),
        Just(T::Link)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the names, types and link targets, nothing is created outside the root and
    /// every path inside resolves (following links) to a place inside the root.
    #[test]
    fn nothing_escapes_the_root(
        entries in proptest::collection::vec((entry_name(), entry_kind(), entry_name()), 1..8)
    ) {
        let raw: Vec<Raw<'_>> = entries
            .iter()
            .map(|(name, kind, link)| Raw(name, *kind, if matches!(kind, T::Symlink | T::Link) { link } else { "" }, b"data"))
            .collect();
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        fs::create_dir(&root).unwrap();
        let _ = unpack_tar(raw_tar(&raw).as_slice(), &root);
        let others: Vec<_> = fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        prop_assert_eq!(others, vec![std::ffi::OsString::from("root")]);
        let canonical_root = root.canonicalize().unwrap();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if let Ok(resolved) = path.canonicalize() {
                    prop_assert!(resolved.starts_with(&canonical_root), "{} -> {}", path.display(), resolved.display());
                }
                let meta = fs::symlink_metadata(&path).unwrap();
                if meta.is_dir() {
                    stack.push(path);
                }
            }
        }
    }
}
