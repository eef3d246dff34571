//! A fast loader for the block-style subset of YAML that values files and
//! rendered manifests are written in.
//!
//! Loading `values.yaml` and the head of every rendered manifest is a large
//! share of a render, and most of that time goes to the general YAML scanner
//! (token queues, simple-key bookkeeping, comment skipping one character at a
//! time). Nearly all of these texts use only block mappings and sequences,
//! plain and quoted one-line scalars, `|`/`>` block scalars, one-line flow
//! collections, multi-line plain scalars, comments, and anchors and aliases
//! on values. This module
//! reads exactly that subset straight into data, with the same scalar
//! resolution as the full loader.
//!
//! It never decides anything it is unsure of: on any construct outside the
//! subset (tags, merge keys, anchored keys, multi-line quoted scalars, tabs,
//! several documents, …) and on anything that could be a syntax error, it gives up and
//! the full loader ([`crate::load`]) reads the text from the start, so errors
//! are always worded by the full loader. The contract — the fast path returns
//! either nothing or exactly what the full loader returns — is checked on the
//! whole test corpus, by property tests and by a differential fuzz target.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::alias::node_count;
use crate::scalar::{key_string, plain_non_string, resolve_plain};

/// Nesting deeper than this is left to the full loader (which bounds it).
const MAX_DEPTH: usize = 128;
/// yaml.v2 and yaml-rust2 refuse an implicit key longer than 1024 characters.
const MAX_KEY_LEN: usize = 1024;
/// Most nodes aliases may copy before the full loader (and its own, larger
/// budget) takes over.
const MAX_ALIAS_NODES: usize = 100_000;

/// The fast path gave up; the full loader reads the text instead.
struct Bail;

type Fast<T> = Result<T, Bail>;

/// Load `src` if it lies in the fast subset: `None` means "use the full
/// loader", never "the text is wrong".
pub(crate) fn load(src: &str) -> Option<Value> {
    load_keeping(src, None)
}

/// [`load`], keeping of a top-level mapping only the entries whose keys are
/// in `keys`: the other entries are still read (the text must be valid
/// throughout) but not built.
pub(crate) fn load_head(src: &str, keys: &[&str]) -> Option<Value> {
    load_keeping(src, Some(keys))
}

fn load_keeping(src: &str, head: Option<&[&str]>) -> Option<Value> {
    if !plain_text(src.as_bytes()) {
        return None;
    }
    let mut reader = Reader {
        s: src.as_bytes(),
        src,
        pos: 0,
        depth: 0,
        anchors: HashMap::new(),
        anchors_started: 0,
        alias_nodes: 0,
        head,
        discard: false,
        last_plain: None,
        peeked: None,
    };
    let mut value = reader.document().ok()?;
    // A flow mapping at the top was built whole.
    if let (Some(keys), Value::Object(map)) = (head, &mut value) {
        map.retain(|k, _| keys.contains(&k.as_str()));
    }
    Some(value)
}

/// Whether the text avoids every character the subset leaves to the full
/// loader: tabs, carriage returns and other control characters, the byte
/// order mark, and the Unicode line breaks YAML 1.1 knows (NEL, LS, PS).
fn plain_text(s: &[u8]) -> bool {
    // Most texts are printable ASCII and line breaks throughout: check them
    // 32 bytes at a time, without branches, and look closer only at a block
    // that holds something else.
    const BLOCK: usize = 32;
    let mut i = 0;
    while i < s.len() {
        if let Some(block) = s.get(i..i + BLOCK)
            && block.iter().fold(true, |ok, &b| {
                ok & ((b.wrapping_sub(0x20) < 0x5f) | (b == b'\n'))
            })
        {
            i += BLOCK;
            continue;
        }
        let end = (i + BLOCK).min(s.len());
        while i < end {
            let b = s[i];
            if b < 0x80 {
                if (b < 0x20 && b != b'\n') || b == 0x7f {
                    return false;
                }
                i += 1;
                continue;
            }
            match (b, s.get(i + 1), s.get(i + 2)) {
                // C1 controls, NEL among them.
                (0xc2, Some(0x80..=0x9f), _) => return false,
                // LINE SEPARATOR, PARAGRAPH SEPARATOR.
                (0xe2, Some(0x80), Some(0xa8 | 0xa9)) => return false,
                // BOM (ZERO WIDTH NO-BREAK SPACE), and the non-characters U+FFFE, U+FFFF.
                (0xef, Some(0xbb), Some(0xbf)) | (0xef, Some(0xbf), Some(0xbe | 0xbf)) => {
                    return false;
                }
                _ => i += 1,
            }
        }
    }
    true
}

