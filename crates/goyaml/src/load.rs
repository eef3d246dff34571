//! Loading YAML as Go's `yaml.v2` (and so Helm and Kubernetes) reads it,
//! with the source position of every node.
//!
//! The syntax is parsed by `yaml-rust2`; this module resolves plain scalars
//! by YAML 1.1 rules as `yaml.v2` does (`yes`/`on`/`y` are `true`, `0777` is
//! octal, `1_000` is an integer, `08` is a float, timestamps stay strings),
//! applies merge keys (`<<`), expands aliases within a budget (no "billion
//! laughs"), turns non-string keys into strings as `sigs.k8s.io/yaml` does,
//! and bounds nesting depth so no input can overflow the stack.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Value};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

use crate::alias::node_count;
use crate::scalar::{key_string, resolve_scalar};

/// Deepest nesting of collections accepted (Go's yaml.v2 has a similar guard).
const MAX_DEPTH: usize = 512;
/// Most nodes a document may expand to through aliases.
const MAX_NODES: usize = 10_000_000;

/// A 1-based source position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

impl From<Marker> for Pos {
    fn from(m: Marker) -> Self {
        Pos {
            line: m.line(),
            col: m.col() + 1,
        }
    }
}

/// Where each node of one document stands in the source, by JSON pointer
/// (RFC 6901: `/spec/items/0`, `~1` for `/`, `~0` for `~`).
#[derive(Clone, Debug, Default)]
pub struct Positions {
    nodes: HashMap<String, NodePos>,
}

#[derive(Clone, Copy, Debug)]
struct NodePos {
    key: Option<Pos>,
    value: Pos,
}

impl Positions {
    /// The position to report for the node at `pointer`: its key when it is
    /// a map entry (that is what an editor should jump to), else the value.
    pub fn get(&self, pointer: &str) -> Option<Pos> {
        self.nodes.get(pointer).map(|n| n.key.unwrap_or(n.value))
    }

    /// The position of the value itself at `pointer`.
    pub fn value(&self, pointer: &str) -> Option<Pos> {
        self.nodes.get(pointer).map(|n| n.value)
    }

    /// The position of the nearest node at or above `pointer` that exists:
    /// for a missing field, where its parent object stands.
    pub fn nearest(&self, pointer: &str) -> Option<Pos> {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.get(p) {
                return Some(pos);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }
}

/// One loaded document of a YAML stream.
#[derive(Clone, Debug)]
pub struct Document {
    /// The data; an empty document is `null`.
    pub value: Value,
    /// Where each node stands in the source.
    pub positions: Positions,
    /// Where the document starts.
    pub start: Pos,
}

/// A YAML error: bad syntax, or a document the loader refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// Where, when known.
    pub pos: Option<Pos>,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{p}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

impl From<ScanError> for Error {
    fn from(e: ScanError) -> Self {
        Error {
            pos: Some((*e.marker()).into()),
            message: e.info().to_string(),
        }
    }
}

/// Load a single-document YAML text into data (no positions kept: the fast
/// path for values files). An empty text is `null`. A stream of several
/// documents is an error, as in Go's `yaml.Unmarshal` only the first is
/// read — here the first is returned and the rest ignored, like Go.
pub fn from_str(src: &str) -> Result<Value, Error> {
    if let Some(value) = crate::fast::load(src) {
        return Ok(value);
    }
    from_str_full(src)
}

/// Of a document's top-level mapping, only the entries named in `keys`
/// (what a caller reading a manifest's head needs); any other document is
/// returned whole. The whole text is still checked: errors are those of
/// [`from_str`].
pub fn from_str_head(src: &str, keys: &[&str]) -> Result<Value, Error> {
    if let Some(value) = crate::fast::load_head(src, keys) {
        return Ok(value);
    }
    let mut value = from_str_full(src)?;
    if let Value::Object(map) = &mut value {
        map.retain(|k, _| keys.contains(&k.as_str()));
    }
    Ok(value)
}

/// [`from_str`] without its fast path: the general loader alone.
pub(crate) fn from_str_full(src: &str) -> Result<Value, Error> {
    let mut loader = Loader::new(src, false);
    Ok(loader
        .next_document()?
        .map(|d| d.value)
        .unwrap_or(Value::Null))
}

/// Load every document of a YAML stream (`---` separated), with positions.
pub fn from_str_multi(src: &str) -> Result<Vec<Document>, Error> {
    let mut loader = Loader::new(src, true);
    let mut docs = Vec::new();
    while let Some(doc) = loader.next_document()? {
        docs.push(doc);
    }
    Ok(docs)
}

/// Load a single document with positions (the first of the stream; an
/// empty text gives a `null` document at 1:1).
pub fn from_str_with_positions(src: &str) -> Result<Document, Error> {
    let mut loader = Loader::new(src, true);
    Ok(loader.next_document()?.unwrap_or(Document {
        value: Value::Null,
        positions: Positions::default(),
        start: Pos { line: 1, col: 1 },
    }))
}

struct Loader<'a> {
    parser: Parser<std::str::Chars<'a>>,
    track: bool,
    anchors: HashMap<usize, Value>,
    positions: Positions,
    nodes: usize,
    started: bool,
}

