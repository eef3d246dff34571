//! The lexer: template text → items, as Go's `text/template/parse/lex.go`.
//!
//! The whole input is lexed up front into a vector the parser walks with
//! look-ahead. Lexing stops at the first error, which becomes an
//! [`ItemKind::Error`] item; the parser reports it when it gets there, so
//! errors come out in the same order as Go's concurrent lexer produces them.

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// A lexing error; the item value is the message.
    Error,
    /// `true` or `false`.
    Bool,
    /// A printable ASCII character inside an action (only `,` is meaningful).
    Char,
    /// A character constant such as `'a'`.
    CharConstant,
    /// A comment (only emitted when comments are kept).
    Comment,
    /// A complex constant such as `1+2i`.
    Complex,
    /// `=`.
    Assign,
    /// `:=`.
    Declare,
    /// End of input.
    Eof,
    /// A field name such as `.Field`.
    Field,
    /// An identifier (function name).
    Identifier,
    /// The left delimiter `{{`.
    LeftDelim,
    /// `(`.
    LeftParen,
    /// A number.
    Number,
    /// `|`.
    Pipe,
    /// A raw string such as `` `abc` ``.
    RawString,
    /// The right delimiter `}}`.
    RightDelim,
    /// `)`.
    RightParen,
    /// A run of spaces inside an action.
    Space,
    /// A quoted string such as `"abc"`.
    String,
    /// Plain text outside actions.
    Text,
    /// A variable such as `$x`.
    Variable,
    /// The keyword `block`.
    Block,
    /// The keyword `break`.
    Break,
    /// The keyword `continue`.
    Continue,
    /// The cursor `.`.
    Dot,
    /// The keyword `define`.
    Define,
    /// The keyword `else`.
    Else,
    /// The keyword `end`.
    End,
    /// The keyword `if`.
    If,
    /// The keyword `nil`.
    Nil,
    /// The keyword `range`.
    Range,
    /// The keyword `template`.
    Template,
    /// The keyword `with`.
    With,
}

impl ItemKind {
    /// Whether this is a keyword (printed as `<word>` in messages).
    pub fn is_keyword(self) -> bool {
        matches!(
            self,
            ItemKind::Block
                | ItemKind::Break
                | ItemKind::Continue
                | ItemKind::Dot
                | ItemKind::Define
                | ItemKind::Else
                | ItemKind::End
                | ItemKind::If
                | ItemKind::Nil
                | ItemKind::Range
                | ItemKind::Template
                | ItemKind::With
        )
    }
}

/// One lexed item.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// What it is.
    pub kind: ItemKind,
    /// Byte offset of the item in the input.
    pub pos: usize,
    /// The item's text (the message for errors).
    pub val: &'a str,
}

impl std::fmt::Display for Item<'_> {
    /// Go's `item.String()`, used in parse error messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            ItemKind::Eof => f.write_str("EOF"),
            ItemKind::Error => write!(f, "error at {}", gostd::strconv::quote(self.val)),
            k if k.is_keyword() => write!(f, "<{}>", self.val),
            _ if self.val.chars().count() > 10 => {
                let head: String = self.val.chars().take(10).collect();
                write!(f, "{}...", gostd::strconv::quote(&head))
            }
            _ => f.write_str(&gostd::strconv::quote(self.val)),
        }
    }
}

/// Lexer options.
#[derive(Debug, Clone, Copy)]
pub struct LexOptions {
    /// Emit comment items (Go's `ParseComments` mode).
    pub emit_comments: bool,
    /// `break` is a keyword (no function of that name exists).
    pub break_ok: bool,
    /// `continue` is a keyword (no function of that name exists).
    pub continue_ok: bool,
}

impl Default for LexOptions {
    fn default() -> Self {
        LexOptions {
            emit_comments: false,
            break_ok: true,
            continue_ok: true,
        }
    }
}

const LEFT_DELIM: &str = "{{";
const RIGHT_DELIM: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";
/// A trim marker plus the space that must accompany it.
const TRIM_MARKER_LEN: usize = 2;

