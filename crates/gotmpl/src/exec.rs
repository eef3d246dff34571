//! The executor: walks a tree over a value, as Go's `text/template/exec.go`.
//!
//! Values are carried in slots, which keep the two distinctions Go's
//! reflection makes and templates can observe: "no value" (an invalid
//! `reflect.Value`, printed `<no value>`, whose fields are silently no value)
//! versus a nil interface (whose fields fail with `nil pointer evaluating
//! interface {}.X`), and the static type `interface {}` of map elements and
//! list items, which Go names in `can't evaluate field X in type interface {}`.

use crate::NameMap;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Arc;

use crate::builtins::{self, BuiltinError};
use crate::fmt;
use crate::func::{CallContext, FuncError};
use crate::set::{MissingKey, Templates};
use crate::tree::{
    Arg, BranchNode, ChainNode, CommandNode, FieldNode, ListNode, Node, NumberNode, PipeNode, Tree,
    VariableNode,
};
use crate::value::Value;

/// Where in a template an execution error happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The name the template text was parsed as (a file name for Helm).
    pub parse_name: String,
    /// 1-based line.
    pub line: usize,
    /// 0-based byte column within the line, as Go counts it.
    pub col: usize,
}

/// A template that failed to execute. Displays as Go's
/// `template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE`.
#[derive(Debug, Clone)]
pub struct ExecError {
    /// The template being executed (empty when none was: `no template "x" ...`).
    pub name: String,
    /// Where, when the error is tied to a node.
    pub location: Option<Box<Location>>,
    /// The node as Go prints it (`.Values.foo`, `include "x" .`).
    pub context: Option<String>,
    /// What went wrong, as Go words it (`error calling X: ...` for function errors).
    pub message: String,
    /// The error a function returned, when that is the cause.
    pub cause: Option<Box<FuncError>>,
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.location, &self.context) {
            (Some(l), Some(c)) => write!(
                f,
                "template: {}:{}:{}: executing {} at <{}>: {}",
                l.parse_name,
                l.line,
                l.col,
                gostd::strconv::quote(&self.name),
                c,
                self.message
            ),
            _ if self.name.is_empty() => write!(f, "template: {}", self.message),
            _ => write!(f, "template: {}: {}", self.name, self.message),
        }
    }
}

impl std::error::Error for ExecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_ref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

type R<T> = Result<T, Box<ExecError>>;

/// Why a walk stopped early.
enum Stop {
    Break,
    Continue,
    Error(Box<ExecError>),
}

impl From<Box<ExecError>> for Stop {
    fn from(e: Box<ExecError>) -> Self {
        Stop::Error(e)
    }
}

/// A value during evaluation (see the module docs).
#[derive(Clone, Debug)]
enum Slot {
    /// Go's invalid `reflect.Value`: no value at all.
    Missing,
    /// A value of its own concrete type.
    Val(Value),
    /// A value whose static type is `interface {}` (a map element or list item).
    Iface(Value),
}

impl Slot {
    /// Go's "dig down one level" of an `interface {}` pipeline result.
    fn dig(self) -> Slot {
        match self {
            Slot::Iface(Value::Nil) | Slot::Val(Value::Nil) => Slot::Missing,
            Slot::Iface(v) => Slot::Val(v),
            s => s,
        }
    }
    /// The value a function receives (no value becomes nil).
    fn value(&self) -> Value {
        match self {
            Slot::Missing => Value::Nil,
            Slot::Val(v) | Slot::Iface(v) => v.clone(),
        }
    }
    /// [`Slot::value`] without a clone.
    fn into_value(self) -> Value {
        match self {
            Slot::Missing => Value::Nil,
            Slot::Val(v) | Slot::Iface(v) => v,
        }
    }
    fn truthy(&self) -> bool {
        match self {
            Slot::Missing => false,
            Slot::Val(v) | Slot::Iface(v) => v.truthy(),
        }
    }
    /// A slot for a data value handed in from outside (nil is no value).
    fn from_data(v: &Value) -> Slot {
        match v {
            Value::Nil => Slot::Missing,
            v => Slot::Val(v.clone()),
        }
    }
    /// A function or method result: a nil result is a nil interface.
    fn from_result(v: Value) -> Slot {
        match v {
            Value::Nil => Slot::Iface(Value::Nil),
            v => Slot::Val(v),
        }
    }
}