impl<'a> Loader<'a> {
    fn new(src: &'a str, track: bool) -> Self {
        Loader {
            parser: Parser::new_from_str(src),
            track,
            anchors: HashMap::new(),
            positions: Positions::default(),
            nodes: 0,
            started: false,
        }
    }

    fn next(&mut self) -> Result<(Event, Marker), Error> {
        Ok(self.parser.next_token()?)
    }

    fn next_document(&mut self) -> Result<Option<Document>, Error> {
        if !self.started {
            let (ev, mark) = self.next()?;
            if ev != Event::StreamStart {
                return Err(Error {
                    pos: Some(mark.into()),
                    message: "did not find expected <stream-start>".into(),
                });
            }
            self.started = true;
        }
        let (ev, mark) = self.next()?;
        match ev {
            Event::StreamEnd => return Ok(None),
            Event::DocumentStart => {}
            _ => {
                return Err(Error {
                    pos: Some(mark.into()),
                    message: "did not find expected <document-start>".into(),
                });
            }
        }
        self.anchors.clear();
        self.positions = Positions::default();
        self.nodes = 0;
        let (ev, mark) = self.next()?;
        let mut pointer = String::new();
        let value = self.node(ev, mark, &mut pointer, None, 0)?;
        // DocumentEnd follows the root node.
        let (ev, mark) = self.next()?;
        if ev != Event::DocumentEnd {
            return Err(Error {
                pos: Some(mark.into()),
                message: "expected the end of the document".into(),
            });
        }
        Ok(Some(Document {
            value,
            positions: std::mem::take(&mut self.positions),
            start: mark.into(),
        }))
    }

    fn record(&mut self, pointer: &str, key: Option<Pos>, value: Pos) {
        if self.track {
            self.positions
                .nodes
                .insert(pointer.to_string(), NodePos { key, value });
        }
    }

    fn count(&mut self, n: usize, mark: Marker) -> Result<(), Error> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(Error {
                pos: Some(mark.into()),
                message: format!(
                    "document expands to more than {MAX_NODES} nodes (alias expansion too large)"
                ),
            });
        }
        Ok(())
    }

    /// Build the node that starts with `ev`, at `pointer`.
    fn node(
        &mut self,
        ev: Event,
        mark: Marker,
        pointer: &mut String,
        key_pos: Option<Pos>,
        depth: usize,
    ) -> Result<Value, Error> {
        if depth > MAX_DEPTH {
            return Err(Error {
                pos: Some(mark.into()),
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
            });
        }
        self.record(pointer, key_pos, mark.into());
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, mark)?;
                let v = resolve_scalar(text, style, tag.as_ref()).map_err(|message| Error {
                    pos: Some(mark.into()),
                    message,
                })?;
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(v) => {
                    let v = v.clone();
                    self.count(node_count(&v), mark)?;
                    Ok(v)
                }
                None => Err(Error {
                    pos: Some(mark.into()),
                    message: "unknown anchor referenced by alias".into(),
                }),
            },
            Event::SequenceStart(anchor, _tag) => {
                self.count(1, mark)?;
                let mut items = Vec::new();
                loop {
                    let (ev, m) = self.next()?;
                    if ev == Event::SequenceEnd {
                        break;
                    }
                    // The pointer is only kept when positions are.
                    let len = pointer.len();
                    if self.track {
                        pointer.push('/');
                        pointer.push_str(&items.len().to_string());
                    }
                    let item = self.node(ev, m, pointer, None, depth + 1);
                    pointer.truncate(len);
                    items.push(item?);
                }
                let v = Value::Array(items);
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            Event::MappingStart(anchor, _tag) => {
                self.count(1, mark)?;
                let mut map = Map::new();
                let mut first = true;
                loop {
                    let (kev, kmark) = self.next()?;
                    if kev == Event::MappingEnd {
                        break;
                    }
                    // yaml-rust2 marks a block mapping at its first `:`; the
                    // mapping really starts at its first key.
                    if first {
                        first = false;
                        if self.track
                            && let Some(n) = self.positions.nodes.get_mut(pointer.as_str())
                        {
                            n.value = n.value.min(kmark.into());
                        }
                    }
                    // Keys are built without position tracking of their own.
                    let is_merge =
                        matches!(&kev, Event::Scalar(s, TScalarStyle::Plain, _, None) if s == "<<");
                    let mut scratch = String::new();
                    let track = std::mem::replace(&mut self.track, false);
                    let key = self.node(kev, kmark, &mut scratch, None, depth + 1);
                    self.track = track;
                    let key = key?;
                    let (vev, vmark) = self.next()?;
                    if is_merge {
                        let mut scratch = String::new();
                        let track = std::mem::replace(&mut self.track, false);
                        let merged = self.node(vev, vmark, &mut scratch, None, depth + 1);
                        self.track = track;
                        merge_into(&mut map, merged?).map_err(|message| Error {
                            pos: Some(vmark.into()),
                            message,
                        })?;
                        continue;
                    }
                    let key = key_string(key);
                    let len = pointer.len();
                    if self.track {
                        pointer.push('/');
                        push_escaped(pointer, &key);
                    }
                    let value = self.node(vev, vmark, pointer, Some(kmark.into()), depth + 1);
                    pointer.truncate(len);
                    map.insert(key, value?);
                }
                let v = Value::Object(map);
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            other => Err(Error {
                pos: Some(mark.into()),
                message: format!("unexpected YAML event {other:?}"),
            }),
        }
    }
}

