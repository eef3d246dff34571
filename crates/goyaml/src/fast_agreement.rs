//! The fast path's contract, checked: whenever [`crate::fast`] loads a
//! text, the general loader ([`crate::load`]) loads the same value from it,
//! and the head-only reading gives that value's head. On hand-picked texts,
//! on the whole test corpus, and on generated YAML-like text (property
//! tests). The differential fuzz target (`fuzz/`) checks the same.

use proptest::prelude::*;
use serde_json::Value;

use crate::fast::{load, load_head};
use crate::load::from_str_full;

/// The keys a manifest's head is read from.
const HEAD: &[&str] = &["apiVersion", "kind", "metadata"];

/// The fast path either gives up or agrees with the full loader, and so
/// does its head-only reading.
#[track_caller]
fn agrees(src: &str) -> bool {
    if let Some(head) = load_head(src, HEAD) {
        let mut full = from_str_full(src).expect("the fast path took an invalid text");
        if let Value::Object(m) = &mut full {
            m.retain(|k, _| HEAD.contains(&k.as_str()));
        }
        assert_eq!(head, full, "head-only reading differs on {src:?}");
    }
    let fast = load(src);
    let full = from_str_full(src);
    match (&fast, &full) {
        (None, _) => false,
        (Some(f), Ok(v)) => {
            assert_eq!(f, v, "fast path differs on {src:?}");
            true
        }
        (Some(f), Err(e)) => {
            panic!("fast path loaded {f:?} where the full loader fails ({e}) on {src:?}")
        }
    }
}

#[test]
fn the_common_subset_is_read_by_the_fast_path() {
    for src in [
        "",
        "# only a comment\n",
        "a: 1\n",
        "---\na: 1\n",
        "--- # c\na: b\n",
        "a: 1\nb:\n  c: yes\n  d: [1, two, \"3\"]\n  e: {}\n  f: []\n",
        "list:\n- a\n- b: 1\n  c: 2\n-   - x\n    - y\nnext: z\n",
        "k: 'it''s'\nq: \"a\\\"b\\n\"\n\"quoted key\": v\n",
        "url: http://x:80/a#b\ncomment: v # here\nempty:\n",
        "lit: |\n  line 1\n\n  line 2\n    indented\nfold: >-\n  a\n  b\n\n  c\nkeep: |+\n  x\n\nafter: 1\n",
        "nested:\n  - name: a\n    args:\n      - --flag=1\n      - \"--x\"\n  - name: b\n",
        "on: 1\n~: 2\n0x1F: 3\n1.5: f\n",
        "m: {a: 1, b: [x, y], 'c': \"d\"}\n",
        "a: &x 1\nb: *x\nc: &y\n  d: *x\nx: &x 2\ne: *x\nl:\n- &i item\n- *i\nf: *y\n",
        "a: &lit |\n  text\nb: *lit\n",
        "a: &q\n- &q\n  - x\nb: *q\n",
        "description: a long\n  text, folded\n\n  in two\nnext: 1\n",
        "- first\n  item\n- k: v\n    w\n  k2: 1\n",
        "a:\n  value\n  more\nb: 12\n  34\n",
        "s: -1\nt: -x\nu: ::1\nv: a:b\nw: a#b\n",
        "top:\n  inner:\n    deep: 1\n  back: 2\nroot: 3\n",
        "a: |\n  x",
        "a: >\n  x\n  y",
        "a: |+\n  x\n\n# c\nb: 1\n",
    ] {
        assert!(agrees(src), "fast path gave up on {src:?}");
    }
}

#[test]
fn everything_else_is_left_to_the_full_loader() {
    for src in [
        "&x a: 1\n",
        "a: *unknown\n",
        "a: &x 1\nb: &x\n  c: *x\n",
        "&o---\n&o---\ndescripx\n",
        "&a |\nx\n...\ny\n",
        "pti:\n - { tmg: yes,m-0s3e: yes, sometmg: yes0bx -}\n",
        "a: [b c]\n",
        "a: &x b: c\n",
        "<<: *x\n",
        "a: !!str 1\n",
        "a: b # c\n  d\n",
        "a: b\n  c: d\n",
        "a: b\n  - c\n",
        "a: 'multi\n  line'\n",
        "a:\tb\n",
        "a: b\r\n",
        "a: 1\n---\nb: 2\n",
        "a: [1,\n 2]\n",
        "? complex\n: key\n",
        "<<: {a: 1}\n",
        "a: b: c\n",
        "a: |2\n   x\n",
        "a:\n  b: 1\n c: 2\n",
        "- a\nb: 1\n",
        "a: \"\\u00e9\"\n",
    ] {
        assert!(load(src).is_none(), "fast path took {src:?}");
    }
}

#[test]
fn corpus_yaml_agrees_with_the_full_loader() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests");
    let mut files = Vec::new();
    collect_yaml(std::path::Path::new(root), &mut files);
    assert!(files.len() > 50, "corpus not found under {root}");
    let mut taken = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if load(&text).is_some() {
            taken += 1;
        }
        // Panics on any disagreement.
        let _ = agrees(&text);
    }
    assert!(
        taken * 2 > files.len(),
        "fast path took only {taken} of {} files",
        files.len()
    );
}

fn collect_yaml(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_yaml(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml")
            && !path.components().any(|c| c.as_os_str() == "templates")
        {
            out.push(path);
        }
    }
}

