//! The parser: items → trees, as Go's `text/template/parse/parse.go`.
//!
//! One parse yields the template named by the caller plus one tree per
//! `{{define}}`/`{{block}}`. Function names are checked at parse time, as in
//! Go (`function "x" not defined`). Errors are [`ParseError`]s worded as Go
//! words them: `template: NAME:LINE: message`.

use crate::NameMap;
use gostd::strconv;
use std::sync::Arc;

use crate::lexer::{Item, ItemKind, LexOptions, lex, line_at};
use crate::tree::{
    ActionNode, Arg, BranchNode, ChainNode, CommandNode, FieldNode, Idents, ListNode, Node,
    NumberNode, PipeNode, SharedText, StringNode, TemplateNode, TextNode, Tree, VariableNode,
};

/// A template that failed to parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The name the text was parsed as.
    pub name: String,
    /// 1-based line of the error.
    pub line: usize,
    /// What went wrong, as Go words it.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "template: {}:{}: {}", self.name, self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parser settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Keep comments as nodes (Go's `ParseComments`).
    pub keep_comments: bool,
    /// Maximum nesting of parenthesized pipelines (Go's `maxStackDepth`,
    /// 10000 in Go; 1000 here so that even dropping such a tree stays well
    /// within a thread's stack); beyond it parsing fails with
    /// `max expression depth exceeded`.
    pub max_depth: usize,
    /// Maximum nesting of `if`/`range`/`with` (Go has no limit); beyond it
    /// parsing fails with `max nesting depth exceeded` instead of exhausting
    /// the stack on hostile input.
    pub max_nesting: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            keep_comments: false,
            max_depth: 1000,
            max_nesting: 1000,
        }
    }
}

/// Parse `text` as template `name`. `has_function` says whether a function
/// name is defined. Returns the trees in definition order: the defines, then
/// the template itself.
pub fn parse(
    name: &str,
    text: &str,
    has_function: &dyn Fn(&str) -> bool,
    options: ParseOptions,
) -> Result<Vec<Tree>, ParseError> {
    let lex_options = LexOptions {
        emit_comments: options.keep_comments,
        break_ok: !has_function("break"),
        continue_ok: !has_function("continue"),
    };
    let lexed = lex(text, lex_options);
    let mut p = Parser {
        items: lexed.items,
        src: text,
        lex_error: lexed.error,
        next: 0,
        furthest: 0,
        parse_name: Arc::from(name),
        text: Arc::from(text),
        has_function,
        vars: vec!["$"],
        range_depth: 0,
        action_pos: None,
        depth: 0,
        max_depth: options.max_depth,
        nesting: 0,
        max_nesting: options.max_nesting,
        trees: Vec::new(),
        index: NameMap::default(),
        stacks: Stacks::default(),
    };
    let parsed = p.parse_top().and_then(|root| p.add(name.to_string(), root));
    // The items vector serves the next parse on this thread.
    crate::lexer::give_back_items(std::mem::take(&mut p.items));
    parsed?;
    Ok(p.trees)
}

struct Parser<'a, 'f> {
    items: Vec<Item<'a>>,
    /// The text the items borrow from.
    src: &'a str,
    lex_error: String,
    next: usize,
    furthest: usize,
    parse_name: Arc<str>,
    text: Arc<str>,
    has_function: &'f dyn Fn(&str) -> bool,
    vars: Vec<&'a str>,
    range_depth: usize,
    /// Where the action being parsed starts (its `{{`).
    action_pos: Option<usize>,
    depth: usize,
    max_depth: usize,
    nesting: usize,
    max_nesting: usize,
    trees: Vec<Tree>,
    index: NameMap<String, usize>,
    stacks: Stacks,
}