/// Apply a merge key's value (a map, or a list of maps where earlier maps
/// win) to `map`, as yaml.v2 does: entries are assigned in order, so keys
/// written after `<<` override merged ones and keys before it are overridden.
fn merge_into(map: &mut Map<String, Value>, merged: Value) -> Result<(), String> {
    match merged {
        Value::Object(m) => {
            map.extend(m);
            Ok(())
        }
        Value::Array(items) => {
            for item in items.into_iter().rev() {
                match item {
                    Value::Object(m) => map.extend(m),
                    _ => {
                        return Err(
                            "map merge requires map or sequence of maps as the value".into()
                        );
                    }
                }
            }
            Ok(())
        }
        _ => Err("map merge requires map or sequence of maps as the value".into()),
    }
}

fn push_escaped(pointer: &mut String, key: &str) {
    for c in key.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_1_1_scalars_resolve_as_yaml_v2() {
        let v = from_str(
            "a: yes\nb: off\nc: 0777\nd: 0x1F\ne: 1_000\nf: 08\ng: 1e3\nh: ~\ni: '1'\nj: .5\nk: 2001-12-14\nl: 0b101\nm: -12\nnn: 1.0\no: +5\np: .inf\nq: 12345678901234567890\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a": true, "b": false, "c": 511, "d": 31, "e": 1000, "f": 8.0, "g": 1000.0, "h": null, "i": "1",
                   "j": 0.5, "k": "2001-12-14", "l": 5, "m": -12, "nn": 1.0, "o": 5, "p": ".inf",
                   "q": 12345678901234567890u64})
        );
    }

    #[test]
    fn merge_keys_and_aliases() {
        let v = from_str("base: &b {x: 1, z: 2}\nd:\n  <<: *b\n  z: 3\nl: [*b]\n").unwrap();
        assert_eq!(
            v,
            json!({"base": {"x": 1, "z": 2}, "d": {"x": 1, "z": 3}, "l": [{"x": 1, "z": 2}]})
        );
        let v = from_str("a: &a {k: 1}\nb: &b {k: 2, j: 2}\nc:\n  <<: [*a, *b]\n").unwrap();
        assert_eq!(v["c"], json!({"k": 1, "j": 2}));
    }

    #[test]
    fn yaml_1_1_boolean_keys_collide_as_in_helm() {
        // helm template with `y: 1, n: 2, on: 3` prints {"false":2,"true":3}.
        assert_eq!(
            from_str("y: 1\nn: 2\non: 3\n").unwrap(),
            json!({"true": 3, "false": 2})
        );
    }

    #[test]
    fn non_string_keys_become_strings() {
        assert_eq!(
            from_str("1: a\ntrue: b\n~: c\n").unwrap(),
            json!({"1": "a", "true": "b", "null": "c"})
        );
    }

    #[test]
    fn positions_by_pointer() {
        let doc =
            from_str_with_positions("name: x\nspec:\n  items:\n    - a\n    - b: 1\n").unwrap();
        assert_eq!(doc.positions.get("/name"), Some(Pos { line: 1, col: 1 }));
        assert_eq!(doc.positions.value("/name"), Some(Pos { line: 1, col: 7 }));
        assert_eq!(
            doc.positions.get("/spec/items/1/b"),
            Some(Pos { line: 5, col: 7 })
        );
        assert_eq!(
            doc.positions.nearest("/spec/items/7/zz"),
            Some(Pos { line: 3, col: 3 })
        );
    }

    #[test]
    fn multi_document_stream() {
        let docs = from_str_multi("a: 1\n---\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[1].value, Value::Null);
        assert_eq!(docs[2].value, json!({"b": 2}));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = from_str("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.pos.is_some(), "{e}");
        let e = from_str("a:\n  b: 1\n c: 2\n").unwrap_err();
        assert_eq!(e.pos.map(|p| p.line), Some(3), "{e}");
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            bomb.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
        }
        assert!(from_str(&bomb).unwrap_err().message.contains("alias"));
        let deep = "[".repeat(5000);
        assert!(from_str(&deep).is_err());
    }

    #[test]
    fn tags() {
        assert_eq!(
            from_str("a: !!str 12\nb: !!binary aGVsbG8=\n").unwrap(),
            json!({"a": "12", "b": "hello"})
        );
    }
}
