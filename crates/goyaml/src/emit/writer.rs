//! The emitter: `yaml.v2`'s libyaml-derived state machine, specialised to
//! the events `yaml.Marshal` produces for JSON data (block mappings and
//! sequences, `{}`/`[]` when empty, untagged scalars).
//!
//! The bookkeeping (`column`, `indent`, `whitespace`, `indention`) follows
//! libyaml's so that line breaks, folding at 80 columns and indentation come
//! out exactly as Go prints them.

use serde_json::Value;

use super::{keys, number, resolve};

/// `yaml.v2`'s default `best_indent`.
const BEST_INDENT: i32 = 2;
/// `yaml.v2`'s default `best_width`: plain and quoted scalars fold at spaces past it.
const BEST_WIDTH: usize = 80;

/// Which Go YAML encoder the output must match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `sigs.k8s.io/yaml` → `yaml.v2` (Helm's `toYaml`): sequences that are
    /// mapping values start on the key's column, lines fold at 80 columns,
    /// numbers as they read back from JSON.
    V2,
    /// `yaml.v3` with `SetIndent(2)` on the Go value itself (Helm's
    /// `toYamlPretty`): sequences indented under their key, no line folding,
    /// floats as `strconv.FormatFloat(f, 'g', -1, 64)`.
    V3Pretty,
}
/// Keys longer than this (in bytes) are written as complex keys (`? key`).
const MAX_SIMPLE_KEY_LEN: usize = 128;

/// The scalar styles of the emitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// What the emitter's scalar analysis concludes about a string.
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// libyaml's `is_printable` as `yaml.v2` has it: characters beyond the Basic
/// Multilingual Plane are not printable, so they come out escaped.
fn is_printable(c: char) -> bool {
    matches!(c as u32, 0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD) && c != '\u{FEFF}'
}