/// An anchor name's latest binding: the full loader binds a name when it
/// reads the anchor, so the anchor started last owns it, and an alias to it
/// before its value is complete is unknown.
struct Anchor {
    /// Which anchor of the document this is, in reading order.
    number: usize,
    /// Its value, once read.
    value: Option<Value>,
}

/// What a line holds at a given column, once blank and comment lines are skipped.
#[derive(Clone, Copy)]
enum Next {
    /// End of the text.
    End,
    /// A content line whose first non-space character is at this column;
    /// the reader stands at the start of the line.
    Line(usize),
}

/// A one-line scalar or key read from the current position.
enum Inline {
    /// `key:` (the reader stands after the colon).
    Key(String),
    /// A value that is not a key.
    Value(Value),
}

struct Reader<'a> {
    s: &'a [u8],
    src: &'a str,
    pos: usize,
    depth: usize,
    /// Anchors by name.
    anchors: HashMap<&'a str, Anchor>,
    /// Anchors started so far (each one's number in [`Anchor`]).
    anchors_started: usize,
    /// Nodes copied by aliases so far.
    alias_nodes: usize,
    /// The top-level keys to build, when not all are wanted.
    head: Option<&'a [&'a str]>,
    /// Reading a value that is not wanted: check it, build nothing.
    discard: bool,
    /// Where the plain scalar [`Reader::inline`] just read lies in the text.
    last_plain: Option<(usize, usize)>,
    /// The last look-ahead of [`Reader::no_continuation`]: from which
    /// position, to which, and what [`Reader::next_line`] found there.
    peeked: Option<(usize, usize, Next)>,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn byte_at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }

    /// Whether byte `i` ends a token: a space, the end of a line or of the text.
    fn is_break_or_space(&self, i: usize) -> bool {
        matches!(self.byte_at(i), None | Some(b' ' | b'\n'))
    }

    /// The first position at or after `i` that is not a space.
    fn spaces_from(&self, mut i: usize) -> usize {
        while self.byte_at(i) == Some(b' ') {
            i += 1;
        }
        i
    }

    /// Where the line after the one that contains `i` starts (or the end of
    /// the text).
    fn next_line_start(&self, i: usize) -> usize {
        (self.line_end(i) + 1).min(self.s.len())
    }

    /// Position of the end of the line that contains `from` (its `\n`, or the
    /// end of the text).
    fn line_end(&self, from: usize) -> usize {
        // `str::find` of a char searches with the standard library's memchr.
        self.src[from..]
            .find('\n')
            .map_or(self.s.len(), |i| from + i)
    }

    /// From the start of a line, skip blank and comment lines; stop at the
    /// start of the next content line. Document markers are left to the full
    /// loader.
    fn next_line(&mut self) -> Fast<Next> {
        // A look-ahead from this very position already skipped these lines.
        if let Some((from, to, next)) = self.peeked
            && from == self.pos
        {
            self.pos = to;
            return Ok(next);
        }
        loop {
            let start = self.pos;
            if start >= self.s.len() {
                return Ok(Next::End);
            }
            let i = self.spaces_from(start);
            match self.byte_at(i) {
                None => {
                    self.pos = i;
                    return Ok(Next::End);
                }
                Some(b'\n') => self.pos = i + 1,
                Some(b'#') => self.pos = self.next_line_start(i),
                Some(_) => {
                    let indent = i - start;
                    if indent == 0 && self.is_document_marker(i) {
                        return Err(Bail);
                    }
                    return Ok(Next::Line(indent));
                }
            }
        }
    }

    fn is_document_marker(&self, i: usize) -> bool {
        let rest = &self.s[i..];
        (rest.starts_with(b"---") || rest.starts_with(b"...")) && self.is_break_or_space(i + 3)
    }

    /// After a value: only spaces and a comment may follow on the line; the
    /// reader moves to the start of the next line.
    fn finish_line(&mut self) -> Fast<()> {
        let i = self.spaces_from(self.pos);
        match self.byte_at(i) {
            None => self.pos = i,
            Some(b'\n') => self.pos = i + 1,
            Some(b'#') if i > self.pos => self.pos = self.next_line_start(i),
            Some(_) => return Err(Bail),
        }
        Ok(())
    }

    /// After a value that began on this line, in a collection at column
    /// `parent`: the rest of the line, and the lines that continue a plain
    /// scalar (more indented than `parent`, folded into it with spaces).
    fn after_value(&mut self, value: Value, parent: isize) -> Fast<Value> {
        if let Some((start, end)) = self.last_plain.take()
            && parent >= 0
        {
            let i = self.spaces_from(self.pos);
            if self.byte_at(i) == Some(b'\n') {
                let save = self.pos;
                self.pos = i + 1;
                if let Some(folded) = self.plain_continuation(start, end, parent)? {
                    return Ok(folded);
                }
                self.pos = save;
            }
        }
        self.finish_line()?;
        self.no_continuation(parent)?;
        Ok(value)
    }

    /// The lines that continue the plain scalar `src[start..end]`, from the
    /// start of the next line: `None` when there are none (the reader is then
    /// left anywhere). A line is folded in with a space, empty lines become
    /// line breaks; a comment, an indicator at a line's start or a `: ` in a
    /// continuation is left to the full loader.
    fn plain_continuation(
        &mut self,
        start: usize,
        end: usize,
        parent: isize,
    ) -> Fast<Option<Value>> {
        let mut text: Option<String> = None;
        let mut empty = 0;
        while self.pos < self.s.len() {
            let line = self.pos;
            let i = self.spaces_from(line);
            match self.byte_at(i) {
                None => break,
                Some(b'\n') => {
                    empty += 1;
                    self.pos = i + 1;
                    continue;
                }
                Some(_) if (i - line) as isize <= parent => break,
                Some(
                    b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*'
                    | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`',
                ) => return Err(Bail),
                Some(_) => {}
            }
            let eol = self.line_end(i);
            let mut seg_end = i;
            for j in i..eol {
                match self.s[j] {
                    b'#' if self.s[j - 1] == b' ' => return Err(Bail),
                    b':' if self.is_break_or_space(j + 1) => return Err(Bail),
                    b' ' => {}
                    _ => seg_end = j + 1,
                }
            }
            let folded = text.get_or_insert_with(|| self.src[start..end].to_string());
            if empty == 0 {
                folded.push(' ');
            } else {
                folded.extend(std::iter::repeat_n('\n', empty));
            }
            folded.push_str(&self.src[i..seg_end]);
            empty = 0;
            self.pos = (eol + 1).min(self.s.len());
        }
        Ok(text.map(|t| plain_non_string(&t).unwrap_or(Value::String(t))))
    }

    /// After a one-line value of a collection at column `parent`: a more
    /// indented line would continue the scalar (or be an error).
    fn no_continuation(&mut self, parent: isize) -> Fast<()> {
        let save = self.pos;
        let next = self.next_line()?;
        // The caller reads on from here next: keep what was skipped (often
        // a run of comments) for its own `next_line`.
        self.peeked = Some((save, self.pos, next));
        match next {
            Next::Line(indent) if indent as isize > parent => Err(Bail),
            _ => {
                self.pos = save;
                Ok(())
            }
        }
    }

    fn document(&mut self) -> Fast<Value> {
        // An explicit start of the document, alone on its line.
        match self.skip_to_first_line()? {
            Next::End => return Ok(Value::Null),
            Next::Line(0)
                if self.is_document_marker(self.pos) && self.s[self.pos..].starts_with(b"---") =>
            {
                self.pos += 3;
                self.finish_line()?;
            }
            Next::Line(_) => {}
        }
        let value = match self.next_line()? {
            Next::End => Value::Null,
            Next::Line(indent) => {
                self.pos += indent;
                self.node(indent, -1)?
            }
        };
        match self.next_line()? {
            Next::End => Ok(value),
            Next::Line(_) => Err(Bail),
        }
    }

    /// Like [`Reader::next_line`], but a document marker is returned to the
    /// caller instead of refused (the reader stands at the start of its line),
    /// and a directive (`%YAML`) is left to the full loader.
    fn skip_to_first_line(&mut self) -> Fast<Next> {
        loop {
            let start = self.pos;
            let i = self.spaces_from(start);
            match self.byte_at(i) {
                None => return Ok(Next::End),
                Some(b'\n') => self.pos = i + 1,
                Some(b'#') => self.pos = self.next_line_start(i),
                Some(b'%') => return Err(Bail),
                Some(_) => return Ok(Next::Line(i - start)),
            }
        }
    }

    /// The node whose first character is at the reader, in column `col`, in
    /// a collection at column `parent` (-1 at the root).
    fn node(&mut self, col: usize, parent: isize) -> Fast<Value> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bail);
        }
        let value = self.node_inner(col, parent);
        self.depth -= 1;
        value
    }

    fn node_inner(&mut self, col: usize, parent: isize) -> Fast<Value> {
        match self.peek() {
            Some(b'&') => self.anchored(parent, false),
            Some(b'*') => self.alias(parent),
            Some(b'-') if self.is_break_or_space(self.pos + 1) => self.sequence(col),
            Some(b'|' | b'>') => {
                if parent < 0 {
                    return Err(Bail);
                }
                self.block_scalar(parent)
            }
            _ => match self.inline(true)? {
                Inline::Key(key) => self.mapping(col, key),
                Inline::Value(v) => self.after_value(v, parent),
            },
        }
    }

    /// A block mapping at column `col` whose first key has been read.
    fn mapping(&mut self, col: usize, first: String) -> Fast<Value> {
        let mut map = Map::new();
        let mut key = first;
        // Of the document's own mapping, only the wanted keys are built.
        let head = self.head.filter(|_| self.depth == 1);
        loop {
            if self.discard {
                self.map_value(col)?;
            } else if let Some(keys) = head
                && !keys.contains(&key.as_str())
            {
                self.discard = true;
                let value = self.map_value(col);
                self.discard = false;
                value?;
            } else {
                let value = self.map_value(col)?;
                map.insert(key, value);
            }
            match self.next_line()? {
                Next::End => break,
                Next::Line(indent) if indent < col => break,
                Next::Line(indent) if indent > col => return Err(Bail),
                Next::Line(_) => {
                    self.pos += col;
                    key = match self.inline(true)? {
                        Inline::Key(k) => k,
                        Inline::Value(_) => return Err(Bail),
                    };
                }
            }
        }
        Ok(Value::Object(map))
    }

    /// The value after `key:` of a mapping at column `col`.
    fn map_value(&mut self, col: usize) -> Fast<Value> {
        self.skip_spaces();
        match self.peek() {
            None | Some(b'\n' | b'#') => {
                self.finish_line()?;
                self.block_value(col as isize, true)
            }
            Some(b'|' | b'>') => self.block_scalar(col as isize),
            Some(b'&') => self.anchored(col as isize, true),
            Some(b'*') => self.alias(col as isize),
            Some(_) => match self.inline(false)? {
                Inline::Value(v) => self.after_value(v, col as isize),
                Inline::Key(_) => Err(Bail),
            },
        }
    }

    /// The node on the lines after `key:` or `-` with nothing else on its
    /// line, under a collection at column `parent`. A mapping's value may be
    /// a sequence at the mapping's own column.
    fn block_value(&mut self, parent: isize, in_mapping: bool) -> Fast<Value> {
        let save = self.pos;
        match self.next_line()? {
            Next::Line(indent) if indent as isize > parent => {
                self.pos += indent;
                self.node(indent, parent)
            }
            Next::Line(indent)
                if in_mapping
                    && indent as isize == parent
                    && self.byte_at(self.pos + indent) == Some(b'-')
                    && self.is_break_or_space(self.pos + indent + 1) =>
            {
                self.pos += indent;
                self.node(indent, parent - 1)
            }
            _ => {
                self.pos = save;
                Ok(Value::Null)
            }
        }
    }

    /// An anchor name (`&name` or `*name` without its sigil) at the reader:
    /// letters, digits, `-` and `_`, then a space or the end of the line.
    fn anchor_name(&mut self) -> Fast<&'a str> {
        let start = self.pos;
        let mut i = start;
        while self
            .byte_at(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            i += 1;
        }
        if i == start || !self.is_break_or_space(i) {
            return Err(Bail);
        }
        self.pos = i;
        Ok(&self.src[start..i])
    }

    /// `&name` and the value it names, in a collection at column `parent`.
    /// The value may follow on the same line (but not be a key: an anchor
    /// there names the key) or on the next lines (where a mapping's value may
    /// be a sequence at the mapping's column).
    fn anchored(&mut self, parent: isize, in_mapping: bool) -> Fast<Value> {
        if self.discard {
            // An alias may name it from a wanted part.
            return Err(Bail);
        }
        self.pos += 1;
        let name = self.anchor_name()?;
        // The full loader binds the name as the anchor is read, so an alias
        // to it inside its own value is unknown there; here it must not find
        // an older value of the same name.
        self.anchors_started += 1;
        let number = self.anchors_started;
        self.anchors.insert(
            name,
            Anchor {
                number,
                value: None,
            },
        );
        self.skip_spaces();
        let value = match self.peek() {
            None | Some(b'\n' | b'#') => {
                self.finish_line()?;
                // A second property for the same node is left to the full
                // loader.
                let save = self.pos;
                if let Next::Line(indent) = self.next_line()?
                    && matches!(self.byte_at(self.pos + indent), Some(b'&' | b'*' | b'!'))
                {
                    return Err(Bail);
                }
                self.pos = save;
                self.block_value(parent, in_mapping)?
            }
            // At the top, a block scalar's lines could hold document markers.
            Some(b'|' | b'>') if parent < 0 => return Err(Bail),
            Some(b'|' | b'>') => self.block_scalar(parent)?,
            Some(b'&' | b'*') => return Err(Bail),
            Some(_) => match self.inline(false)? {
                Inline::Value(v) => self.after_value(v, parent)?,
                Inline::Key(_) => return Err(Bail),
            },
        };
        // A later anchor of the same name inside this value owns the name
        // now, as it does in the full loader.
        if let Some(anchor) = self.anchors.get_mut(name)
            && anchor.number == number
        {
            anchor.value = Some(value.clone());
        }
        Ok(value)
    }

    /// `*name`: a copy of the value its anchor named.
    fn alias(&mut self, parent: isize) -> Fast<Value> {
        self.pos += 1;
        let name = self.anchor_name()?;
        let value = self
            .anchors
            .get(name)
            .and_then(|a| a.value.clone())
            .ok_or(Bail)?;
        self.alias_nodes += node_count(&value);
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(Bail);
        }
        self.finish_line()?;
        self.no_continuation(parent)?;
        Ok(value)
    }

    /// A block sequence whose first `-` is at the reader, in column `col`.
    fn sequence(&mut self, col: usize) -> Fast<Value> {
        let mut items = Vec::new();
        loop {
            // At `-`, followed by a space or a line break.
            self.pos += 1;
            self.skip_spaces();
            let item = match self.peek() {
                None | Some(b'\n' | b'#') => {
                    self.finish_line()?;
                    self.block_value(col as isize, false)?
                }
                Some(_) => {
                    let item_col = self.pos - self.line_start();
                    self.node(item_col, col as isize)?
                }
            };
            if !self.discard {
                items.push(item);
            }
            match self.next_line()? {
                Next::End => break,
                Next::Line(indent) if indent < col => break,
                Next::Line(indent) if indent > col => return Err(Bail),
                Next::Line(_) => {
                    let dash = self.pos + col;
                    if self.byte_at(dash) == Some(b'-') && self.is_break_or_space(dash + 1) {
                        self.pos = dash;
                    } else {
                        // A key at the sequence's column: the sequence was the
                        // value of that mapping's previous key.
                        break;
                    }
                }
            }
        }
        Ok(Value::Array(items))
    }

    fn line_start(&self) -> usize {
        self.s[..self.pos]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
    }

    /// A one-line scalar, flow collection or key at the reader. `key_allowed`
    /// is false for a mapping's value, where `key:` would be an error.
    fn inline(&mut self, key_allowed: bool) -> Fast<Inline> {
        self.last_plain = None;
        let start = self.pos;
        let value = match self.peek() {
            Some(b'"') => Value::String(self.double_quoted()?),
            Some(b'\'') => Value::String(self.single_quoted()?),
            Some(b'[' | b'{') => {
                let v = self.flow(0)?;
                return Ok(Inline::Value(v));
            }
            Some(
                b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b',' | b']' | b'}' | b'#' | b'|' | b'>',
            ) => {
                return Err(Bail);
            }
            Some(b'-' | b'?' | b':') if self.is_break_or_space(self.pos + 1) => return Err(Bail),
            None | Some(b'\n' | b' ') => return Err(Bail),
            Some(_) => return self.plain_block(key_allowed),
        };
        // A quoted key: `"a": …`.
        let i = self.spaces_from(self.pos);
        if self.byte_at(i) == Some(b':') && self.is_break_or_space(i + 1) {
            if !key_allowed || i - start > MAX_KEY_LEN {
                return Err(Bail);
            }
            self.pos = i + 1;
            return Ok(Inline::Key(key_string(value)));
        }
        Ok(Inline::Value(value))
    }

    /// A plain scalar in block context, up to a comment or the end of the
    /// line; or a plain key up to its `: `.
    fn plain_block(&mut self, key_allowed: bool) -> Fast<Inline> {
        let start = self.pos;
        let mut i = start;
        let mut end = start;
        loop {
            match self.byte_at(i) {
                None | Some(b'\n') => break,
                Some(b'#') if self.byte_at(i - 1) == Some(b' ') => break,
                Some(b':') if self.is_break_or_space(i + 1) => {
                    if !key_allowed || i - start > MAX_KEY_LEN {
                        return Err(Bail);
                    }
                    if self.discard {
                        if &self.src[start..end] == "<<" {
                            return Err(Bail);
                        }
                        self.pos = i + 1;
                        return Ok(Inline::Key(String::new()));
                    }
                    let text = self.src[start..end].to_string();
                    if text == "<<" {
                        return Err(Bail);
                    }
                    self.pos = i + 1;
                    let key = plain_non_string(&text).unwrap_or(Value::String(text));
                    return Ok(Inline::Key(key_string(key)));
                }
                Some(b' ') => {}
                Some(_) => end = i + 1,
            }
            i += 1;
        }
        self.pos = end;
        self.last_plain = Some((start, end));
        if self.discard {
            return Ok(Inline::Value(Value::Null));
        }
        let text = &self.src[start..end];
        Ok(Inline::Value(resolve_plain(text)))
    }

    /// `'…'` on one line (`''` is a quote).
    fn single_quoted(&mut self) -> Fast<String> {
        let mut out = String::new();
        let mut i = self.pos + 1;
        let mut run = i;
        loop {
            match self.byte_at(i) {
                None | Some(b'\n') => return Err(Bail),
                Some(b'\'') if self.byte_at(i + 1) == Some(b'\'') => {
                    out.push_str(&self.src[run..=i]);
                    i += 2;
                    run = i;
                }
                Some(b'\'') => {
                    out.push_str(&self.src[run..i]);
                    self.pos = i + 1;
                    return Ok(out);
                }
                Some(_) => i += 1,
            }
        }
    }

    /// `"…"` on one line, with the common escapes; any other escape is left
    /// to the full loader.
    fn double_quoted(&mut self) -> Fast<String> {
        let mut out = String::new();
        let mut i = self.pos + 1;
        let mut run = i;
        loop {
            match self.byte_at(i) {
                None | Some(b'\n') => return Err(Bail),
                Some(b'"') => {
                    out.push_str(&self.src[run..i]);
                    self.pos = i + 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(&self.src[run..i]);
                    let c = match self.byte_at(i + 1) {
                        Some(b'\\') => '\\',
                        Some(b'"') => '"',
                        Some(b'/') => '/',
                        Some(b'n') => '\n',
                        Some(b't') => '\t',
                        Some(b'r') => '\r',
                        Some(b'0') => '\0',
                        Some(b' ') => ' ',
                        _ => return Err(Bail),
                    };
                    out.push(c);
                    i += 2;
                    run = i;
                }
                Some(_) => i += 1,
            }
        }
    }

    /// A flow sequence or mapping that opens at the reader and closes on the
    /// same line, holding scalars and further flow collections.
    fn flow(&mut self, depth: usize) -> Fast<Value> {
        if depth + self.depth > MAX_DEPTH {
            return Err(Bail);
        }
        let open = self.peek();
        self.pos += 1;
        self.skip_spaces();
        if open == Some(b'[') {
            let mut items = Vec::new();
            if self.peek() == Some(b']') {
                self.pos += 1;
                return Ok(Value::Array(items));
            }
            loop {
                items.push(self.flow_item(depth)?);
                if self.flow_separator(b']')? {
                    return Ok(Value::Array(items));
                }
            }
        }
        let mut map = Map::new();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(map));
        }
        loop {
            let key = match self.flow_item(depth)? {
                v @ (Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null) => {
                    key_string(v)
                }
                _ => return Err(Bail),
            };
            // `key: value`, with a space after the colon.
            if self.peek() != Some(b':') || self.byte_at(self.pos + 1) != Some(b' ') {
                return Err(Bail);
            }
            self.pos += 1;
            self.skip_spaces();
            let value = self.flow_item(depth)?;
            map.insert(key, value);
            if self.flow_separator(b'}')? {
                return Ok(Value::Object(map));
            }
        }
    }

    /// After an entry of a flow collection that ends with `close`: `true`
    /// when the collection closes here, `false` after a `,` with another
    /// entry to come (a trailing comma is left to the full loader).
    fn flow_separator(&mut self, close: u8) -> Fast<bool> {
        self.skip_spaces();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.skip_spaces();
                if self.peek() == Some(close) {
                    return Err(Bail);
                }
                Ok(false)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(true)
            }
            _ => Err(Bail),
        }
    }

    /// Move the reader past spaces.
    fn skip_spaces(&mut self) {
        self.pos = self.spaces_from(self.pos);
    }

    /// One entry of a flow collection: a nested collection, a quoted scalar,
    /// or a plain scalar without `:`, `#` or flow indicators.
    fn flow_item(&mut self, depth: usize) -> Fast<Value> {
        match self.peek() {
            Some(b'[' | b'{') => self.flow(depth + 1),
            Some(b'"') => {
                let s = self.double_quoted()?;
                self.skip_spaces();
                Ok(Value::String(s))
            }
            Some(b'\'') => {
                let s = self.single_quoted()?;
                self.skip_spaces();
                Ok(Value::String(s))
            }
            Some(
                b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b',' | b']' | b'}' | b'#' | b'|' | b'>'
                | b'-' | b'?' | b':' | b'\n' | b' ',
            )
            | None => Err(Bail),
            Some(_) => {
                let start = self.pos;
                let mut end = start;
                let mut i = start;
                loop {
                    match self.byte_at(i) {
                        Some(b',' | b']' | b'}') => break,
                        Some(b' ') => {}
                        Some(b':') => {
                            // Only `key: value` in a flow mapping ends here.
                            if self.byte_at(i + 1) == Some(b' ') {
                                break;
                            }
                            return Err(Bail);
                        }
                        None | Some(b'\n' | b'#' | b'[' | b'{' | b'?') => return Err(Bail),
                        // A word after a space inside a flow scalar (`a -`,
                        // `a b`) is left to the full loader, which reads some
                        // of them as indicators.
                        Some(_) if end < i => return Err(Bail),
                        Some(_) => end = i + 1,
                    }
                    i += 1;
                }
                self.pos = i;
                let text = &self.src[start..end];
                Ok(resolve_plain(text))
            }
        }
    }

    /// A `|` or `>` block scalar at the reader, in a collection at column
    /// `parent`: its content is indented more than `parent`.
    fn block_scalar(&mut self, parent: isize) -> Fast<Value> {
        if parent < 0 {
            // Its lines could hold document markers.
            return Err(Bail);
        }
        let literal = self.peek() == Some(b'|');
        self.pos += 1;
        #[derive(PartialEq)]
        enum Chomp {
            Clip,
            Strip,
            Keep,
        }
        let chomp = match self.peek() {
            Some(b'-') => {
                self.pos += 1;
                Chomp::Strip
            }
            Some(b'+') => {
                self.pos += 1;
                Chomp::Keep
            }
            _ => Chomp::Clip,
        };
        // An explicit indentation indicator, or anything else on the line
        // but a comment, is left to the full loader.
        match self.peek() {
            None | Some(b'\n' | b' ') => {}
            _ => return Err(Bail),
        }
        self.finish_line()?;
        // The content's indentation is that of its first line, which must not
        // follow an empty line (the full loader handles those).
        let i = self.spaces_from(self.pos);
        let indent = i - self.pos;
        if matches!(self.byte_at(i), None | Some(b'\n')) || indent as isize <= parent {
            return Err(Bail);
        }
        let mut out = String::new();
        let mut empty = 0usize;
        let mut first = true;
        loop {
            let start = self.pos;
            if start >= self.s.len() {
                break;
            }
            let i = self.spaces_from(start);
            let spaces = i - start;
            match self.byte_at(i) {
                None | Some(b'\n') => {
                    if spaces > indent || self.byte_at(i).is_none() {
                        return Err(Bail);
                    }
                    empty += 1;
                    self.pos = i + 1;
                    continue;
                }
                _ if spaces < indent => break,
                Some(c) => {
                    if !literal && (c == b' ' || spaces > indent) {
                        return Err(Bail);
                    }
                }
            }
            // A last line without a line break counts as ended by one, as
            // in the full loader.
            let end = self.line_end(start);
            if !first {
                if literal || empty > 0 {
                    let breaks = if literal { empty + 1 } else { empty };
                    out.extend(std::iter::repeat_n('\n', breaks));
                } else {
                    out.push(' ');
                }
            }
            first = false;
            empty = 0;
            if !self.discard {
                out.push_str(&self.src[start + indent..end]);
            }
            self.pos = (end + 1).min(self.s.len());
        }
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => out.push('\n'),
            Chomp::Keep => out.extend(std::iter::repeat_n('\n', empty + 1)),
        }
        Ok(Value::String(out))
    }
}