/// What a `range` iterates over, produced one iteration at a time.
enum RangeSource {
    /// List items with their indexes.
    List(Rc<Vec<Value>>),
    /// Map entries (key, value), in key order.
    Entries(Vec<(Value, Value)>),
    /// `0..n` (Go 1.22 range over an integer).
    Count(i64),
}

impl RangeSource {
    fn len(&self) -> u64 {
        match self {
            RangeSource::List(l) => l.len() as u64,
            RangeSource::Entries(e) => e.len() as u64,
            RangeSource::Count(n) => (*n).max(0) as u64,
        }
    }
    /// The index (or key) and element of iteration `i`.
    fn get(&self, i: u64) -> (Slot, Slot) {
        match self {
            RangeSource::List(l) => (
                Slot::Val(Value::Int(i as i64)),
                Slot::Iface(l[i as usize].clone()),
            ),
            RangeSource::Entries(e) => {
                let (k, v) = &e[i as usize];
                (Slot::Val(k.clone()), Slot::Iface(v.clone()))
            }
            RangeSource::Count(_) => (
                Slot::Val(Value::Int(i as i64)),
                Slot::Val(Value::Int(i as i64)),
            ),
        }
    }
}

/// The node an error refers to.
#[derive(Clone, Copy)]
enum At<'s> {
    None,
    Node(&'s Node),
    Arg(&'s Arg),
    Cmd(&'s CommandNode),
    Pipe(&'s PipeNode),
}

/// State shared by one top-level execution and every template it runs
/// through the call context (Helm's `include` and `tpl`).
#[derive(Default)]
pub(crate) struct Shared {
    /// How many `execute_template(name)` calls are active, per name.
    active: RefCell<NameMap<String, usize>>,
}

/// Templates a `tpl` text adds on top of the set for the duration of its
/// execution: the text itself and its defines, over those of enclosing
/// `tpl` texts. Go clones the set and parses into the clone; looking names
/// up through the layers gives the same view without copying the set, and a
/// `define` in the text never reaches the caller's set.
pub(crate) struct Overlay<'a> {
    trees: &'a [Arc<Tree>],
    parent: Option<&'a Overlay<'a>>,
}

/// Template `name` as a set seen through `overlay` resolves it: as if every
/// layer had been added to the set in turn, where a tree that is empty
/// (Go's `IsEmptyTree`) does not replace a non-empty one.
fn lookup<'a>(
    set: &'a Templates,
    overlay: Option<&'a Overlay<'a>>,
    name: &str,
) -> Option<&'a Tree> {
    let mut empty: Option<&'a Tree> = None;
    let mut layer = overlay;
    while let Some(l) = layer {
        if let Some(t) = l.trees.iter().find(|t| t.name == name) {
            if !t.is_empty() {
                return Some(t);
            }
            empty = empty.or(Some(t));
        }
        layer = l.parent;
    }
    let base = set.tree(name).map(|t| &**t);
    match (empty, base) {
        (Some(e), Some(b)) if b.is_empty() => Some(e),
        (e, None) => e,
        (_, b) => b,
    }
}

/// Execute template `name` of `set` (seen through `overlay`) at template nesting `depth`.
pub(crate) fn execute(
    set: &Templates,
    overlay: Option<&Overlay<'_>>,
    name: &str,
    data: &Value,
    out: &mut String,
    depth: usize,
    shared: &Shared,
) -> R<()> {
    let Some(tree) = lookup(set, overlay, name) else {
        return Err(Box::new(ExecError {
            name: String::new(),
            location: None,
            context: None,
            message: format!(
                "no template {} associated with template {}",
                gostd::strconv::quote(name),
                gostd::strconv::quote(set.name())
            ),
            cause: None,
        }));
    };
    let dot = Slot::from_data(data);
    let mut state = State {
        set,
        overlay,
        tree,
        vars: vec![("$", dot.clone())],
        depth,
        at: At::None,
        shared,
    };
    match state.walk_list(&dot, &tree.root, out) {
        Ok(()) | Err(Stop::Break) | Err(Stop::Continue) => Ok(()),
        Err(Stop::Error(e)) => Err(e),
    }
}