/// Where the parser gathers the nodes of a list, the commands of a
/// pipeline and the operands of a command while it reads them. Each
/// construct takes its own entries off the top when it is complete (nested
/// ones complete first), so those vectors are allocated once, at their
/// exact length: trees live as long as their set, and spare capacity would
/// be pages touched for nothing. (Variable declarations, one or two per
/// pipeline at most, are pushed directly.)
#[derive(Default)]
struct Stacks {
    nodes: Vec<Node>,
    cmds: Vec<CommandNode>,
    args: Vec<Arg>,
}

impl Stacks {
    /// The list of the nodes gathered since `base`. (`split_off` moves the
    /// top entries into an exact-size vector with one copy; draining them
    /// into a collect moved them one at a time.)
    fn list(&mut self, pos: usize, base: usize) -> ListNode {
        ListNode {
            pos,
            nodes: self.nodes.split_off(base),
        }
    }
}

/// What ends a list: `{{end}}` or `{{else}}` (with its position).
enum ListEnd {
    End,
    Else(usize),
}

type PResult<T> = Result<T, ParseError>;

impl<'a> Parser<'a, '_> {
    // ---- token access (Go's next/backup/peek with three-token look-ahead) ----

    fn item(&mut self, i: usize) -> Item<'a> {
        let i = i.min(self.items.len() - 1);
        self.furthest = self.furthest.max(i);
        self.items[i]
    }

    fn next(&mut self) -> Item<'a> {
        let it = self.item(self.next);
        self.next += 1;
        it
    }

    fn backup(&mut self) {
        self.next -= 1;
    }

    fn peek(&mut self) -> Item<'a> {
        self.item(self.next)
    }

    fn next_non_space(&mut self) -> Item<'a> {
        loop {
            let it = self.next();
            if it.kind != ItemKind::Space {
                return it;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item<'a> {
        let it = self.next_non_space();
        self.backup();
        it
    }

    // ---- errors ----

    fn errorf<T>(&mut self, message: String) -> PResult<T> {
        let pos = self.items[self.furthest.min(self.items.len() - 1)].pos;
        let line = line_at(&self.text, pos);
        Err(ParseError {
            name: self.parse_name.to_string(),
            line,
            message,
        })
    }

    fn item_text(&self, it: &Item<'_>) -> String {
        if it.kind == ItemKind::Error {
            self.lex_error.clone()
        } else {
            it.to_string()
        }
    }

    fn unexpected<T>(&mut self, it: Item<'a>, context: &str) -> PResult<T> {
        if it.kind == ItemKind::Error {
            let mut extra = String::new();
            let action_line = self.action_pos.map(|pos| line_at(&self.text, pos));
            if let Some(action_line) = action_line
                && action_line != line_at(&self.text, it.pos)
            {
                extra = format!(" in action started at {}:{action_line}", self.parse_name);
                if self.lex_error.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            let msg = format!("{}{}", self.lex_error, extra);
            return self.errorf(msg);
        }
        let msg = format!("unexpected {} in {}", self.item_text(&it), context);
        self.errorf(msg)
    }

    fn expect(&mut self, kind: ItemKind, context: &str) -> PResult<Item<'a>> {
        let it = self.next_non_space();
        if it.kind != kind {
            return self.unexpected(it, context);
        }
        Ok(it)
    }

    // ---- structure ----

    fn add(&mut self, name: String, root: ListNode) -> PResult<()> {
        let tree = Tree {
            name: name.clone(),
            parse_name: self.parse_name.clone(),
            root,
            text: self.text.clone(),
        };
        match self.index.get(&name) {
            None => {
                self.index.insert(name, self.trees.len());
                self.trees.push(tree);
            }
            Some(&i) if self.trees[i].is_empty() => self.trees[i] = tree,
            Some(_) if tree.is_empty() => {}
            Some(_) => {
                return self.errorf(format!(
                    "template: multiple definition of template {}",
                    gostd::strconv::quote(&name)
                ));
            }
        }
        Ok(())
    }

    fn parse_top(&mut self) -> PResult<ListNode> {
        let pos = self.peek().pos;
        let base = self.stacks.nodes.len();
        while self.peek().kind != ItemKind::Eof {
            if self.peek().kind == ItemKind::LeftDelim {
                let delim_index = self.next;
                self.next();
                if self.next_non_space().kind == ItemKind::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.next = delim_index;
            }
            match self.text_or_action()? {
                Parsed::Node(n) => self.stacks.nodes.push(n),
                Parsed::End => return self.errorf("unexpected {{end}}".to_string()),
                Parsed::Else(_) => return self.errorf("unexpected {{else}}".to_string()),
            }
        }
        Ok(self.stacks.list(pos, base))
    }

    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let name_item = self.next_non_space();
        if !matches!(name_item.kind, ItemKind::String | ItemKind::RawString) {
            return self.unexpected(name_item, CONTEXT);
        }
        let name = self.unquote(name_item.val)?;
        self.expect(ItemKind::RightDelim, CONTEXT)?;
        // A definition starts with a fresh variable scope.
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$"]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_range;
        if let ListEnd::Else(_) = end {
            return self.errorf(format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        self.add(name, list)
    }

    fn item_list(&mut self) -> PResult<(ListNode, ListEnd)> {
        let pos = self.peek_non_space().pos;
        let base = self.stacks.nodes.len();
        while self.peek_non_space().kind != ItemKind::Eof {
            match self.text_or_action()? {
                Parsed::Node(n) => self.stacks.nodes.push(n),
                Parsed::End => return Ok((self.stacks.list(pos, base), ListEnd::End)),
                Parsed::Else(p) => return Ok((self.stacks.list(pos, base), ListEnd::Else(p))),
            }
        }
        self.errorf("unexpected EOF".to_string())
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let it = self.next_non_space();
        match it.kind {
            ItemKind::Text => Ok(Parsed::Node(Node::Text(TextNode {
                pos: it.pos,
                text: SharedText::new(&self.text, it.pos..it.pos + it.val.len()),
            }))),
            ItemKind::LeftDelim => {
                self.action_pos = Some(it.pos);
                let r = self.action();
                self.action_pos = None;
                r
            }
            ItemKind::Comment => Ok(Parsed::Node(Node::Comment(crate::tree::CommentNode {
                pos: it.pos,
                text: it.val.into(),
            }))),
            _ => self.unexpected(it, "input"),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let it = self.next_non_space();
        match it.kind {
            ItemKind::Block => return self.block_control().map(Parsed::Node),
            ItemKind::Break | ItemKind::Continue => {
                let is_break = it.kind == ItemKind::Break;
                let word = if is_break {
                    "{{break}}"
                } else {
                    "{{continue}}"
                };
                let t = self.next_non_space();
                if t.kind != ItemKind::RightDelim {
                    return self.unexpected(t, word);
                }
                if self.range_depth == 0 {
                    return self.errorf(format!("{word} outside {{{{range}}}}"));
                }
                return Ok(Parsed::Node(if is_break {
                    Node::Break(it.pos)
                } else {
                    Node::Continue(it.pos)
                }));
            }
            ItemKind::Else => return self.else_control(),
            ItemKind::End => {
                let t = self.expect(ItemKind::RightDelim, "end")?;
                let _ = t;
                return Ok(Parsed::End);
            }
            ItemKind::If => {
                return self
                    .branch_control("if")
                    .map(|b| Parsed::Node(Node::If(Box::new(b))));
            }
            ItemKind::Range => {
                return self
                    .branch_control("range")
                    .map(|b| Parsed::Node(Node::Range(Box::new(b))));
            }
            ItemKind::With => {
                return self
                    .branch_control("with")
                    .map(|b| Parsed::Node(Node::With(Box::new(b))));
            }
            ItemKind::Template => return self.template_control().map(Parsed::Node),
            _ => {}
        }
        self.backup();
        let it = self.peek();
        let pipe = self.pipeline("command", ItemKind::RightDelim)?;
        Ok(Parsed::Node(Node::Action(ActionNode { pos: it.pos, pipe })))
    }

    fn else_control(&mut self) -> PResult<Parsed> {
        let peek = self.peek_non_space();
        // "{{else if" and "{{else with" leave the keyword pending for the caller.
        if matches!(peek.kind, ItemKind::If | ItemKind::With) {
            return Ok(Parsed::Else(peek.pos));
        }
        let t = self.expect(ItemKind::RightDelim, "else")?;
        Ok(Parsed::Else(t.pos))
    }

    fn branch_control(&mut self, context: &'static str) -> PResult<BranchNode> {
        if self.nesting >= self.max_nesting {
            return self.errorf("max nesting depth exceeded".to_string());
        }
        self.nesting += 1;
        let mark = self.vars.len();
        let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            self.branch_control_inner(context)
        });
        self.vars.truncate(mark);
        self.nesting -= 1;
        r
    }

    fn branch_control_inner(&mut self, context: &'static str) -> PResult<BranchNode> {
        let pipe = self.pipeline(context, ItemKind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let listed = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, end) = listed?;
        let mut else_list = None;
        if let ListEnd::Else(else_pos) = end {
            let peek = self.peek().kind;
            if context == "if" && peek == ItemKind::If {
                self.next();
                let inner = self.branch_control("if")?;
                else_list = Some(ListNode {
                    pos: else_pos,
                    nodes: vec![Node::If(Box::new(inner))],
                });
            } else if context == "with" && peek == ItemKind::With {
                self.next();
                let inner = self.branch_control("with")?;
                else_list = Some(ListNode {
                    pos: else_pos,
                    nodes: vec![Node::With(Box::new(inner))],
                });
            } else {
                let (l, end) = self.item_list()?;
                if let ListEnd::Else(_) = end {
                    return self.errorf("expected end; found {{else}}".to_string());
                }
                else_list = Some(l);
            }
        }
        Ok(BranchNode {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    fn block_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        let it = self.next_non_space();
        let name = self.template_name(it, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, ItemKind::RightDelim)?;
        // Go parses the block body with a separate tree; an error it reports
        // afterwards carries the line of the block's own `}}`.
        let block_action_end = self.furthest;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$"]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let listed = self.item_list();
        self.vars = saved_vars;
        self.range_depth = saved_range;
        let (list, end) = listed?;
        if let ListEnd::Else(_) = end {
            self.furthest = block_action_end;
            return self.errorf(format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        self.add(name.clone(), list)?;
        Ok(Node::Template(Box::new(TemplateNode {
            pos: it.pos,
            name,
            pipe: Some(pipe),
        })))
    }

    fn template_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let it = self.next_non_space();
        let name = self.template_name(it, CONTEXT)?;
        let mut pipe = None;
        if self.next_non_space().kind != ItemKind::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(CONTEXT, ItemKind::RightDelim)?);
        }
        Ok(Node::Template(Box::new(TemplateNode {
            pos: it.pos,
            name,
            pipe,
        })))
    }

    fn template_name(&mut self, it: Item<'a>, context: &str) -> PResult<String> {
        match it.kind {
            ItemKind::String | ItemKind::RawString => self.unquote(it.val),
            _ => self.unexpected(it, context),
        }
    }

    fn pipeline(&mut self, context: &str, end: ItemKind) -> PResult<PipeNode> {
        let start = self.peek_non_space();
        let mut pipe = PipeNode {
            pos: start.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        let cmds_base = self.stacks.cmds.len();
        // Declarations or assignments.
        loop {
            let v = self.peek_non_space();
            if v.kind != ItemKind::Variable {
                break;
            }
            // Skip spaces up to the variable.
            let before_var = self.next;
            self.next_non_space();
            let after_var = self.next;
            let token_after = self.peek();
            let nxt = self.peek_non_space();
            match nxt.kind {
                ItemKind::Assign | ItemKind::Declare => {
                    pipe.is_assign = nxt.kind == ItemKind::Assign;
                    self.next_non_space();
                    pipe.decl.push(VariableNode {
                        pos: v.pos,
                        ident: Idents::new(v.val),
                    });
                    self.vars.push(v.val);
                }
                ItemKind::Char if nxt.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(VariableNode {
                        pos: v.pos,
                        ident: Idents::new(v.val),
                    });
                    self.vars.push(v.val);
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().kind {
                            ItemKind::Variable | ItemKind::RightDelim | ItemKind::RightParen => {
                                continue;
                            }
                            _ => {
                                return self
                                    .errorf("range can only initialize variables".to_string());
                            }
                        }
                    }
                    return self.errorf(format!("too many declarations in {context}"));
                }
                _ if token_after.kind == ItemKind::Space => {
                    let _ = after_var;
                    self.next = before_var;
                }
                _ => {
                    self.next = before_var;
                }
            }
            break;
        }
        loop {
            let it = self.next_non_space();
            match it.kind {
                k if k == end => {
                    pipe.cmds = self.stacks.cmds.split_off(cmds_base);
                    self.check_pipeline(&pipe, context)?;
                    return Ok(pipe);
                }
                ItemKind::Bool
                | ItemKind::CharConstant
                | ItemKind::Complex
                | ItemKind::Dot
                | ItemKind::Field
                | ItemKind::Identifier
                | ItemKind::Number
                | ItemKind::Nil
                | ItemKind::RawString
                | ItemKind::String
                | ItemKind::Variable
                | ItemKind::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    self.stacks.cmds.push(cmd);
                }
                _ => return self.unexpected(it, context),
            }
        }
    }

    fn check_pipeline(&mut self, pipe: &PipeNode, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.errorf(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args[0],
                Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number(_) | Arg::String(_)
            ) {
                return self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                ));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<CommandNode> {
        let pos = self.peek_non_space().pos;
        let base = self.stacks.args.len();
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                self.stacks.args.push(operand);
            }
            let it = self.next();
            match it.kind {
                ItemKind::Space => continue,
                ItemKind::RightDelim | ItemKind::RightParen => self.backup(),
                ItemKind::Pipe => {}
                _ => return self.unexpected(it, "operand"),
            }
            break;
        }
        if self.stacks.args.len() == base {
            return self.errorf("empty command".to_string());
        }
        Ok(CommandNode {
            pos,
            args: self.stacks.args.split_off(base),
        })
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        // Fields and variables took the fields after them in `term`.
        let Some((chain_pos, end)) = self.field_run() else {
            return Ok(Some(node));
        };
        Ok(Some(match node {
            Arg::Bool(..) | Arg::String(_) | Arg::Number(_) | Arg::Nil(_) | Arg::Dot(_) => {
                let term = gostd::strconv::quote(&node.to_string());
                return self.errorf(format!("unexpected . after term {term}"));
            }
            other => Arg::Chain(ChainNode {
                pos: chain_pos,
                node: Box::new(other),
                field: Idents::dotted(&self.src[chain_pos + 1..end]),
            }),
        }))
    }

    /// Consume the field items that follow a term (`.a.b`): the position
    /// of the first and the end of the last in the text, if any follow.
    /// Field items are adjacent in the text, so a chain is one slice of it.
    fn field_run(&mut self) -> Option<(usize, usize)> {
        let first = self.peek();
        if first.kind != ItemKind::Field {
            return None;
        }
        let mut end = first.pos;
        while self.peek().kind == ItemKind::Field {
            let f = self.next();
            end = f.pos + f.val.len();
        }
        Some((first.pos, end))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let it = self.next_non_space();
        Ok(Some(match it.kind {
            ItemKind::Identifier => {
                if !(self.has_function)(it.val) && !crate::builtins::is_builtin(it.val) {
                    return self.errorf(format!(
                        "function {} not defined",
                        gostd::strconv::quote(it.val)
                    ));
                }
                Arg::Identifier(it.pos, it.val.into())
            }
            ItemKind::Dot => Arg::Dot(it.pos),
            ItemKind::Nil => Arg::Nil(it.pos),
            ItemKind::Variable => {
                if !self.vars.contains(&it.val) {
                    return self.errorf(format!(
                        "undefined variable {}",
                        gostd::strconv::quote(it.val)
                    ));
                }
                // Go puts the fields that follow on the variable, at the
                // position of the first of them.
                let (pos, end) = self.field_run().unwrap_or((it.pos, it.pos + it.val.len()));
                Arg::Variable(VariableNode {
                    pos,
                    ident: Idents::dotted(&self.src[it.pos..end]),
                })
            }
            ItemKind::Field => {
                let (pos, end) = self.field_run().unwrap_or((it.pos, it.pos + it.val.len()));
                Arg::Field(FieldNode {
                    pos,
                    ident: Idents::dotted(&self.src[it.pos + 1..end]),
                })
            }
            ItemKind::Bool => Arg::Bool(it.pos, it.val == "true"),
            ItemKind::CharConstant | ItemKind::Complex | ItemKind::Number => {
                match number(it.pos, it.val, it.kind) {
                    Ok(n) => Arg::Number(Box::new(n)),
                    Err(e) => return self.errorf(e),
                }
            }
            ItemKind::LeftParen => {
                if self.depth >= self.max_depth {
                    return self.errorf("max expression depth exceeded".to_string());
                }
                self.depth += 1;
                let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    self.pipeline("parenthesized pipeline", ItemKind::RightParen)
                });
                self.depth -= 1;
                Arg::Pipe(Box::new(r?))
            }
            ItemKind::String | ItemKind::RawString => {
                let Some(text) = strconv::unquote_cow(it.val) else {
                    return self.errorf("invalid syntax".to_string());
                };
                Arg::String(StringNode::new(it.pos, it.val, &text))
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }

    fn unquote(&mut self, quoted: &str) -> PResult<String> {
        match strconv::unquote(quoted) {
            Some(s) => Ok(s),
            None => self.errorf("invalid syntax".to_string()),
        }
    }
}

/// What `text_or_action` found.
enum Parsed {
    Node(Node),
    End,
    Else(usize),
}

/// Build a number node from its text, as Go's `newNumber`.
fn number(pos: usize, text: &str, kind: ItemKind) -> Result<NumberNode, String> {
    let mut n = NumberNode {
        pos,
        text: text.into(),
        is_int: false,
        is_uint: false,
        is_float: false,
        is_complex: false,
        int64: 0,
        uint64: 0,
        float64: 0.0,
    };
    match kind {
        ItemKind::CharConstant => {
            let s = strconv::unquote(text)
                .filter(|s| s.chars().count() == 1)
                .ok_or_else(|| format!("malformed character constant: {text}"))?;
            let r = s.chars().next().map_or(0, |c| c as u32);
            n.is_int = true;
            n.int64 = i64::from(r);
            n.is_uint = true;
            n.uint64 = u64::from(r);
            n.is_float = true;
            n.float64 = f64::from(r);
            return Ok(n);
        }
        ItemKind::Complex => {
            n.is_complex = true;
            return Ok(n);
        }
        _ => {}
    }
    // Most numbers in templates are small decimals ("2", "63"): without a
    // sign, prefix, leading zero or underscore they are an int, a uint and
    // a float at once, and 19 digits cannot overflow. (The general path
    // parses them twice through a cleaned copy.)
    if (1..=19).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text.len() == 1 || !text.starts_with('0'))
    {
        let v = text.bytes().fold(0u64, |v, b| v * 10 + u64::from(b - b'0'));
        if let Ok(i) = i64::try_from(v) {
            n.is_int = true;
            n.int64 = i;
            n.is_uint = true;
            n.uint64 = v;
            n.is_float = true;
            n.float64 = i as f64;
            return Ok(n);
        }
    }
    if let Some(im) = text.strip_suffix('i')
        && strconv::parse_float(im).is_ok()
    {
        n.is_complex = true;
        return Ok(n);
    }
    if let Ok(u) = strconv::parse_uint(text, 0) {
        n.is_uint = true;
        n.uint64 = u;
    }
    if let Ok(i) = strconv::parse_int(text, 0) {
        n.is_int = true;
        n.int64 = i;
        if i == 0 {
            n.is_uint = true;
            n.uint64 = 0;
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float64 = n.int64 as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float64 = n.uint64 as f64;
    } else if let Ok(f) = strconv::parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {text}"));
        }
        n.is_float = true;
        n.float64 = f;
        if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
            n.is_int = true;
            n.int64 = f as i64;
        }
        if f.fract() == 0.0 && f >= 0.0 && f < u64::MAX as f64 {
            n.is_uint = true;
            n.uint64 = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!(
            "illegal number syntax: {}",
            gostd::strconv::quote(text)
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{TextStyle, write_list};

    fn tree_string(text: &str) -> Result<String, ParseError> {
        let trees = parse("t", text, &|_| false, ParseOptions::default())?;
        let mut s = String::new();
        write_list(&mut s, &trees.last().unwrap().root, TextStyle::Quoted);
        Ok(s)
    }

    /// The items vector goes back to the thread's buffer only after the
    /// last error that reads item positions: a template that redefines
    /// itself is reported (with its line), and the next parse on the
    /// thread, reusing the vector, is unaffected.
    #[test]
    fn a_redefinition_of_the_template_itself_is_an_error_and_the_buffer_survives() {
        let err = tree_string("{{define \"t\"}}a{{end}}\nb").unwrap_err();
        assert!(
            err.message
                .contains("multiple definition of template \"t\""),
            "{}",
            err.message
        );
        assert_eq!(err.line, 2);
        assert_eq!(tree_string("x{{.A}}y").unwrap(), "\"x\"{{.A}}\"y\"");
        assert_eq!(tree_string("").unwrap(), "");
    }

    #[test]
    fn parses_and_prints_go_tree_strings() {
        assert_eq!(tree_string("{{.X|.Y}}").unwrap(), "{{.X | .Y}}");
        assert_eq!(
            tree_string("{{if .X}}a{{else if .Y}}b{{end}}").unwrap(),
            "{{if .X}}\"a\"{{else}}{{if .Y}}\"b\"{{end}}{{end}}"
        );
        assert_eq!(
            tree_string("{{range $i, $v := .L}}{{$v}}{{end}}").unwrap(),
            "{{range $i, $v := .L}}{{$v}}{{end}}"
        );
        assert_eq!(
            tree_string("{{(.Y .Z).Field}}").unwrap(),
            "{{(.Y .Z).Field}}"
        );
    }

    #[test]
    fn reports_go_errors_with_lines() {
        assert_eq!(
            tree_string("a\n{{foo}}").unwrap_err().to_string(),
            "template: t:2: function \"foo\" not defined"
        );
        assert_eq!(
            tree_string("{{$x}}").unwrap_err().message,
            "undefined variable \"$x\""
        );
        assert_eq!(
            tree_string("{{range .}}").unwrap_err().message,
            "unexpected EOF"
        );
        assert_eq!(
            tree_string("{{end}}").unwrap_err().message,
            "unexpected {{end}}"
        );
    }

    #[test]
    fn numbers_follow_go_syntax() {
        let n = number(0, "0x1F", ItemKind::Number).unwrap();
        assert!(n.is_int && n.int64 == 31);
        let n = number(0, "1_000", ItemKind::Number).unwrap();
        assert_eq!(n.int64, 1000);
        let n = number(0, "1e3", ItemKind::Number).unwrap();
        assert!(n.is_float && n.float64 == 1000.0 && n.is_int);
        assert!(number(0, "0x_", ItemKind::Number).is_err());
        assert_eq!(number(0, "'a'", ItemKind::CharConstant).unwrap().int64, 97);
        assert!(number(0, "99999999999999999999", ItemKind::Number).is_err());
    }
}