/// The items of a whole input.
#[derive(Debug)]
pub struct Lexed<'a> {
    /// The items; the last is always `Eof` or `Error`.
    pub items: Vec<Item<'a>>,
    /// The message of the final `Error` item (empty when lexing succeeded).
    pub error: String,
}

/// Lex `input` completely.
pub fn lex(input: &str, options: LexOptions) -> Lexed<'_> {
    let mut lexer = Lexer {
        input,
        pos: 0,
        start: 0,
        // Chart templates lex into one item per 6 bytes on average, dense
        // ones one per 3-4: room for that up front instead of doublings of
        // a large vector, in the vector the previous parse on this thread
        // gave back.
        items: take_items_buffer(input.len() / 4 + 16),
        paren_depth: 0,
        options,
        error: String::new(),
    };
    lexer.run();
    Lexed {
        items: lexer.items,
        error: lexer.error,
    }
}

thread_local! {
    /// The largest items vector given back on this thread, empty. A chart
    /// parses dozens of templates in a row; reusing one vector spares an
    /// allocation of up to 8 bytes per template byte for each (prometheus:
    /// 1.6 MB in 83 vectors), which a bump allocator never gets back.
    static ITEMS_BUFFER: std::cell::Cell<Vec<Item<'static>>> =
        const { std::cell::Cell::new(Vec::new()) };
}

/// An empty items vector with room for `capacity`, reusing the buffer
/// the last parse on this thread gave back.
fn take_items_buffer<'a>(capacity: usize) -> Vec<Item<'a>> {
    // (During thread teardown the buffer may be gone: start afresh.)
    let buf = ITEMS_BUFFER.try_with(|b| b.take()).unwrap_or_default();
    let mut items: Vec<Item<'a>> = recycle(buf);
    items.reserve(capacity);
    items
}

/// Give an items vector back for the next parse on this thread.
pub(crate) fn give_back_items(items: Vec<Item<'_>>) {
    let buf: Vec<Item<'static>> = recycle(items);
    let _ = ITEMS_BUFFER.try_with(|b| {
        let old = b.take();
        b.set(if old.capacity() > buf.capacity() {
            old
        } else {
            buf
        });
    });
}

/// The allocation of an items vector, emptied, for items of another
/// lifetime: collecting a vector's iterator into a vector of a type with
/// the same layout reuses the allocation in place (the standard library's
/// in-place iteration; were it not to, a new empty vector would do as
/// well). Only the lifetime differs, and no item survives.
fn recycle<'b>(mut items: Vec<Item<'_>>) -> Vec<Item<'b>> {
    items.clear();
    items.into_iter().map(|_| unreachable!()).collect()
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    items: Vec<Item<'a>>,
    paren_depth: usize,
    options: LexOptions,
    error: String,
}

/// ASCII letters, digits and `_`, by byte: the run of a name is scanned
/// a lookup per byte.
static IS_WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 128 {
        t[b] = (b as u8).is_ascii_alphanumeric() || b == b'_' as usize;
        b += 1;
    }
    t
};

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alphanumeric(c: char) -> bool {
    if c.is_ascii() {
        c == '_' || c.is_ascii_alphanumeric()
    } else {
        c.is_alphabetic() || c.is_numeric()
    }
}

/// The 1-based line of byte offset `pos` in `input`, as Go's lexer numbers
/// items. Items do not carry lines: only errors need one, so it is counted
/// when an error is reported rather than for every item.
pub fn line_at(input: &str, pos: usize) -> usize {
    1 + count_newlines(&input.as_bytes()[..pos.min(input.len())])
}

/// Number of `\n` bytes in `s`, counted a block at a time.
fn count_newlines(s: &[u8]) -> usize {
    let mut chunks = s.chunks_exact(32);
    let mut n = 0;
    for chunk in &mut chunks {
        n += chunk
            .iter()
            .map(|&b| usize::from(b == b'\n'))
            .sum::<usize>();
    }
    n + chunks.remainder().iter().filter(|&&b| b == b'\n').count()
}

