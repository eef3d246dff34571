//! Validating values against a compiled schema as gojsonschema v1.2.0 does:
//! the same order of checks per instance kind, the same messages (its
//! default locale's templates, which Helm prints), and the same scores, by
//! which `anyOf`, `oneOf` and `contains` pick the failing branch whose
//! errors are reported.

use std::collections::HashMap;

use gotmpl::Value;

use super::compile::{Additional, Dependency, Node, NodeId, Schema};
use super::format;
use super::json::marshal_value;
use super::number::Decimal;

/// One reported error: gojsonschema's field (context without `(root).`),
/// the same place as a JSON pointer, and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Error {
    pub field: String,
    pub pointer: String,
    pub message: String,
}

/// Validation nesting (instance depth plus schema combinators and `$ref`
/// hops) past which validation stops: gojsonschema recurses without bound
/// and a `$ref` cycle such as `{"$ref": "#"}` overflows Helm's stack.
const MAX_DEPTH: usize = 512;

/// The text reported when [`MAX_DEPTH`] is reached (Helm itself crashes
/// with Go's `fatal error: stack overflow` there).
pub(crate) const OVERFLOW: &str = "unable to validate schema: stack overflow";

/// gojsonschema's `Result`: errors and a score of how well the instance
/// matched (+1 per check passed, -2 per error).
#[derive(Default)]
struct Outcome {
    errors: Vec<Error>,
    score: i64,
}

impl Outcome {
    fn valid(&self) -> bool {
        self.errors.is_empty()
    }

    fn add(&mut self, ctx: &Ctx<'_>, message: String) {
        self.errors.push(Error {
            field: ctx.field(),
            pointer: ctx.pointer(),
            message,
        });
        self.score -= 2;
    }

    fn merge(&mut self, other: Outcome) {
        self.errors.extend(other.errors);
        self.score += other.score;
    }
}

/// The JSON context of the instance being validated: `(root)`, then one
/// segment per property name or array index.
struct Ctx<'a> {
    head: &'a str,
    tail: Option<&'a Ctx<'a>>,
}

impl Ctx<'_> {
    fn push<'b>(&'b self, head: &'b str) -> Ctx<'b> {
        Ctx {
            head,
            tail: Some(self),
        }
    }

    /// The segments from `(root)` to here.
    fn parts(&self) -> Vec<&str> {
        let mut parts = Vec::new();
        let mut c = Some(self);
        while let Some(ctx) = c {
            parts.push(ctx.head);
            c = ctx.tail;
        }
        parts.reverse();
        parts
    }

    /// The JSON pointer (RFC 6901) of the instance: `/a/0/b`, `` for the
    /// root.
    fn pointer(&self) -> String {
        let mut out = String::new();
        for part in self.parts().iter().skip(1) {
            out.push('/');
            out.push_str(&part.replace('~', "~0").replace('/', "~1"));
        }
        out
    }

    /// `(root).a.0.b` without its `(root).` prefix (just `(root)` alone).
    fn field(&self) -> String {
        let full = self.parts().join(".");
        match full.strip_prefix("(root).") {
            Some(rest) => rest.to_string(),
            None => full,
        }
    }
}

/// gojsonschema's search of `anyOf` and `contains`: `Ok` at the first valid
/// outcome (the rest are not evaluated), else the failed outcome with the
/// best score (the first among equals), whose errors are reported with the
/// keyword's own.
fn first_valid_or_best(outcomes: impl Iterator<Item = Outcome>) -> Result<(), Option<Outcome>> {
    let mut best: Option<Outcome> = None;
    for r in outcomes {
        if r.valid() {
            return Ok(());
        }
        if best.as_ref().is_none_or(|b| r.score > b.score) {
            best = Some(r);
        }
    }
    Err(best)
}