struct State<'s> {
    set: &'s Templates,
    overlay: Option<&'s Overlay<'s>>,
    tree: &'s Tree,
    vars: Vec<(&'s str, Slot)>,
    depth: usize,
    at: At<'s>,
    shared: &'s Shared,
}

/// Function arguments held on the stack (more go to the heap).
const INLINE_ARGS: usize = 4;

/// Stack headroom below which nested evaluation moves to a fresh stack segment.
const RED_ZONE: usize = 128 * 1024;
/// Size of each fresh stack segment.
const STACK_SEGMENT: usize = 2 * 1024 * 1024;

impl<'s> State<'s> {
    // ---- errors ----

    fn error(&self, message: String) -> Box<ExecError> {
        self.error_with_cause(message, None)
    }

    fn error_with_cause(&self, message: String, cause: Option<FuncError>) -> Box<ExecError> {
        let (pos, context) = match self.at {
            At::None => {
                return Box::new(ExecError {
                    name: self.tree.name.clone(),
                    location: None,
                    context: None,
                    message,
                    cause: cause.map(Box::new),
                });
            }
            At::Node(n) => (n.pos(), n.to_string()),
            At::Arg(a) => (a.pos(), a.to_string()),
            At::Cmd(c) => (c.pos, c.to_string()),
            At::Pipe(p) => (p.pos, p.to_string()),
        };
        let (line, col) = self.tree.line_col(pos);
        Box::new(ExecError {
            name: self.tree.name.clone(),
            location: Some(Box::new(Location {
                parse_name: self.tree.parse_name.to_string(),
                line,
                col,
            })),
            context: Some(context),
            message,
            cause: cause.map(Box::new),
        })
    }

    // ---- variables ----

    fn var_value(&self, name: &str) -> R<Slot> {
        match self.vars.iter().rev().find(|(n, _)| *n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(self.error(format!("undefined variable: {name}"))),
        }
    }