/// Byte offset of the first `{{` in `s`.
fn find_left_delim(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(i) = s[from..].find('{') {
        let at = from + i;
        if b.get(at + 1) == Some(&b'{') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn has_left_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

/// Whether `b` is one of Go's template spaces.
fn is_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Length of the trailing spaces of `s` (by byte: spaces are ASCII and no
/// byte of a multi-byte character is).
fn right_trim_length(s: &str) -> usize {
    s.bytes().rev().take_while(|&b| is_space_byte(b)).count()
}

/// Length of the leading spaces of `s`.
fn left_trim_length(s: &str) -> usize {
    s.bytes().take_while(|&b| is_space_byte(b)).count()
}

/// Go's `%#U` of a rune: `U+0023 '#'`.
fn sharp_u(c: char) -> String {
    if gostd::strconv::is_print(c) {
        format!("U+{:04X} '{}'", c as u32, c)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

impl<'a> Lexer<'a> {
    fn emit(&mut self, kind: ItemKind) {
        self.items.push(Item {
            kind,
            pos: self.start,
            val: &self.input[self.start..self.pos],
        });
        self.start = self.pos;
    }

    fn error(&mut self, message: String) {
        // The item's text is the offending input; the message is kept beside the items.
        self.items.push(Item {
            kind: ItemKind::Error,
            pos: self.start,
            val: &self.input[self.start..self.pos],
        });
        self.error = message;
    }

    fn peek(&self) -> Option<char> {
        match self.input.as_bytes().get(self.pos) {
            Some(&b) if b.is_ascii() => Some(char::from(b)),
            Some(_) => self.input[self.pos..].chars().next(),
            None => None,
        }
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    /// Whether the lexer is at a right delimiter, and whether it carries a trim marker.
    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim_marker(rest) && rest[TRIM_MARKER_LEN..].starts_with(RIGHT_DELIM) {
            return (true, true);
        }
        (rest.starts_with(RIGHT_DELIM), false)
    }

    /// Whether a name ends here (Go's `atTerminator`). Every terminator
    /// is ASCII, and the right delimiter starts with `}`.
    fn at_terminator(&self) -> bool {
        let bytes = self.input.as_bytes();
        match bytes.get(self.pos) {
            None => true,
            Some(b' ' | b'\t' | b'\r' | b'\n' | b'.' | b',' | b'|' | b':' | b')' | b'(') => true,
            Some(b'}') => bytes[self.pos..].starts_with(RIGHT_DELIM.as_bytes()),
            Some(_) => false,
        }
    }

    fn run(&mut self) {
        loop {
            // Text up to the next action.
            match find_left_delim(self.rest()) {
                None => {
                    self.pos = self.input.len();
                    if self.pos > self.start {
                        self.emit(ItemKind::Text);
                    }
                    self.emit(ItemKind::Eof);
                    return;
                }
                Some(x) => {
                    if x > 0 {
                        self.pos += x;
                        let delim_end = self.pos + LEFT_DELIM.len();
                        let trim = if has_left_trim_marker(&self.input[delim_end..]) {
                            right_trim_length(&self.input[self.start..self.pos])
                        } else {
                            0
                        };
                        let text_end = self.pos - trim;
                        if text_end > self.start {
                            self.items.push(Item {
                                kind: ItemKind::Text,
                                pos: self.start,
                                val: &self.input[self.start..text_end],
                            });
                        }
                        self.start = self.pos;
                    }
                    if !self.lex_left_delim() {
                        return;
                    }
                }
            }
        }
    }

    /// At `{{`: a comment or an action. Returns false when lexing stopped on an error.
    fn lex_left_delim(&mut self) -> bool {
        self.pos += LEFT_DELIM.len();
        let trim = has_left_trim_marker(self.rest());
        let after_marker = if trim { TRIM_MARKER_LEN } else { 0 };
        if self.input[self.pos + after_marker..].starts_with(LEFT_COMMENT) {
            self.pos += after_marker;
            self.start = self.pos;
            return self.lex_comment();
        }
        self.items.push(Item {
            kind: ItemKind::LeftDelim,
            pos: self.start,
            val: &self.input[self.start..self.pos],
        });
        self.pos += after_marker;
        self.start = self.pos;
        self.paren_depth = 0;
        self.lex_inside_action()
    }

    fn lex_comment(&mut self) -> bool {
        self.pos += LEFT_COMMENT.len();
        let Some(x) = self.rest().find(RIGHT_COMMENT) else {
            self.error("unclosed comment".to_string());
            return false;
        };
        self.pos += x + RIGHT_COMMENT.len();
        let (delim, trim) = self.at_right_delim();
        if !delim {
            self.error("comment ends before closing delimiter".to_string());
            return false;
        }
        if self.options.emit_comments {
            self.emit(ItemKind::Comment);
        }
        if trim {
            self.pos += TRIM_MARKER_LEN;
        }
        self.pos += RIGHT_DELIM.len();
        if trim {
            self.pos += left_trim_length(self.rest());
        }
        self.start = self.pos;
        true
    }

    /// At a right delimiter (with a trim marker when `trim`): the end of
    /// the action, or an error inside parentheses. Returns false on the error.
    fn end_action(&mut self, trim: bool) -> bool {
        if self.paren_depth != 0 {
            self.error("unclosed left paren".to_string());
            return false;
        }
        if trim {
            self.pos += TRIM_MARKER_LEN;
            self.start = self.pos;
        }
        self.pos += RIGHT_DELIM.len();
        self.emit(ItemKind::RightDelim);
        if trim {
            self.pos += left_trim_length(self.rest());
            self.start = self.pos;
        }
        true
    }

    /// Inside `{{ }}`. Returns false when lexing stopped on an error.
    ///
    /// Go's `lexInsideAction`, dispatching on the byte: everything that
    /// can start an item is ASCII, so only other bytes take the path that
    /// decodes a character.
    fn lex_inside_action(&mut self) -> bool {
        let bytes = self.input.as_bytes();
        loop {
            let Some(&b) = bytes.get(self.pos) else {
                self.error("unclosed action".to_string());
                return false;
            };
            let ok = match b {
                b' ' | b'\t' | b'\r' | b'\n' => {
                    // " -}}" is a trim-marked right delimiter.
                    if bytes.get(self.pos + 1) == Some(&b'-')
                        && bytes[self.pos + 2..].starts_with(RIGHT_DELIM.as_bytes())
                    {
                        return self.end_action(true);
                    }
                    self.lex_space();
                    true
                }
                b'}' if bytes.get(self.pos + 1) == Some(&b'}') => return self.end_action(false),
                b'=' => self.emit_byte(ItemKind::Assign),
                b'|' => self.emit_byte(ItemKind::Pipe),
                b':' => {
                    self.pos += 1;
                    if self.next() != Some('=') {
                        self.error("expected :=".to_string());
                        false
                    } else {
                        self.emit(ItemKind::Declare);
                        true
                    }
                }
                b'"' => {
                    self.pos += 1;
                    self.lex_quote()
                }
                b'`' => {
                    self.pos += 1;
                    self.lex_raw_quote()
                }
                b'$' => {
                    self.pos += 1;
                    self.lex_variable()
                }
                b'\'' => {
                    self.pos += 1;
                    self.lex_char()
                }
                // A '.' not followed by a digit (nor at the end) is a field or the dot.
                b'.' if bytes.get(self.pos + 1).is_some_and(|c| !c.is_ascii_digit()) => {
                    self.pos += 1;
                    self.lex_field_or_variable(ItemKind::Field)
                }
                b'.' | b'+' | b'-' | b'0'..=b'9' => self.lex_number(),
                b'(' => {
                    self.paren_depth += 1;
                    self.emit_byte(ItemKind::LeftParen)
                }
                b')' => {
                    self.pos += 1;
                    if self.paren_depth == 0 {
                        self.error("unexpected right paren".to_string());
                        false
                    } else {
                        self.paren_depth -= 1;
                        self.emit(ItemKind::RightParen);
                        true
                    }
                }
                b if IS_WORD[usize::from(b)] => self.lex_identifier(),
                b if b.is_ascii() => {
                    if gostd::strconv::is_print(char::from(b)) {
                        self.emit_byte(ItemKind::Char)
                    } else {
                        self.pos += 1;
                        self.error(format!(
                            "unrecognized character in action: {}",
                            sharp_u(char::from(b))
                        ));
                        false
                    }
                }
                _ => match self.peek() {
                    Some(c) if is_alphanumeric(c) => self.lex_identifier(),
                    c => {
                        let c = c.unwrap_or('\0');
                        self.pos += c.len_utf8();
                        self.error(format!("unrecognized character in action: {}", sharp_u(c)));
                        false
                    }
                },
            };
            if !ok {
                return false;
            }
        }
    }

    /// Emit the one-byte item at the current position.
    fn emit_byte(&mut self, kind: ItemKind) -> bool {
        self.pos += 1;
        self.emit(kind);
        true
    }

    /// A run of spaces. The action loop has already ruled out that the
    /// first space begins a trim-marked right delimiter (" -}}"), so a
    /// delimiter can only follow a later space of the run: that space is
    /// left for the loop, which then ends the action (Go's `lexSpace` goes
    /// straight to the delimiter only for a run of one, which cannot
    /// happen here for the same reason).
    fn lex_space(&mut self) {
        let bytes = self.input.as_bytes();
        while matches!(bytes.get(self.pos), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
        let before = &bytes[self.pos - 1..];
        if before.get(1) == Some(&b'-')
            && before[TRIM_MARKER_LEN..].starts_with(RIGHT_DELIM.as_bytes())
        {
            self.pos -= 1;
        }
        self.emit(ItemKind::Space);
    }

    /// Skip a run of letters, digits and `_`: ASCII a byte at a time,
    /// the rest as characters.
    fn scan_alphanumeric(&mut self) {
        let bytes = self.input.as_bytes();
        loop {
            let rest = &bytes[self.pos..];
            let n = rest
                .iter()
                .position(|&b| !IS_WORD[usize::from(b)])
                .unwrap_or(rest.len());
            self.pos += n;
            match rest.get(n) {
                Some(b) if !b.is_ascii() => match self.peek() {
                    Some(c) if is_alphanumeric(c) => self.pos += c.len_utf8(),
                    _ => return,
                },
                _ => return,
            }
        }
    }

    fn lex_identifier(&mut self) -> bool {
        self.scan_alphanumeric();
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\0');
            self.error(format!("bad character {}", sharp_u(c)));
            return false;
        }
        let word = &self.input[self.start..self.pos];
        let kind = match word {
            "block" => ItemKind::Block,
            "break" if self.options.break_ok => ItemKind::Break,
            "continue" if self.options.continue_ok => ItemKind::Continue,
            "define" => ItemKind::Define,
            "else" => ItemKind::Else,
            "end" => ItemKind::End,
            "if" => ItemKind::If,
            "range" => ItemKind::Range,
            "nil" => ItemKind::Nil,
            "template" => ItemKind::Template,
            "with" => ItemKind::With,
            "true" | "false" => ItemKind::Bool,
            _ => ItemKind::Identifier,
        };
        self.emit(kind);
        true
    }

    fn lex_variable(&mut self) -> bool {
        if self.at_terminator() {
            self.emit(ItemKind::Variable);
            return true;
        }
        self.lex_field_or_variable(ItemKind::Variable)
    }

    fn lex_field_or_variable(&mut self, kind: ItemKind) -> bool {
        if self.at_terminator() {
            self.emit(if kind == ItemKind::Variable {
                ItemKind::Variable
            } else {
                ItemKind::Dot
            });
            return true;
        }
        self.scan_alphanumeric();
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\0');
            self.error(format!("bad character {}", sharp_u(c)));
            return false;
        }
        self.emit(kind);
        true
    }

    fn lex_char(&mut self) -> bool {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => {
                        self.error("unterminated character constant".to_string());
                        return false;
                    }
                },
                None | Some('\n') => {
                    self.error("unterminated character constant".to_string());
                    return false;
                }
                Some('\'') => break,
                Some(_) => {}
            }
        }
        self.emit(ItemKind::CharConstant);
        true
    }

    fn lex_quote(&mut self) -> bool {
        // Bytes, not characters: only ASCII bytes end the string or escape,
        // and no byte of a multi-byte character is ASCII.
        let bytes = self.input.as_bytes();
        loop {
            match bytes.get(self.pos) {
                Some(b'\\') => match bytes.get(self.pos + 1) {
                    Some(&b) if b != b'\n' => self.pos += 2,
                    _ => {
                        self.pos = (self.pos + 2).min(bytes.len());
                        self.error("unterminated quoted string".to_string());
                        return false;
                    }
                },
                None | Some(b'\n') => {
                    self.pos = (self.pos + 1).min(bytes.len());
                    self.error("unterminated quoted string".to_string());
                    return false;
                }
                Some(b'"') => break,
                Some(_) => self.pos += 1,
            }
        }
        self.pos += 1;
        self.emit(ItemKind::String);
        true
    }

    fn lex_raw_quote(&mut self) -> bool {
        let Some(len) = self.rest().find('`') else {
            self.pos = self.input.len();
            self.error("unterminated raw quoted string".to_string());
            return false;
        };
        self.pos += len + 1;
        self.emit(ItemKind::RawString);
        true
    }

    fn lex_number(&mut self) -> bool {
        if !self.scan_number() {
            let text = self.input[self.start..self.pos].to_string();
            self.error(format!(
                "bad number syntax: {}",
                gostd::strconv::quote(&text)
            ));
            return false;
        }
        if matches!(self.peek(), Some('+' | '-')) {
            // Complex: 1+2i. No spaces, must end in 'i'.
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let text = self.input[self.start..self.pos].to_string();
                self.error(format!(
                    "bad number syntax: {}",
                    gostd::strconv::quote(&text)
                ));
                return false;
            }
            self.emit(ItemKind::Complex);
            return true;
        }
        self.emit(ItemKind::Number);
        true
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alphanumeric) {
            self.next();
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<ItemKind> {
        lex(s, LexOptions::default())
            .items
            .iter()
            .map(|i| i.kind)
            .collect()
    }

    #[test]
    fn lexes_actions_and_text() {
        use ItemKind::*;
        assert_eq!(
            kinds("a{{.X | printf \"%d\" 1}}b"),
            vec![
                Text, LeftDelim, Field, Space, Pipe, Space, Identifier, Space, String, Space,
                Number, RightDelim, Text, Eof
            ]
        );
        assert_eq!(
            kinds("{{$x := 3}}"),
            vec![
                LeftDelim, Variable, Space, Declare, Space, Number, RightDelim, Eof
            ]
        );
        assert_eq!(
            kinds("{{range .}}{{end}}"),
            vec![
                LeftDelim, Range, Space, Dot, RightDelim, LeftDelim, End, RightDelim, Eof
            ]
        );
    }

    #[test]
    fn trim_markers_remove_spaces() {
        let items = lex("x \n{{- 3 -}}\n y", LexOptions::default()).items;
        let texts: Vec<&str> = items
            .iter()
            .filter(|i| i.kind == ItemKind::Text)
            .map(|i| i.val)
            .collect();
        assert_eq!(texts, vec!["x", "y"]);
        // "{{-3}}" is a negative number, not a trim marker.
        assert_eq!(lex("{{-3}}", LexOptions::default()).items[1].val, "-3");
    }

    #[test]
    fn errors_carry_lines() {
        let lexed = lex("a\n{{\n\"x", LexOptions::default());
        let last = lexed.items.last().unwrap();
        assert_eq!(
            (
                last.kind,
                lexed.error.as_str(),
                line_at("a\n{{\n\"x", last.pos)
            ),
            (ItemKind::Error, "unterminated quoted string", 3)
        );
        let lexed = lex("{{a#}}", LexOptions::default());
        assert_eq!(lexed.error, "bad character U+0023 '#'");
    }
}