/// Validate `values` (Helm's `null` values count as `{}`) and return the
/// errors in gojsonschema's order, or `Err` for [`OVERFLOW`].
pub(crate) fn validate(schema: &Schema, values: &Value) -> Result<Vec<Error>, &'static str> {
    let empty = Value::map(Default::default());
    let instance = if matches!(values, Value::Nil) {
        &empty
    } else {
        values
    };
    let mut v = Validator {
        schema,
        depth: 0,
        overflow: false,
    };
    let mut out = Outcome::default();
    let root = Ctx {
        head: "(root)",
        tail: None,
    };
    v.recurse(0, instance, &mut out, &root);
    if v.overflow {
        return Err(OVERFLOW);
    }
    Ok(out.errors)
}

/// A values node as gojsonschema sees it after Helm's YAML-to-JSON trip.
enum Kind<'v> {
    Null,
    Bool,
    Number(Decimal),
    String(&'v str),
    Array(&'v [Value]),
    Object,
}

fn kind(v: &Value) -> Kind<'_> {
    match v {
        Value::Nil | Value::Object(_) => Kind::Null,
        Value::Bool(_) => Kind::Bool,
        Value::Int(i) | Value::Int64(i) => Kind::Number(Decimal::from_i64(*i)),
        Value::Float(f) => Kind::Number(Decimal::from_f64(*f)),
        Value::String(s) => Kind::String(s),
        Value::List(l) => Kind::Array(l),
        Value::Map(_) => Kind::Object,
    }
}

/// Go's JSON text of a values node (what `enum`, `const` and
/// `uniqueItems` compare).
fn marshal(v: &Value) -> String {
    let mut out = String::new();
    marshal_value(v, &mut out);
    out
}

struct Validator<'s> {
    schema: &'s Schema,
    depth: usize,
    overflow: bool,
}