/// Pieces of lines that exercise the fast path's decisions: keys, sequence
/// entries, every scalar style, flows, anchors, comments, and the characters
/// that end or change a plain scalar.
fn fragment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "key",
        "k2",
        "a b",
        "on",
        "~",
        "12",
        "0x1F",
        "1.5",
        "-1",
        "<<",
        "url://x",
        "a#b",
        ":",
        ": ",
        "- ",
        "-",
        "? ",
        "#",
        " # c",
        "'",
        "''",
        "'s'",
        "\"",
        "\"d\\n\"",
        "\"\\u00e9\"",
        "\"\\q\"",
        "|",
        "|-",
        "|+",
        ">",
        ">-",
        "|2",
        "[",
        "]",
        "[a, b]",
        "[]",
        "{",
        "}",
        "{a: 1}",
        "{}",
        ",",
        "&a ",
        "*a",
        "&b",
        "*b",
        "!!str ",
        "---",
        "...",
        "%YAML",
        " ",
        "  ",
        "\t",
        "x",
        "yes",
        "null",
    ])
}

fn line() -> impl Strategy<Value = String> {
    (0usize..7, prop::collection::vec(fragment(), 0..5))
        .prop_map(|(indent, parts)| format!("{}{}", " ".repeat(indent), parts.concat()))
}

fn document() -> impl Strategy<Value = String> {
    (prop::collection::vec(line(), 0..14), any::<bool>()).prop_map(|(lines, newline)| {
        let mut text = lines.join("\n");
        if newline {
            text.push('\n');
        }
        text
    })
}

/// Mostly well-formed block YAML, so the fast path is taken often: a line
/// nests one level deeper only under an entry with an empty value.
fn block_document() -> impl Strategy<Value = String> {
    let scalar = prop::sample::select(vec![
        "v", "1", "yes", "'q'", "\"d\"", "[a, 1]", "{k: v}", "{}", "&a x", "*a", "|", ">-", "a:b",
        "x # c", "", "", "", "&a", "fold",
    ]);
    let entry = (
        -2i32..2,
        any::<bool>(),
        prop::sample::select(vec!["a", "b", "c"]),
        scalar,
    );
    prop::collection::vec(entry, 0..14).prop_map(|entries| {
        let mut text = String::new();
        let (mut depth, mut opens) = (0i32, false);
        for (step, seq, key, value) in entries {
            depth = if opens && step >= 0 {
                depth + 1
            } else {
                (depth + step.min(0)).max(0)
            };
            let pad = "  ".repeat(depth as usize);
            let dash = if seq { "- " } else { "" };
            text.push_str(&format!("{pad}{dash}{key}: {value}\n"));
            if seq {
                depth += 1;
            }
            if value == "fold" {
                // A plain scalar continued on the next lines (with an empty
                // line between), deeper than its entry.
                let pad = "  ".repeat(depth as usize + 1);
                text.push_str(&format!("{pad}continued {key}\n\n{pad}again\n"));
            }
            if value == "|" || value == ">-" {
                // The block scalar's content, one level deeper.
                let pad = "  ".repeat(depth as usize + 1);
                text.push_str(&format!("{pad}text {key}\n{pad}more\n\n"));
            }
            opens = value.is_empty() || value == "&a";
        }
        text
    })
}

fn check(text: &str) -> Result<(), TestCaseError> {
    if let Some(head) = load_head(text, HEAD) {
        let full = from_str_full(text);
        prop_assert!(
            full.is_ok(),
            "head-only fast path took an invalid text {:?}",
            text
        );
        let mut full = full.unwrap();
        if let serde_json::Value::Object(m) = &mut full {
            m.retain(|k, _| HEAD.contains(&k.as_str()));
        }
        prop_assert_eq!(head, full, "head-only reading differs on {:?}", text);
    }
    if let Some(fast) = load(text) {
        match from_str_full(text) {
            Ok(full) => prop_assert_eq!(fast, full, "on {:?}", text),
            Err(e) => prop_assert!(
                false,
                "fast path loaded {:?} where the general loader fails ({}) on {:?}",
                fast,
                e,
                text
            ),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn fast_path_agrees_on_yaml_like_text(text in document()) {
        check(&text)?;
    }

    #[test]
    fn fast_path_agrees_on_block_yaml(text in block_document()) {
        check(&text)?;
    }
}

/// The generators must reach the fast path often, or the properties above
/// would hold trivially; and on the block generator's text, which stays in
/// the fast subset, the fast path must take every text the general loader
/// accepts.
#[test]
fn generated_text_often_takes_the_fast_path() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut any_taken, mut block_taken) = (0, 0);
    for _ in 0..2000 {
        let text = document().new_tree(&mut runner).unwrap().current();
        any_taken += usize::from(load(&text).is_some());
        let text = block_document().new_tree(&mut runner).unwrap().current();
        let taken = load(&text).is_some();
        assert_eq!(
            taken,
            from_str_full(&text).is_ok(),
            "fast path and general loader disagree on whether to load {text:?}"
        );
        block_taken += usize::from(taken);
    }
    assert!(
        any_taken >= 100,
        "fast path took {any_taken} of 2000 generated texts"
    );
    assert!(
        block_taken >= 300,
        "fast path took {block_taken} of 2000 block texts"
    );
}
