//! Parse tree nodes, as Go's `text/template/parse/node.go`.
//!
//! Every node knows its byte position in the template text (for
//! `NAME:LINE:COL` in execution errors) and prints itself as Go's
//! `Node.String()` does, which execution errors quote as `<...>`.
//! Trees hold no `Rc`, so parsed templates are `Send + Sync`.

use std::fmt::{self, Display, Write};
use std::sync::Arc;

/// One parsed template: a name, its root list and the text it came from.
#[derive(Debug)]
pub struct Tree {
    /// The template name (a file name or a `define`d name).
    pub name: String,
    /// The name of the top-level template the text was parsed as (error locations use it).
    pub parse_name: Arc<str>,
    /// The top-level list of nodes.
    pub root: ListNode,
    /// The full text the tree was parsed from (shared by every `define` of one parse).
    pub text: Arc<str>,
}

impl Tree {
    /// Go's `ErrorContext` location: `PARSENAME:LINE:COL`, where COL is the
    /// 0-based byte offset of `pos` within its line.
    pub fn location(&self, pos: usize) -> String {
        let (line, col) = self.line_col(pos);
        format!("{}:{}:{}", self.parse_name, line, col)
    }

    /// The 1-based line and 0-based byte column of `pos` in the text.
    pub fn line_col(&self, pos: usize) -> (usize, usize) {
        let pos = pos.min(self.text.len());
        let before = &self.text.as_bytes()[..pos];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let col = match before.iter().rposition(|&b| b == b'\n') {
            Some(nl) => pos - (nl + 1),
            None => pos,
        };
        (line, col)
    }

    /// Whether the tree has no content but spaces and comments (Go's `IsEmptyTree`):
    /// such a tree does not replace an existing template of the same name.
    pub fn is_empty(&self) -> bool {
        self.root.nodes.iter().all(|n| match n {
            Node::Text(t) => t.text.trim_matches([' ', '\t', '\r', '\n']).is_empty(),
            Node::Comment(_) => true,
            _ => false,
        })
    }
}

/// A sequence of nodes.
#[derive(Debug, Clone, Default)]
pub struct ListNode {
    /// Position of the list.
    pub pos: usize,
    /// The nodes, in order.
    pub nodes: Vec<Node>,
}

/// A node of a list: text or an action. The rare large variants are boxed
/// so a list of mostly text and actions stays small (a chart's parse trees
/// are megabytes; every byte saved is a page not touched).
#[derive(Debug, Clone)]
pub enum Node {
    /// Plain text.
    Text(TextNode),
    /// A comment (kept only in comment-preserving mode).
    Comment(CommentNode),
    /// `{{pipeline}}`.
    Action(ActionNode),
    /// `{{if}}`.
    If(Box<BranchNode>),
    /// `{{range}}`.
    Range(Box<BranchNode>),
    /// `{{with}}`.
    With(Box<BranchNode>),
    /// `{{template "name" pipeline}}` (also what `{{block}}` leaves in place).
    Template(Box<TemplateNode>),
    /// `{{break}}`.
    Break(usize),
    /// `{{continue}}`.
    Continue(usize),
}

impl Node {
    /// Byte position of the node.
    pub fn pos(&self) -> usize {
        match self {
            Node::Text(n) => n.pos,
            Node::Comment(n) => n.pos,
            Node::Action(n) => n.pos,
            Node::If(n) | Node::Range(n) | Node::With(n) => n.pos,
            Node::Template(n) => n.pos,
            Node::Break(p) | Node::Continue(p) => *p,
        }
    }
}

/// Plain text.
#[derive(Debug, Clone)]
pub struct TextNode {
    /// Position.
    pub pos: usize,
    /// The text.
    pub text: SharedText,
}

/// A range of a template's text, sharing the text rather than copying it:
/// the text outside actions is most of a template, and a reference count
/// is cheaper than an allocation and a copy per text node (and a free when
/// the tree goes).
#[derive(Clone)]
pub struct SharedText {
    text: Arc<str>,
    start: usize,
    end: usize,
}

impl SharedText {
    /// The bytes `range` of `text`, which must fall on character boundaries.
    pub fn new(text: &Arc<str>, range: std::ops::Range<usize>) -> Self {
        assert!(text.get(range.clone()).is_some(), "not a range of the text");
        SharedText {
            text: text.clone(),
            start: range.start,
            end: range.end,
        }
    }
}

impl std::ops::Deref for SharedText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text[self.start..self.end]
    }
}