/// `yaml_emitter_analyze_scalar`, for the block context (flow indicators do
/// not matter: only empty collections are written in flow style).
/// `yaml.v3` no longer counts a tab as a special character: a tab only rules
/// out the plain and single-quoted styles, so text with tabs and line breaks
/// can still be a literal block.
fn analyze(value: &[char], flavor: Flavor) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut tab_characters = false;
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let starts_with = |s: &str| value.len() >= 3 && value.iter().take(3).copied().eq(s.chars());
    if starts_with("---") || starts_with("...") {
        block_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let n = value.len();
    for (i, &c) in value.iter().enumerate() {
        let followed_by_whitespace = i + 1 >= n || is_blank(value[i + 1]);
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if c == '\t' && flavor == Flavor::V3Pretty {
            tab_characters = true;
        } else if !is_printable(c) {
            special_characters = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i + 1 == n;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= i + 1 == n;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blank(c) || is_break(c) || c == '\0';
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if tab_characters {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// Where a node stands, as the emitter's context flags record it.
#[derive(Clone, Copy, Default)]
struct Context {
    /// The node is a value of a block mapping.
    mapping: bool,
    /// The node is a simple (single-line, `key: value`) mapping key.
    simple_key: bool,
}

/// The emitter state for one document.
pub struct Emitter {
    out: String,
    /// Characters (not bytes) written on the current line.
    column: usize,
    indent: i32,
    indents: Vec<i32>,
    /// The last character written was whitespace (no separator needed).
    whitespace: bool,
    /// Only indentation has been written on the current line.
    indention: bool,
    /// Scratch space for the characters of the scalar being written.
    chars: Vec<char>,
    flavor: Flavor,
    /// Column past which a space may become a line break.
    best_width: usize,
}

impl Emitter {
    /// Emit `value` as one implicit document, as `yaml.Marshal` does.
    pub fn document(value: &Value) -> String {
        Self::document_as(value, Flavor::V2)
    }

    /// Emit `value` as one implicit document in the given encoder's style.
    pub fn document_as(value: &Value, flavor: Flavor) -> String {
        let mut e = Emitter {
            flavor,
            best_width: match flavor {
                Flavor::V2 => BEST_WIDTH,
                Flavor::V3Pretty => usize::MAX,
            },
            out: String::new(),
            column: 0,
            indent: -1,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
            chars: Vec::new(),
        };
        e.node(value, Context::default());
        // DOCUMENT-END (implicit): finish the last line.
        e.write_indent();
        e.out
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// Copy one character of a scalar, a line break resetting the column.
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in indicator.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn node(&mut self, value: &Value, ctx: Context) {
        match value {
            Value::Null => self.scalar("null", Style::Plain, ctx),
            Value::Bool(b) => self.scalar(if *b { "true" } else { "false" }, Style::Plain, ctx),
            Value::Number(n) => {
                let text = match self.flavor {
                    Flavor::V2 => number::yaml_number(n),
                    Flavor::V3Pretty => number::go_value_number(n),
                };
                self.scalar(&text, Style::Plain, ctx)
            }
            Value::String(s) => self.string(s, ctx),
            Value::Array(items) if items.is_empty() => {
                self.write_indicator("[", true, true, false);
                self.write_indicator("]", false, false, false);
            }
            Value::Object(map) if map.is_empty() => {
                self.write_indicator("{", true, true, false);
                self.write_indicator("}", false, false, false);
            }
            Value::Array(items) => {
                // yaml.v2: a sequence that is a mapping value starts on the
                // key's column; yaml.v3 indents it.
                let indentless = self.flavor == Flavor::V2 && ctx.mapping && !self.indention;
                self.increase_indent(false, indentless);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, Context::default());
                }
                self.pop_indent();
            }
            Value::Object(map) => {
                self.increase_indent(false, false);
                let mut names: Vec<&String> = map.keys().collect();
                keys::sort_keys(&mut names, self.flavor);
                for name in names {
                    self.write_indent();
                    let simple = !name.contains(is_break) && name.len() <= MAX_SIMPLE_KEY_LEN;
                    if simple {
                        self.string(
                            name,
                            Context {
                                mapping: true,
                                simple_key: true,
                            },
                        );
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.string(
                            name,
                            Context {
                                mapping: true,
                                simple_key: false,
                            },
                        );
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    if let Some(v) = map.get(name) {
                        self.node(
                            v,
                            Context {
                                mapping: true,
                                simple_key: false,
                            },
                        );
                    }
                }
                self.pop_indent();
            }
        }
    }

    /// `yaml.v2`'s `stringv`: literal for multi-line text, double quotes for
    /// text that would read back as another type, plain otherwise (the
    /// emitter may still downgrade plain to single or double quotes).
    fn string(&mut self, s: &str, ctx: Context) {
        let style = if s.contains('\n') {
            Style::Literal
        } else if resolve::needs_quotes(s) {
            Style::DoubleQuoted
        } else {
            Style::Plain
        };
        self.scalar(s, style, ctx);
    }

    fn scalar(&mut self, text: &str, requested: Style, ctx: Context) {
        // One character buffer for the whole document, not one per scalar.
        let mut value = std::mem::take(&mut self.chars);
        value.clear();
        value.extend(text.chars());
        let analysis = analyze(&value, self.flavor);
        let mut style = requested;
        if ctx.simple_key && analysis.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Plain
            && (!analysis.block_plain_allowed || (value.is_empty() && ctx.simple_key))
        {
            style = Style::SingleQuoted;
        }
        if style == Style::SingleQuoted && !analysis.single_quoted_allowed {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal && (!analysis.block_allowed || ctx.simple_key) {
            style = Style::DoubleQuoted;
        }
        self.increase_indent(true, false);
        let allow_breaks = !ctx.simple_key;
        match style {
            Style::Plain => self.plain(&value, allow_breaks),
            Style::SingleQuoted => self.single_quoted(&value, allow_breaks),
            Style::DoubleQuoted => self.double_quoted(&value, allow_breaks),
            Style::Literal => self.literal(&value),
        }
        self.pop_indent();
        self.chars = value;
    }

    fn plain(&mut self, value: &[char], allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let (mut spaces, mut breaks) = (false, false);
        for (i, &c) in value.iter().enumerate() {
            if c == ' ' {
                let next_is_space = value.get(i + 1) == Some(&' ');
                if allow_breaks && !spaces && self.column > self.best_width && !next_is_space {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn single_quoted(&mut self, value: &[char], allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let (mut spaces, mut breaks) = (false, false);
        let n = value.len();
        for (i, &c) in value.iter().enumerate() {
            if c == ' ' {
                let fold = allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i > 0
                    && i + 1 < n
                    && value[i + 1] != ' ';
                if fold {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn double_quoted(&mut self, value: &[char], allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        // libyaml's is_bom looks at the start of the value, not at position i:
        // a leading BOM makes every character come out escaped.
        let starts_with_bom = value.first() == Some(&'\u{FEFF}');
        let mut spaces = false;
        let n = value.len();
        for (i, &c) in value.iter().enumerate() {
            if !is_printable(c) || starts_with_bom || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{07}' => self.put('a'),
                    '\u{08}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{0B}' => self.put('v'),
                    '\u{0C}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1B}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{A0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    _ => {
                        let v = c as u32;
                        let (prefix, width) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(prefix);
                        for d in format!("{v:0width$X}").chars() {
                            self.put(d);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > self.best_width && i > 0 && i + 1 < n {
                    self.write_indent();
                    if value[i + 1] == ' ' {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn literal(&mut self, value: &[char]) {
        self.write_indicator("|", true, false, false);
        if value.first().is_some_and(|&c| c == ' ' || is_break(c)) {
            self.write_indicator("2", false, false, false);
        }
        let n = value.len();
        let chomp = match value.last() {
            None => Some("-"),
            Some(&last) if !is_break(last) => Some("-"),
            Some(_) if n == 1 => Some("+"),
            Some(_) if is_break(value[n - 2]) => Some("+"),
            Some(_) => None,
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in value {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}