impl Validator<'_> {
    fn node(&self, id: NodeId) -> &Node {
        &self.schema.nodes[id]
    }

    /// `subValidateWithContext`: a fresh result for one subschema.
    fn sub(&mut self, id: NodeId, v: &Value, ctx: &Ctx<'_>) -> Outcome {
        let mut out = Outcome::default();
        self.recurse(id, v, &mut out, ctx);
        out
    }

    /// `validateRecursive`, bounded in depth.
    fn recurse(&mut self, id: NodeId, v: &Value, out: &mut Outcome, ctx: &Ctx<'_>) {
        if self.overflow {
            return;
        }
        if self.depth >= MAX_DEPTH {
            self.overflow = true;
            return;
        }
        self.depth += 1;
        if let Value::Object(o) = v {
            // Host objects reach Helm's validator as their data.
            let data = o.serialized().unwrap_or_default();
            self.recurse_value(id, &data, out, ctx);
        } else {
            self.recurse_value(id, v, out, ctx);
        }
        self.depth -= 1;
    }

    fn type_error(&self, n: &Node, given: &str, out: &mut Outcome, ctx: &Ctx<'_>) {
        let expected = if n.types.len() > 1 {
            format!("[{}]", n.types.join(","))
        } else {
            n.types[0].to_string()
        };
        out.add(
            ctx,
            format!("Invalid type. Expected: {expected}, given: {given}"),
        );
    }

    fn recurse_value(&mut self, id: NodeId, v: &Value, out: &mut Outcome, ctx: &Ctx<'_>) {
        let schema = self.schema;
        let n = &schema.nodes[id];
        if let Some(pass) = n.pass {
            if !pass {
                out.add(ctx, "False always fails validation".into());
            }
            return;
        }
        if let Some(target) = n.ref_schema {
            self.recurse(target, v, out, ctx);
            return;
        }
        let typed = !n.types.is_empty();
        let has = |t: &str| n.types.contains(&t);
        match kind(v) {
            Kind::Null => {
                if typed && !has("null") {
                    self.type_error(n, "null", out, ctx);
                    return;
                }
                self.validate_schema(id, v, out, ctx);
                self.validate_common(id, v, out, ctx);
            }
            Kind::Number(d) => {
                let is_int = d.is_integer();
                if typed && !(has("number") || (is_int && has("integer"))) {
                    let given = if is_int { "integer" } else { "number" };
                    self.type_error(n, given, out, ctx);
                    return;
                }
                self.validate_schema(id, v, out, ctx);
                self.validate_number(id, &d, out, ctx);
                self.validate_common(id, v, out, ctx);
            }
            Kind::Bool => {
                if typed && !has("boolean") {
                    self.type_error(n, "boolean", out, ctx);
                    return;
                }
                self.validate_schema(id, v, out, ctx);
                self.validate_common(id, v, out, ctx);
            }
            Kind::String(s) => {
                if typed && !has("string") {
                    self.type_error(n, "string", out, ctx);
                    return;
                }
                self.validate_schema(id, v, out, ctx);
                self.validate_common(id, v, out, ctx);
                self.validate_string(id, s, out, ctx);
            }
            Kind::Array(items) => {
                if typed && !has("array") {
                    self.type_error(n, "array", out, ctx);
                    return;
                }
                self.validate_schema(id, v, out, ctx);
                self.validate_array(id, items, out, ctx);
                self.validate_common(id, v, out, ctx);
            }
            Kind::Object => {
                if typed && !has("object") {
                    self.type_error(n, "object", out, ctx);
                    return;
                }
                let Value::Map(map) = v else { return };
                let map = map.borrow();
                self.validate_schema(id, v, out, ctx);
                self.validate_object(id, &map, out, ctx);
                self.validate_common(id, v, out, ctx);
                for (name, child) in &n.properties {
                    if let Some(value) = map.get(name) {
                        self.recurse(*child, value, out, &ctx.push(name));
                    }
                }
            }
        }
        out.score += 1;
    }

    /// `validateSchema`: the combinators, `dependencies` and `if`.
    fn validate_schema(&mut self, id: NodeId, v: &Value, out: &mut Outcome, ctx: &Ctx<'_>) {
        let schema = self.schema;
        let n = &schema.nodes[id];

        if !n.any_of.is_empty() {
            let outcomes = n.any_of.iter().map(|&sub| self.sub(sub, v, ctx));
            if let Err(best) = first_valid_or_best(outcomes) {
                out.add(ctx, "Must validate at least one schema (anyOf)".into());
                if let Some(best) = best {
                    out.merge(best);
                }
            }
        }

        if !n.one_of.is_empty() {
            let mut valid = 0;
            let mut best: Option<Outcome> = None;
            for &sub in &n.one_of {
                let r = self.sub(sub, v, ctx);
                if r.valid() {
                    valid += 1;
                } else if valid == 0 && best.as_ref().is_none_or(|b| r.score > b.score) {
                    best = Some(r);
                }
            }
            if valid != 1 {
                out.add(ctx, "Must validate one and only one schema (oneOf)".into());
                if valid == 0
                    && let Some(best) = best
                {
                    out.merge(best);
                }
            }
        }

        if !n.all_of.is_empty() {
            let mut valid = 0;
            for &sub in &n.all_of {
                let r = self.sub(sub, v, ctx);
                if r.valid() {
                    valid += 1;
                }
                out.merge(r);
            }
            if valid != n.all_of.len() {
                out.add(ctx, "Must validate all the schemas (allOf)".into());
            }
        }

        if let Some(not) = n.not
            && self.sub(not, v, ctx).valid()
        {
            out.add(ctx, "Must not validate the schema (not)".into());
        }

        if !n.dependencies.is_empty()
            && let Value::Map(map) = v
        {
            let map = map.borrow();
            for key in map.keys() {
                match n.dependencies.get(key) {
                    Some(Dependency::Properties(names)) => {
                        for name in names {
                            if !map.contains_key(name) {
                                out.add(ctx, format!("Has a dependency on {name}"));
                            }
                        }
                    }
                    Some(Dependency::Schema(sub)) => self.recurse(*sub, v, out, ctx),
                    None => {}
                }
            }
        }

        if let Some(cond) = n.if_ {
            let holds = self.sub(cond, v, ctx).valid();
            let (branch, message) = if holds {
                (n.then_, "Must validate \"then\" as \"if\" was valid")
            } else {
                (n.else_, "Must validate \"else\" as \"if\" was not valid")
            };
            if let Some(branch) = branch {
                let r = self.sub(branch, v, ctx);
                if !r.valid() {
                    out.add(ctx, message.into());
                    out.merge(r);
                }
            }
        }

        out.score += 1;
    }

    /// `validateCommon`: `const` and `enum`.
    fn validate_common(&self, id: NodeId, v: &Value, out: &mut Outcome, ctx: &Ctx<'_>) {
        let n = self.node(id);
        if n.constant.is_some() || !n.enumeration.is_empty() {
            let text = marshal(v);
            if let Some(c) = &n.constant
                && *c != text
            {
                out.add(ctx, format!("{} does not match: {c}", ctx.field()));
            }
            if !n.enumeration.is_empty() && !n.enumeration.contains(&text) {
                out.add(
                    ctx,
                    format!(
                        "{} must be one of the following: {}",
                        ctx.field(),
                        n.enumeration.join(", ")
                    ),
                );
            }
        }
        out.score += 1;
    }

    fn validate_array(&mut self, id: NodeId, items: &[Value], out: &mut Outcome, ctx: &Ctx<'_>) {
        let schema = self.schema;
        let n = &schema.nodes[id];
        let index = |i: usize| i.to_string();
        if n.items_single {
            for (i, item) in items.iter().enumerate() {
                let key = index(i);
                let r = self.sub(n.items[0], item, &ctx.push(&key));
                out.merge(r);
            }
        } else if !n.items.is_empty() {
            for (i, (item, &sub)) in items.iter().zip(&n.items).enumerate() {
                let key = index(i);
                let r = self.sub(sub, item, &ctx.push(&key));
                out.merge(r);
            }
            if n.items.len() < items.len() {
                match n.additional_items {
                    Additional::Bool(false) => {
                        out.add(ctx, "No additional items allowed on array".into());
                    }
                    Additional::Schema(sub) => {
                        for (i, item) in items.iter().enumerate().skip(n.items.len()) {
                            let key = index(i);
                            let r = self.sub(sub, item, &ctx.push(&key));
                            out.merge(r);
                        }
                    }
                    Additional::Bool(true) | Additional::Unset => {}
                }
            }
        }

        let len = items.len() as i64;
        if let Some(min) = n.min_items
            && len < min
        {
            out.add(ctx, format!("Array must have at least {min} items"));
        }
        if let Some(max) = n.max_items
            && len > max
        {
            out.add(ctx, format!("Array must have at most {max} items"));
        }

        if n.unique_items {
            let mut seen: HashMap<String, usize> = HashMap::new();
            for (j, item) in items.iter().enumerate() {
                // The index reported is the latest equal item's.
                if let Some(i) = seen.insert(marshal(item), j) {
                    out.add(ctx, format!("array items[{i},{j}] must be unique"));
                }
            }
        }

        if let Some(contains) = n.contains {
            let outcomes = items
                .iter()
                .enumerate()
                .map(|(i, item)| self.sub(contains, item, &ctx.push(&index(i))));
            if let Err(best) = first_valid_or_best(outcomes) {
                out.add(ctx, "At least one of the items must match".into());
                if let Some(best) = best {
                    out.merge(best);
                }
            }
        }

        out.score += 1;
    }

    fn validate_object(
        &mut self,
        id: NodeId,
        map: &gotmpl::value::Map,
        out: &mut Outcome,
        ctx: &Ctx<'_>,
    ) {
        let schema = self.schema;
        let n = &schema.nodes[id];
        let len = map.len() as i64;
        if let Some(min) = n.min_properties
            && len < min
        {
            out.add(ctx, format!("Must have at least {min} properties"));
        }
        if let Some(max) = n.max_properties
            && len > max
        {
            out.add(ctx, format!("Must have at most {max} properties"));
        }

        for name in &n.required {
            if map.contains_key(name) {
                out.score += 1;
            } else {
                out.add(ctx, format!("{name} is required"));
            }
        }

        for (key, value) in map {
            let declared = n.properties.iter().any(|(p, _)| p == key);
            let mut matched = false;
            for (pattern, sub) in &n.pattern_properties {
                if pattern.is_match(key) {
                    matched = true;
                    let r = self.sub(*sub, value, &ctx.push(key));
                    out.merge(r);
                }
            }
            if matched {
                out.score += 1;
            }
            if !declared && !matched {
                match n.additional_properties {
                    Additional::Bool(false) => {
                        out.add(ctx, format!("Additional property {key} is not allowed"));
                    }
                    Additional::Schema(sub) => {
                        let r = self.sub(sub, value, &ctx.push(key));
                        out.merge(r);
                    }
                    Additional::Bool(true) | Additional::Unset => {}
                }
            }
        }

        if let Some(names) = n.property_names {
            for key in map.keys() {
                let r = self.sub(names, &Value::str(key), ctx);
                if !r.valid() {
                    out.add(ctx, format!("Property name of \"{key}\" does not match"));
                    out.merge(r);
                }
            }
        }

        out.score += 1;
    }

    fn validate_string(&self, id: NodeId, s: &str, out: &mut Outcome, ctx: &Ctx<'_>) {
        let n = self.node(id);
        if n.min_length.is_some() || n.max_length.is_some() {
            let runes = s.chars().count() as i64;
            if let Some(min) = n.min_length
                && runes < min
            {
                out.add(
                    ctx,
                    format!("String length must be greater than or equal to {min}"),
                );
            }
            if let Some(max) = n.max_length
                && runes > max
            {
                out.add(
                    ctx,
                    format!("String length must be less than or equal to {max}"),
                );
            }
        }
        if let Some(p) = &n.pattern
            && !p.is_match(s)
        {
            out.add(ctx, format!("Does not match pattern '{}'", p.as_str()));
        }
        if !n.format.is_empty() && !format::is_format(&n.format, s) {
            out.add(ctx, format!("Does not match format '{}'", n.format));
        }
        out.score += 1;
    }

    fn validate_number(&self, id: NodeId, d: &Decimal, out: &mut Outcome, ctx: &Ctx<'_>) {
        let n = self.node(id);
        if let Some(m) = &n.multiple_of
            && !d.is_multiple_of(m)
        {
            out.add(ctx, format!("Must be a multiple of {}", m.go_big_float()));
        }
        if let Some(max) = &n.maximum
            && d > max
        {
            out.add(
                ctx,
                format!("Must be less than or equal to {}", max.go_big_float()),
            );
        }
        if let Some(max) = &n.exclusive_maximum
            && d >= max
        {
            out.add(ctx, format!("Must be less than {}", max.go_big_float()));
        }
        if let Some(min) = &n.minimum
            && d < min
        {
            out.add(
                ctx,
                format!("Must be greater than or equal to {}", min.go_big_float()),
            );
        }
        if let Some(min) = &n.exclusive_minimum
            && d <= min
        {
            out.add(ctx, format!("Must be greater than {}", min.go_big_float()));
        }
        // gojsonschema hands numbers to the format checkers as big.Rat,
        // which every known checker rejects.
        if !n.format.is_empty() && format::is_known(&n.format) {
            out.add(ctx, format!("Does not match format '{}'", n.format));
        }
        out.score += 1;
    }
}