impl fmt::Debug for SharedText {
    /// As the text itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A comment, including its `/* */`.
#[derive(Debug, Clone)]
pub struct CommentNode {
    /// Position.
    pub pos: usize,
    /// The comment text.
    pub text: Box<str>,
}

/// An action: a pipeline whose value is printed unless it declares variables.
#[derive(Debug, Clone)]
pub struct ActionNode {
    /// Position.
    pub pos: usize,
    /// The pipeline.
    pub pipe: PipeNode,
}

/// `if`, `range` or `with`: a pipeline, a list and an optional else list.
#[derive(Debug, Clone)]
pub struct BranchNode {
    /// Position.
    pub pos: usize,
    /// The controlling pipeline.
    pub pipe: PipeNode,
    /// What runs when the pipeline is true (or per element).
    pub list: ListNode,
    /// What runs otherwise.
    pub else_list: Option<ListNode>,
}

/// `{{template "name" pipeline}}`.
#[derive(Debug, Clone)]
pub struct TemplateNode {
    /// Position.
    pub pos: usize,
    /// The invoked template's name.
    pub name: String,
    /// The value of dot for it, if any.
    pub pipe: Option<PipeNode>,
}

/// A pipeline with optional variable declarations: `$x, $y := cmd | cmd`.
#[derive(Debug, Clone)]
pub struct PipeNode {
    /// Position.
    pub pos: usize,
    /// `=` rather than `:=`.
    pub is_assign: bool,
    /// Declared or assigned variables.
    pub decl: Vec<VariableNode>,
    /// The commands, in pipeline order.
    pub cmds: Vec<CommandNode>,
}

/// A command: an operand followed by arguments.
#[derive(Debug, Clone)]
pub struct CommandNode {
    /// Position.
    pub pos: usize,
    /// The operands; the first is the function, field or value.
    pub args: Vec<Arg>,
}

/// An operand of a command.
#[derive(Debug, Clone)]
pub enum Arg {
    /// A function name.
    Identifier(usize, Box<str>),
    /// `.`.
    Dot(usize),
    /// `nil`.
    Nil(usize),
    /// `true` or `false`.
    Bool(usize, bool),
    /// A number constant (boxed: it is the largest operand and rare).
    Number(Box<NumberNode>),
    /// A string constant.
    String(StringNode),
    /// `.A.B`.
    Field(FieldNode),
    /// `$x.A`.
    Variable(VariableNode),
    /// `(pipe).A` and other terms followed by fields.
    Chain(ChainNode),
    /// `(pipe)`.
    Pipe(Box<PipeNode>),
}

impl Arg {
    /// Byte position of the operand.
    pub fn pos(&self) -> usize {
        match self {
            Arg::Identifier(p, _) | Arg::Dot(p) | Arg::Nil(p) | Arg::Bool(p, _) => *p,
            Arg::Number(n) => n.pos,
            Arg::String(n) => n.pos,
            Arg::Field(n) => n.pos,
            Arg::Variable(n) => n.pos,
            Arg::Chain(n) => n.pos,
            Arg::Pipe(n) => n.pos,
        }
    }
}

/// A chain of names (`Values.image.tag`, `$x.A`) held as one dotted
/// string: one allocation per chain instead of one per name (names never
/// contain a dot).
#[derive(Debug, Clone)]
pub struct Idents(Box<str>);

impl Idents {
    /// A chain of one name.
    pub fn new(first: &str) -> Self {
        debug_assert!(!first.contains('.'), "a name with a dot: {first}");
        Self::dotted(first)
    }

    /// The chain written `a.b.c`. The parser takes a chain whole from the
    /// template text (its field items are adjacent there), so building it
    /// is one allocation of its exact length, with no joining or regrowth.
    pub fn dotted(names: &str) -> Self {
        debug_assert!(
            !names.is_empty() && names.split('.').all(|n| !n.is_empty()),
            "not a chain of names: {names:?}"
        );
        Idents(names.into())
    }

    /// The names, in order.
    pub fn iter(&self) -> std::str::Split<'_, char> {
        self.0.split('.')
    }

    /// The first name.
    pub fn first(&self) -> &str {
        self.0.split('.').next().unwrap_or_default()
    }

    /// Whether the chain is a single name.
    pub fn is_single(&self) -> bool {
        !self.0.contains('.')
    }
}

/// `.A.B.C`.
#[derive(Debug, Clone)]
pub struct FieldNode {
    /// Position.
    pub pos: usize,
    /// The field names.
    pub ident: Idents,
}

/// `$x` or `$x.A.B`.
#[derive(Debug, Clone)]
pub struct VariableNode {
    /// Position.
    pub pos: usize,
    /// The variable name (with `$`) followed by field names.
    pub ident: Idents,
}

/// A term followed by fields: `(pipe).A.B`.
#[derive(Debug, Clone)]
pub struct ChainNode {
    /// Position.
    pub pos: usize,
    /// The term.
    pub node: Box<Arg>,
    /// The field names.
    pub field: Idents,
}

