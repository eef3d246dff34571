//! The fast path of `goyaml::from_str` against the general loader, on
//! generated YAML-like text: whenever the fast path loads a text, the general
//! loader must load the same value from it.

use proptest::prelude::*;

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

/// What a manifest's head is read from.
const HEAD: &[&str] = &["apiVersion", "kind", "metadata"];

fn check(text: &str) -> Result<(), TestCaseError> {
    if let Some(head) = goyaml::from_str_head_fast(text, HEAD) {
        let full = goyaml::load::from_str_full(text);
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
    if let Some(fast) = goyaml::from_str_fast(text) {
        match goyaml::load::from_str_full(text) {
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
        any_taken += usize::from(goyaml::from_str_fast(&text).is_some());
        let text = block_document().new_tree(&mut runner).unwrap().current();
        let taken = goyaml::from_str_fast(&text).is_some();
        assert_eq!(
            taken,
            goyaml::load::from_str_full(&text).is_ok(),
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