    fn set_var(&mut self, name: &str, value: Slot) -> R<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| *n == name) {
            Some(slot) => {
                slot.1 = value;
                Ok(())
            }
            None => Err(self.error(format!("undefined variable: {name}"))),
        }
    }

    fn set_top_var(&mut self, n: usize, value: Slot) {
        let len = self.vars.len();
        if n <= len {
            self.vars[len - n].1 = value;
        }
    }

    // ---- walking ----

    fn walk_list(&mut self, dot: &Slot, list: &'s ListNode, out: &mut String) -> Result<(), Stop> {
        stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
            for node in &list.nodes {
                self.walk(dot, node, out)?;
            }
            Ok(())
        })
    }

    fn walk(&mut self, dot: &Slot, node: &'s Node, out: &mut String) -> Result<(), Stop> {
        self.at = At::Node(node);
        match node {
            Node::Text(t) => out.push_str(&t.text),
            Node::Comment(_) => {}
            Node::Action(a) => {
                let v = self.eval_pipeline(dot, &a.pipe)?;
                if a.pipe.decl.is_empty() {
                    self.at = At::Node(node);
                    print_slot(out, &v);
                }
            }
            Node::If(b) => self.walk_if_or_with(dot, b, false, out)?,
            Node::With(b) => self.walk_if_or_with(dot, b, true, out)?,
            Node::Range(b) => self.walk_range(dot, node, b, out)?,
            Node::Template(t) => {
                let Some(tree) = lookup(self.set, self.overlay, &t.name) else {
                    return Err(self
                        .error(format!(
                            "template {} not defined",
                            gostd::strconv::quote(&t.name)
                        ))
                        .into());
                };
                if self.depth >= self.set.options().max_template_depth {
                    let max = self.set.options().max_template_depth;
                    return Err(self
                        .error(format!("exceeded maximum template depth ({max})"))
                        .into());
                }
                let new_dot = match &t.pipe {
                    Some(p) => self.eval_pipeline(dot, p)?,
                    None => Slot::Missing,
                };
                let mut inner = State {
                    set: self.set,
                    overlay: self.overlay,
                    tree,
                    vars: vec![("$", new_dot.clone())],
                    depth: self.depth + 1,
                    at: At::None,
                    shared: self.shared,
                };
                match inner.walk_list(&new_dot, &tree.root, out) {
                    Ok(()) | Err(Stop::Break) | Err(Stop::Continue) => {}
                    Err(e) => return Err(e),
                }
            }
            Node::Break(_) => return Err(Stop::Break),
            Node::Continue(_) => return Err(Stop::Continue),
        }
        Ok(())
    }

    fn walk_if_or_with(
        &mut self,
        dot: &Slot,
        b: &'s BranchNode,
        with: bool,
        out: &mut String,
    ) -> Result<(), Stop> {
        let mark = self.vars.len();
        let val = self.eval_pipeline(dot, &b.pipe)?;
        let r = if val.truthy() {
            if with {
                self.walk_list(&val, &b.list, out)
            } else {
                self.walk_list(dot, &b.list, out)
            }
        } else if let Some(e) = &b.else_list {
            self.walk_list(dot, e, out)
        } else {
            Ok(())
        };
        self.vars.truncate(mark);
        r
    }

    fn walk_range(
        &mut self,
        dot: &Slot,
        node: &'s Node,
        r: &'s BranchNode,
        out: &mut String,
    ) -> Result<(), Stop> {
        self.at = At::Node(node);
        let mark = self.vars.len();
        let result = self.walk_range_inner(dot, r, out);
        self.vars.truncate(mark);
        result
    }

    fn walk_range_inner(
        &mut self,
        dot: &Slot,
        r: &'s BranchNode,
        out: &mut String,
    ) -> Result<(), Stop> {
        let val = self.eval_pipeline(dot, &r.pipe)?;
        let mark = self.vars.len();
        let mut value = val.value();
        if let Value::Object(o) = &value
            && let Some(d) = o.to_data()
        {
            value = d;
        }
        let source = match &value {
            Value::List(l) => RangeSource::List(l.clone()),
            // Snapshot the entries: the body may change the map being ranged over.
            Value::Map(m) => RangeSource::Entries(
                m.borrow()
                    .iter()
                    .map(|(k, e)| (Value::str(k), e.clone()))
                    .collect(),
            ),
            Value::Int(n) | Value::Int64(n) => {
                if r.pipe.decl.len() > 1 {
                    return Err(self
                        .error(format!(
                            "can't use {n} to iterate over more than one variable"
                        ))
                        .into());
                }
                RangeSource::Count(*n)
            }
            Value::Nil => RangeSource::Count(0),
            other => {
                return Err(self
                    .error(format!(
                        "range can't iterate over {}",
                        fmt::format_value(other)
                    ))
                    .into());
            }
        };
        if source.len() == 0 {
            if let Some(e) = &r.else_list {
                return self.walk_list(dot, e, out);
            }
            return Ok(());
        }
        let decl = &r.pipe.decl;
        for i in 0..source.len() {
            let (index, elem) = source.get(i);
            if !decl.is_empty() {
                if r.pipe.is_assign {
                    let first = if decl.len() > 1 {
                        index.clone()
                    } else {
                        elem.clone()
                    };
                    self.set_var(decl[0].ident.first(), first)?;
                } else {
                    self.set_top_var(1, elem.clone());
                }
            }
            if decl.len() > 1 {
                if r.pipe.is_assign {
                    self.set_var(decl[1].ident.first(), elem.clone())?;
                } else {
                    self.set_top_var(2, index);
                }
            }
            let res = self.walk_list(&elem, &r.list, out);
            self.vars.truncate(mark);
            match res {
                Ok(()) | Err(Stop::Continue) => {}
                Err(Stop::Break) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    // ---- evaluation ----

    /// A parenthesized pipeline: the one place evaluation recurses without
    /// walking a list, so it may need a fresh stack segment.
    fn eval_nested_pipeline(&mut self, dot: &Slot, pipe: &'s PipeNode) -> R<Slot> {
        stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || self.eval_pipeline(dot, pipe))
    }

    fn eval_pipeline(&mut self, dot: &Slot, pipe: &'s PipeNode) -> R<Slot> {
        self.at = At::Pipe(pipe);
        let mut value: Option<Slot> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            value = Some(v.dig());
        }
        let value = value.unwrap_or(Slot::Missing);
        for var in &pipe.decl {
            if pipe.is_assign {
                self.set_var(var.ident.first(), value.clone())?;
            } else {
                self.vars.push((var.ident.first(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], fin: &Option<Slot>) -> R<()> {
        if args.len() > 1 || fin.is_some() {
            return Err(self.error(format!("can't give argument to non-function {}", args[0])));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Slot, cmd: &'s CommandNode, fin: Option<Slot>) -> R<Slot> {
        let first = &cmd.args[0];
        match first {
            Arg::Field(f) => return self.eval_field_node(dot, f, first, &cmd.args, fin),
            Arg::Chain(c) => return self.eval_chain_node(dot, c, first, &cmd.args, fin),
            Arg::Identifier(_, name) => {
                return self.eval_function(dot, name, first, At::Cmd(cmd), &cmd.args, fin);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &fin)?;
                return self.eval_nested_pipeline(dot, p);
            }
            Arg::Variable(v) => return self.eval_variable_node(dot, v, first, &cmd.args, fin),
            _ => {}
        }
        self.at = At::Arg(first);
        self.not_a_function(&cmd.args, &fin)?;
        match first {
            Arg::Bool(_, b) => Ok(Slot::Val(Value::Bool(*b))),
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Err(self.error("nil is not a command".to_string())),
            Arg::Number(n) => self.ideal_constant(n),
            Arg::String(s) => Ok(Slot::Val(Value::str(s.text()))),
            other => Err(self.error(format!(
                "can't evaluate command {}",
                gostd::strconv::quote(&other.to_string())
            ))),
        }
    }

    fn ideal_constant(&self, n: &NumberNode) -> R<Slot> {
        let text = &*n.text;
        if n.is_complex {
            return Err(self.error(format!("complex constant {text} is not supported")));
        }
        let is_hex_int = text.len() > 2
            && text.starts_with('0')
            && matches!(text.as_bytes()[1], b'x' | b'X')
            && !text.contains(['p', 'P']);
        let is_rune = text.starts_with('\'');
        if n.is_float && !is_hex_int && !is_rune && text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Slot::Val(Value::Float(n.float64)));
        }
        if n.is_int {
            return Ok(Slot::Val(Value::Int(n.int64)));
        }
        if n.is_uint {
            return Err(self.error(format!("{text} overflows int")));
        }
        Ok(Slot::Missing)
    }

    fn eval_field_node(
        &mut self,
        dot: &Slot,
        field: &'s FieldNode,
        node: &'s Arg,
        args: &'s [Arg],
        fin: Option<Slot>,
    ) -> R<Slot> {
        self.at = At::Arg(node);
        self.eval_field_chain(dot, dot.clone(), node, field.ident.iter(), args, fin)
    }

    fn eval_chain_node(
        &mut self,
        dot: &Slot,
        chain: &'s ChainNode,
        node: &'s Arg,
        args: &'s [Arg],
        fin: Option<Slot>,
    ) -> R<Slot> {
        self.at = At::Arg(node);
        if let Arg::Nil(_) = *chain.node {
            return Err(self.error(format!("indirection through explicit nil in {chain}")));
        }
        let pipe = self.eval_arg(dot, &chain.node)?;
        self.eval_field_chain(dot, pipe, node, chain.field.iter(), args, fin)
    }

    fn eval_variable_node(
        &mut self,
        dot: &Slot,
        var: &'s VariableNode,
        node: &'s Arg,
        args: &'s [Arg],
        fin: Option<Slot>,
    ) -> R<Slot> {
        self.at = At::Arg(node);
        let value = self.var_value(var.ident.first())?;
        if var.ident.is_single() {
            if args.len() > 1 || fin.is_some() {
                return Err(self.error(format!("can't give argument to non-function {node}")));
            }
            return Ok(value);
        }
        self.eval_field_chain(dot, value, node, var.ident.iter().skip(1), args, fin)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Slot,
        receiver: Slot,
        node: &'s Arg,
        ident: impl Iterator<Item = &'s str>,
        args: &'s [Arg],
        fin: Option<Slot>,
    ) -> R<Slot> {
        let mut names = ident.peekable();
        let mut receiver = receiver;
        while let Some(name) = names.next() {
            if names.peek().is_none() {
                return self.eval_field(dot, name, node, args, fin, receiver);
            }
            receiver = self.eval_field(dot, name, node, &[], None, receiver)?;
        }
        Ok(receiver)
    }

    fn eval_field(
        &mut self,
        dot: &Slot,
        name: &str,
        node: &'s Arg,
        args: &'s [Arg],
        fin: Option<Slot>,
        receiver: Slot,
    ) -> R<Slot> {
        let (value, iface) = match receiver {
            Slot::Missing => {
                if self.set.options().missing_key == MissingKey::Error {
                    return Err(self.error(format!(
                        "nil data; no entry for key {}",
                        gostd::strconv::quote(name)
                    )));
                }
                return Ok(Slot::Missing);
            }
            Slot::Val(v) => (v, false),
            Slot::Iface(v) => (v, true),
        };
        let typ = || {
            if iface {
                "interface {}".to_string()
            } else {
                fmt::type_name(&value)
            }
        };
        let has_args = args.len() > 1 || fin.is_some();
        match &value {
            Value::Nil => Err(self.error(format!("nil pointer evaluating {}.{name}", typ()))),
            Value::Map(m) => {
                if has_args {
                    return Err(self.error(format!("{name} is not a method but has arguments")));
                }
                let found = m.borrow().get(name).cloned();
                match found {
                    Some(v) => Ok(Slot::Iface(v)),
                    None => match self.set.options().missing_key {
                        MissingKey::Default => Ok(Slot::Missing),
                        MissingKey::Zero => Ok(Slot::Iface(Value::Nil)),
                        MissingKey::Error => Err(self.error(format!(
                            "map has no entry for key {}",
                            gostd::strconv::quote(name)
                        ))),
                    },
                }
            }
            Value::Object(o) => {
                let field = if has_args { None } else { o.field(name) };
                if let Some(f) = field {
                    return Ok(Slot::from_result(f));
                }
                let rest = if args.is_empty() { &[][..] } else { &args[1..] };
                let mut argv = Vec::with_capacity(rest.len() + 1);
                for a in rest {
                    argv.push(self.eval_arg(dot, a)?.value());
                }
                if let Some(f) = &fin {
                    argv.push(f.value());
                }
                match o.call(name, &argv) {
                    Some(Ok(v)) => Ok(Slot::from_result(v)),
                    Some(Err(e)) => {
                        self.at = At::Arg(node);
                        let cause = FuncError::new(e);
                        Err(self.error_with_cause(
                            format!("error calling {name}: {cause}"),
                            Some(cause),
                        ))
                    }
                    None if has_args && o.field(name).is_some() => Err(self.error(format!(
                        "{name} has arguments but cannot be invoked as function"
                    ))),
                    None => {
                        Err(self.error(format!("can't evaluate field {name} in type {}", typ())))
                    }
                }
            }
            _ => Err(self.error(format!("can't evaluate field {name} in type {}", typ()))),
        }
    }

    fn eval_function(
        &mut self,
        dot: &Slot,
        name: &str,
        ident: &'s Arg,
        call_node: At<'s>,
        args: &'s [Arg],
        fin: Option<Slot>,
    ) -> R<Slot> {
        self.at = At::Arg(ident);
        let rest = if args.is_empty() { &[][..] } else { &args[1..] };
        let user = self.set.funcs().get(name);
        if user.is_none() {
            let Some(arity) = builtins::builtin_arity(name) else {
                return Err(self.error(format!(
                    "{} is not a defined function",
                    gostd::strconv::quote(name)
                )));
            };
            let num_in = rest.len() + usize::from(fin.is_some());
            if arity.variadic {
                if num_in < arity.fixed {
                    return Err(self.error(format!(
                        "wrong number of args for {name}: want at least {} got {}",
                        arity.fixed,
                        rest.len()
                    )));
                }
            } else if num_in != arity.fixed {
                return Err(self.error(format!(
                    "wrong number of args for {name}: want {} got {num_in}",
                    arity.fixed
                )));
            }
            if name == "and" || name == "or" {
                return self.eval_and_or(dot, name == "or", rest, fin);
            }
        }
        // Arguments of the common short calls stay on the stack.
        let total = rest.len() + usize::from(fin.is_some());
        let mut inline: [Value; INLINE_ARGS] = Default::default();
        let mut heap: Vec<Value> = Vec::new();
        let on_heap = total > INLINE_ARGS;
        if on_heap {
            heap.reserve_exact(total);
        }
        let mut n = 0;
        let mut push = |v: Value| {
            if on_heap {
                heap.push(v);
            } else {
                inline[n] = v;
            }
            n += 1;
        };
        let mut rest_iter = rest.iter();
        if user.is_none()
            && name == "printf"
            && let Some(format_arg) = rest_iter.next()
        {
            push(self.eval_string_arg(dot, format_arg)?);
        }
        for a in rest_iter {
            push(self.eval_arg(dot, a)?.value());
        }
        if let Some(f) = fin {
            push(f.into_value());
        }
        let argv: &[Value] = if on_heap { &heap } else { &inline[..n] };
        let result = match user {
            Some(f) => {
                let f = f.clone();
                f(self, argv).map_err(|e| {
                    self.at = call_node;
                    self.error_with_cause(format!("error calling {name}: {e}"), Some(e))
                })?
            }
            None => match builtins::call_builtin(name, argv) {
                Ok(v) => v,
                Err(BuiltinError::Plain(m)) => return Err(self.error(m)),
                Err(BuiltinError::Call(m)) => {
                    self.at = call_node;
                    let cause = FuncError::new(m);
                    return Err(self
                        .error_with_cause(format!("error calling {name}: {cause}"), Some(cause)));
                }
            },
        };
        Ok(Slot::from_result(result))
    }

    /// An argument for a Go `string` parameter (printf's format), with Go's
    /// errors for constants, nil and values of other types.
    fn eval_string_arg(&mut self, dot: &Slot, n: &'s Arg) -> R<Value> {
        self.at = At::Arg(n);
        match n {
            Arg::String(s) => return Ok(Value::str(s.text())),
            Arg::Bool(..) | Arg::Number(_) => {
                return Err(self.error(format!("expected string; found {n}")));
            }
            Arg::Nil(_) => return Err(self.error("cannot assign nil to string".to_string())),
            _ => {}
        }
        match self.eval_arg(dot, n)? {
            Slot::Missing => {
                self.at = At::Arg(n);
                Err(self.error("invalid value; expected string".to_string()))
            }
            Slot::Val(Value::String(s)) | Slot::Iface(Value::String(s)) => Ok(Value::String(s)),
            other => {
                self.at = At::Arg(n);
                let typ = match &other {
                    Slot::Iface(Value::Nil) => "interface {}".to_string(),
                    _ => fmt::type_name(&other.value()),
                };
                Err(self.error(format!("wrong type for value; expected string; got {typ}")))
            }
        }
    }

    /// `and`/`or`: evaluate arguments left to right, stopping at the first
    /// false (`and`) or true (`or`) one; otherwise the last argument.
    fn eval_and_or(
        &mut self,
        dot: &Slot,
        is_or: bool,
        args: &'s [Arg],
        fin: Option<Slot>,
    ) -> R<Slot> {
        let mut v = Slot::Missing;
        for a in args {
            v = self.eval_arg(dot, a)?;
            if v.truthy() == is_or {
                return Ok(v);
            }
        }
        if let Some(f) = fin {
            v = f;
        }
        Ok(v)
    }

    fn eval_arg(&mut self, dot: &Slot, n: &'s Arg) -> R<Slot> {
        self.at = At::Arg(n);
        match n {
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Ok(Slot::Iface(Value::Nil)),
            Arg::Field(f) => self.eval_field_node(dot, f, n, std::slice::from_ref(n), None),
            Arg::Variable(v) => self.eval_variable_node(dot, v, n, &[], None),
            Arg::Pipe(p) => self.eval_nested_pipeline(dot, p),
            Arg::Identifier(_, name) => self.eval_function(dot, name, n, At::Arg(n), &[], None),
            Arg::Chain(c) => self.eval_chain_node(dot, c, n, &[], None),
            Arg::Bool(_, b) => Ok(Slot::Val(Value::Bool(*b))),
            Arg::Number(num) => self.ideal_constant(num),
            Arg::String(s) => Ok(Slot::Val(Value::str(s.text()))),
        }
    }
}

/// Print an action's value as Go's `fmt.Fprint` does, with no value as `<no value>`.
fn print_slot(out: &mut String, v: &Slot) {
    match v {
        Slot::Missing | Slot::Val(Value::Nil) | Slot::Iface(Value::Nil) => {
            out.push_str("<no value>")
        }
        Slot::Val(Value::String(s)) | Slot::Iface(Value::String(s)) => out.push_str(s),
        Slot::Val(Value::Int(i) | Value::Int64(i))
        | Slot::Iface(Value::Int(i) | Value::Int64(i)) => {
            let _ = write!(out, "{i}");
        }
        Slot::Val(v) | Slot::Iface(v) => fmt::write_value(out, v),
    }
}

impl CallContext for State<'_> {
    fn execute_template(&mut self, name: &str, data: &Value) -> Result<String, FuncError> {
        let max = self.set.options().max_template_depth;
        if self.depth >= max {
            return Err(FuncError::new(format!(
                "exceeded maximum template depth ({max})"
            )));
        }
        let mut out = String::new();
        {
            let mut active = self.shared.active.borrow_mut();
            match active.get_mut(name) {
                Some(n) => *n += 1,
                None => {
                    active.insert(name.to_string(), 1);
                }
            }
        }
        let result = stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
            execute(
                self.set,
                self.overlay,
                name,
                data,
                &mut out,
                self.depth + 1,
                self.shared,
            )
        });
        if let Some(n) = self.shared.active.borrow_mut().get_mut(name) {
            *n = n.saturating_sub(1);
        }
        result.map_err(|e| FuncError::new(e.to_string()))?;
        Ok(out)
    }

    fn execute_text(&mut self, text: &str, data: &Value) -> Result<String, FuncError> {
        // Helm parses `tpl` text under the root template's name ("gotpl");
        // an unnamed set uses the current template's name.
        let name = if self.set.name().is_empty() {
            self.tree.name.clone()
        } else {
            self.set.name().to_string()
        };
        self.execute_text_named(&name, text, data)
    }

    fn active_executions(&self, name: &str) -> usize {
        self.shared.active.borrow().get(name).copied().unwrap_or(0)
    }

    fn execute_text_named(
        &mut self,
        name: &str,
        text: &str,
        data: &Value,
    ) -> Result<String, FuncError> {
        let max = self.set.options().max_template_depth;
        if self.depth >= max {
            return Err(FuncError::new(format!(
                "exceeded maximum template depth ({max})"
            )));
        }
        let trees = self
            .set
            .parse_text(name, text)
            .map_err(|e| FuncError::new(e.to_string()))?;
        let overlay = Overlay {
            trees: &trees,
            parent: self.overlay,
        };
        let mut out = String::new();
        stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
            execute(
                self.set,
                Some(&overlay),
                name,
                data,
                &mut out,
                self.depth + 1,
                self.shared,
            )
        })
        .map_err(|e| FuncError::new(e.to_string()))?;
        Ok(out)
    }

    fn template_name(&self) -> &str {
        &self.tree.name
    }
}