/// A number constant, with every interpretation Go's parser derives.
#[derive(Debug, Clone)]
pub struct NumberNode {
    /// Position.
    pub pos: usize,
    /// The number as written.
    pub text: Box<str>,
    /// Representable as an int64.
    pub is_int: bool,
    /// Representable as a uint64.
    pub is_uint: bool,
    /// Representable as a float64.
    pub is_float: bool,
    /// An imaginary or complex constant.
    pub is_complex: bool,
    /// The int64 value.
    pub int64: i64,
    /// The uint64 value.
    pub uint64: u64,
    /// The float64 value.
    pub float64: f64,
}

/// A string constant.
#[derive(Debug, Clone)]
pub struct StringNode {
    /// Position.
    pub pos: usize,
    /// The string as written, with quotes.
    pub quoted: Box<str>,
    /// The unquoted value when it is not simply the text between the
    /// quotes (escapes, or a raw string's carriage returns). Most constants
    /// have none, so they cost one allocation instead of two.
    unquoted: Option<Box<str>>,
}

impl StringNode {
    /// The constant written `quoted`, whose value is `text`.
    pub fn new(pos: usize, quoted: &str, text: &str) -> Self {
        let inner = quoted.get(1..quoted.len().saturating_sub(1));
        StringNode {
            pos,
            quoted: quoted.into(),
            unquoted: (inner != Some(text)).then(|| text.into()),
        }
    }

    /// The unquoted value.
    pub fn text(&self) -> &str {
        match &self.unquoted {
            Some(t) => t,
            None => &self.quoted[1..self.quoted.len() - 1],
        }
    }
}

/// How text nodes print: raw (Go's `String()`), or quoted as Go's parse tests print them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TextStyle {
    /// The text as is.
    Raw,
    /// `%q` of the text.
    Quoted,
}

/// Write a list as Go's `ListNode.String()`.
pub fn write_list(out: &mut String, list: &ListNode, style: TextStyle) {
    for n in &list.nodes {
        write_node(out, n, style);
    }
}

fn write_node(out: &mut String, node: &Node, style: TextStyle) {
    match node {
        Node::Text(t) => match style {
            TextStyle::Raw => out.push_str(&t.text),
            TextStyle::Quoted => out.push_str(&gostd::strconv::quote(&t.text)),
        },
        Node::Comment(c) => {
            out.push_str("{{");
            out.push_str(&c.text);
            out.push_str("}}");
        }
        Node::Action(a) => {
            let _ = write!(out, "{{{{{}}}}}", a.pipe);
        }
        Node::If(b) => write_branch(out, "if", b, style),
        Node::Range(b) => write_branch(out, "range", b, style),
        Node::With(b) => write_branch(out, "with", b, style),
        Node::Template(t) => {
            out.push_str("{{template ");
            out.push_str(&gostd::strconv::quote(&t.name));
            if let Some(p) = &t.pipe {
                let _ = write!(out, " {p}");
            }
            out.push_str("}}");
        }
        Node::Break(_) => out.push_str("{{break}}"),
        Node::Continue(_) => out.push_str("{{continue}}"),
    }
}

fn write_branch(out: &mut String, name: &str, b: &BranchNode, style: TextStyle) {
    let _ = write!(out, "{{{{{name} {}}}}}", b.pipe);
    write_list(out, &b.list, style);
    if let Some(e) = &b.else_list {
        out.push_str("{{else}}");
        write_list(out, e, style);
    }
    out.push_str("{{end}}");
}

impl Display for ListNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        write_list(&mut s, self, TextStyle::Raw);
        f.write_str(&s)
    }
}

impl Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        write_node(&mut s, self, TextStyle::Raw);
        f.write_str(&s)
    }
}

impl Display for PipeNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{v}")?;
            }
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl Display for CommandNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match a {
                Arg::Pipe(p) => write!(f, "({p})")?,
                a => write!(f, "{a}")?,
            }
        }
        Ok(())
    }
}

impl Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Identifier(_, name) => f.write_str(name),
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Number(n) => f.write_str(&n.text),
            Arg::String(s) => f.write_str(&s.quoted),
            Arg::Field(n) => write!(f, "{n}"),
            Arg::Variable(n) => write!(f, "{n}"),
            Arg::Chain(n) => write!(f, "{n}"),
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

impl Display for FieldNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for id in self.ident.iter() {
            write!(f, ".{id}")?;
        }
        Ok(())
    }
}

impl Display for VariableNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, id) in self.ident.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(id)?;
        }
        Ok(())
    }
}

impl Display for ChainNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.node {
            Arg::Pipe(p) => write!(f, "({p})")?,
            n => write!(f, "{n}")?,
        }
        for id in self.field.iter() {
            write!(f, ".{id}")?;
        }
        Ok(())
    }
}
