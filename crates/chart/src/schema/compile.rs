//! From a schema document to the compiled tree the validator walks,
//! reading keywords the way gojsonschema v1.2.0 (Helm 3.17) reads them:
//! which keywords each draft takes, which values are errors (in its order
//! of checks, so the first error reported is the one Helm reports), how
//! `$ref` is resolved against `id`/`$id` scopes, and its quirks (siblings
//! of a `$ref` ignored, `"definitions": true` failing as a Go panic).

use std::collections::{BTreeMap, HashMap};

use super::json::{Json, marshal_json};
use super::number::Decimal;
use super::pattern::GoRegex;
use super::uri::{Uri, pointer_get};

/// gojsonschema's drafts, ordered as its `>=` checks compare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Draft {
    Draft4 = 4,
    Draft6 = 6,
    Draft7 = 7,
    /// No (known) `$schema`: the keywords of all three drafts.
    Hybrid = i32::MAX as isize,
}

/// Index of a node in [`Schema::nodes`].
pub(crate) type NodeId = usize;

/// `additionalProperties` / `additionalItems`.
#[derive(Debug, Clone, Default)]
pub(crate) enum Additional {
    /// Absent: anything goes.
    #[default]
    Unset,
    Bool(bool),
    Schema(NodeId),
}

/// One `dependencies` entry.
#[derive(Debug, Clone)]
pub(crate) enum Dependency {
    Properties(Vec<String>),
    Schema(NodeId),
}

/// One compiled (sub)schema: gojsonschema's `subSchema`.
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// A boolean schema (draft 6 and later).
    pub pass: Option<bool>,
    pub types: Vec<&'static str>,
    /// The schema a `$ref` points at; the node's other keywords are unused.
    pub ref_schema: Option<NodeId>,
    pub properties: Vec<(String, NodeId)>,
    pub additional_properties: Additional,
    pub pattern_properties: Vec<(GoRegex, NodeId)>,
    pub property_names: Option<NodeId>,
    pub dependencies: BTreeMap<String, Dependency>,
    pub items: Vec<NodeId>,
    /// `items` is one schema for every element (not a positional array).
    pub items_single: bool,
    pub additional_items: Additional,
    pub multiple_of: Option<Decimal>,
    pub maximum: Option<Decimal>,
    pub exclusive_maximum: Option<Decimal>,
    pub minimum: Option<Decimal>,
    pub exclusive_minimum: Option<Decimal>,
    pub min_length: Option<i64>,
    pub max_length: Option<i64>,
    pub pattern: Option<GoRegex>,
    pub format: String,
    pub min_properties: Option<i64>,
    pub max_properties: Option<i64>,
    pub required: Vec<String>,
    pub min_items: Option<i64>,
    pub max_items: Option<i64>,
    pub unique_items: bool,
    pub contains: Option<NodeId>,
    /// Go's JSON text of `const`.
    pub constant: Option<String>,
    /// Go's JSON text of each `enum` value.
    pub enumeration: Vec<String>,
    pub one_of: Vec<NodeId>,
    pub any_of: Vec<NodeId>,
    pub all_of: Vec<NodeId>,
    pub not: Option<NodeId>,
    pub if_: Option<NodeId>,
    pub then_: Option<NodeId>,
    pub else_: Option<NodeId>,
}

/// A compiled schema: its nodes, the first being the root.
#[derive(Debug)]
pub(crate) struct Schema {
    pub nodes: Vec<Node>,
}

/// Nesting of subschemas (through `$ref`s too) compiled recursively; the
/// document's own nesting is already bounded by the JSON parser.
const MAX_DEPTH: usize = 1500;

const JSON_TYPES: [&str; 7] = [
    "array", "boolean", "integer", "number", "null", "object", "string",
];

/// What Helm prints for a Go panic it recovers while compiling: gojsonschema
/// asserts `definitions` is a map after accepting a boolean.
const DEFINITIONS_PANIC: &str = "unable to validate schema: interface conversion: interface {} is bool, not map[string]interface {}";

/// Compile a schema document (`values.schema.json`'s bytes); the error is
/// the text Helm prints in place of the error list.
pub(crate) fn compile(bytes: &[u8]) -> Result<Schema, String> {
    let mut doc = super::json::parse(bytes)?;
    let draft = match &doc {
        Json::Bool(_) => Draft::Hybrid,
        Json::Object(_) => detect_draft(&doc)?,
        _ => return Err("schema is invalid".into()),
    };
    let mut ids = HashMap::new();
    scan_references(&mut doc, &Uri::default(), &mut Vec::new(), &mut ids);
    let mut pool: HashMap<String, &Json> = HashMap::new();
    for (key, path) in &ids {
        if let Some(node) = follow(&doc, path) {
            pool.insert(key.clone(), node);
        }
    }
    pool.insert(String::new(), &doc);
    // Every subschema is an object (or a boolean), so the objects in the
    // text bound the nodes well; sizing the vector once spares copying the
    // large nodes each time it would grow.
    let mut nodes = Vec::with_capacity(bytes.iter().filter(|&&b| b == b'{').count() + 1);
    nodes.push(Node::default());
    let mut c = Compiler {
        draft,
        pool,
        refs: HashMap::new(),
        nodes,
    };
    c.parse(&doc, 0, 0)?;
    Ok(Schema { nodes: c.nodes })
}

/// The draft a `$schema` names (compared as Go prints the URL, so an empty
/// fragment does not count), else hybrid.
fn detect_draft(doc: &Json) -> Result<Draft, String> {
    let Json::Object(map) = doc else {
        return Ok(Draft::Hybrid);
    };
    match map.get("$schema") {
        None => Ok(Draft::Hybrid),
        Some(Json::String(s)) => {
            let uri = Uri::parse(s)?.to_string();
            Ok(match uri.as_str() {
                "http://json-schema.org/draft-04/schema" => Draft::Draft4,
                "http://json-schema.org/draft-06/schema" => Draft::Draft6,
                "http://json-schema.org/draft-07/schema" => Draft::Draft7,
                _ => Draft::Hybrid,
            })
        }
        Some(_) => Err("$schema must be of type string".into()),
    }
}

/// A step from a document's root to one of its nodes.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn follow<'d>(doc: &'d Json, path: &[Step]) -> Option<&'d Json> {
    let mut node = doc;
    for step in path {
        node = match (node, step) {
            (Json::Object(m), Step::Key(k)) => m.get(k)?,
            (Json::Array(a), Step::Index(i)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

/// gojsonschema's reference pre-pass over the whole document (not only
/// schema positions: `default` and `examples` too, but not `const`/`enum`
/// values nor the names under `properties`, `dependencies` and
/// `patternProperties`): every `id` (else `$id`) registers its node under
/// the URI it resolves to in its scope (the first registration of a URI
/// wins and stops the walk there), and every `$ref` is rewritten to its
/// absolute form. Malformed ids and refs are left for the parser to report.
fn scan_references<'a>(
    doc: &'a mut Json,
    scope: &Uri,
    path: &mut Vec<StepRef<'a>>,
    ids: &mut HashMap<String, Vec<Step>>,
) {
    match doc {
        Json::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(StepRef::Index(i));
                scan_references(item, scope, path, ids);
                path.pop();
            }
        }
        Json::Object(map) => {
            let resolved;
            let mut local = scope;
            let key_id = if map.contains_key("id") { "id" } else { "$id" };
            if let Some(Json::String(id)) = map.get(key_id)
                && let Ok(id) = Uri::parse(id)
            {
                resolved = scope.resolve(&id);
                local = &resolved;
                let key = local.to_string();
                if ids.contains_key(&key) {
                    return;
                }
                ids.insert(key, path.iter().copied().map(StepRef::owned).collect());
            }
            if let Some(Json::String(r)) = map.get_mut("$ref")
                && let Ok(reference) = Uri::parse(r)
            {
                *r = local.resolve(&reference).to_string();
            }
            for (k, v) in map {
                match k.as_str() {
                    "const" | "enum" => {}
                    "properties" | "dependencies" | "patternProperties" => {
                        if let Json::Object(children) = v {
                            path.push(StepRef::Key(k));
                            for (name, child) in children {
                                path.push(StepRef::Key(name));
                                scan_references(child, local, path, ids);
                                path.pop();
                            }
                            path.pop();
                        }
                    }
                    _ => {
                        path.push(StepRef::Key(k));
                        scan_references(v, local, path, ids);
                        path.pop();
                    }
                }
            }
        }
        _ => {}
    }
}

/// A [`Step`] borrowing its key from the document being scanned.
#[derive(Debug, Clone, Copy)]
enum StepRef<'a> {
    Key(&'a str),
    Index(usize),
}

impl StepRef<'_> {
    fn owned(self) -> Step {
        match self {
            StepRef::Key(k) => Step::Key(k.to_string()),
            StepRef::Index(i) => Step::Index(i),
        }
    }
}

/// The keywords gojsonschema reads, in one table.
const KEYWORDS: [&str; 39] = [
    "id",
    "$id",
    "definitions",
    "title",
    "description",
    "$ref",
    "type",
    "properties",
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "dependencies",
    "items",
    "additionalItems",
    "multipleOf",
    "minimum",
    "exclusiveMinimum",
    "maximum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minProperties",
    "maxProperties",
    "required",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "const",
    "enum",
    "oneOf",
    "anyOf",
    "allOf",
    "not",
    "if",
    "then",
    "else",
];

/// A keyword's index in [`KEYWORDS`] (a `match`, so lookups with a
/// literal fold to a constant).
#[inline]
fn keyword_index(key: &str) -> Option<usize> {
    match key {
        "id" => Some(0),
        "$id" => Some(1),
        "definitions" => Some(2),
        "title" => Some(3),
        "description" => Some(4),
        "$ref" => Some(5),
        "type" => Some(6),
        "properties" => Some(7),
        "additionalProperties" => Some(8),
        "patternProperties" => Some(9),
        "propertyNames" => Some(10),
        "dependencies" => Some(11),
        "items" => Some(12),
        "additionalItems" => Some(13),
        "multipleOf" => Some(14),
        "minimum" => Some(15),
        "exclusiveMinimum" => Some(16),
        "maximum" => Some(17),
        "exclusiveMaximum" => Some(18),
        "minLength" => Some(19),
        "maxLength" => Some(20),
        "pattern" => Some(21),
        "format" => Some(22),
        "minProperties" => Some(23),
        "maxProperties" => Some(24),
        "required" => Some(25),
        "minItems" => Some(26),
        "maxItems" => Some(27),
        "uniqueItems" => Some(28),
        "contains" => Some(29),
        "const" => Some(30),
        "enum" => Some(31),
        "oneOf" => Some(32),
        "anyOf" => Some(33),
        "allOf" => Some(34),
        "not" => Some(35),
        "if" => Some(36),
        "then" => Some(37),
        "else" => Some(38),
        _ => None,
    }
}

/// A schema object's keywords, gathered in one pass over its members (a
/// schema has a few members; looking each of the ~40 keywords up in it
/// would cost more than reading it once).
struct Keywords<'d> {
    slots: [Option<&'d Json>; KEYWORDS.len()],
}

impl<'d> Keywords<'d> {
    fn new(m: &'d BTreeMap<String, Json>) -> Keywords<'d> {
        let mut slots = [None; KEYWORDS.len()];
        debug_assert!(
            KEYWORDS
                .iter()
                .enumerate()
                .all(|(i, k)| keyword_index(k) == Some(i))
        );
        for (k, v) in m {
            if let Some(i) = keyword_index(k) {
                slots[i] = Some(v);
            }
        }
        Keywords { slots }
    }

    /// The member for `key`, which must be one of [`KEYWORDS`].
    #[inline]
    fn get(&self, key: &str) -> Option<&'d Json> {
        keyword_index(key).and_then(|i| self.slots[i])
    }
}

struct Compiler<'d> {
    draft: Draft,
    /// Documents by URI: the root (`""`), every registered id, and every
    /// reference resolved so far.
    pool: HashMap<String, &'d Json>,
    /// Compiled targets by reference text, so each is compiled once and
    /// cycles close on themselves.
    refs: HashMap<String, NodeId>,
    nodes: Vec<Node>,
}

fn invalid_type(expected: &str, given: &str) -> String {
    format!("Invalid type. Expected: {expected}, given: {given}")
}

/// gojsonschema's `mustBeInteger`: a whole number whose text is a plain
/// `int64` (`2.0` and `1e2` are not).
fn must_be_integer(v: &Json) -> Option<i64> {
    match v {
        Json::Number(n) if Decimal::parse(n).is_some_and(|d| d.is_integer()) => n.parse().ok(),
        _ => None,
    }
}

fn must_be_number(v: &Json) -> Option<Decimal> {
    match v {
        Json::Number(n) => Decimal::parse(n),
        _ => None,
    }
}

fn is_schema_kind(v: &Json) -> bool {
    matches!(v, Json::Object(_) | Json::Bool(_))
}

impl<'d> Compiler<'d> {
    fn alloc(&mut self) -> NodeId {
        self.nodes.push(Node::default());
        self.nodes.len() - 1
    }

    /// Compile a child schema into a new node.
    fn child(&mut self, doc: &'d Json, depth: usize) -> Result<NodeId, String> {
        let id = self.alloc();
        self.parse(doc, id, depth + 1)?;
        Ok(id)
    }

    /// A non-negative integer keyword (`minLength`, `maxItems`, ...).
    fn count(m: &Keywords<'_>, key: &str) -> Result<Option<i64>, String> {
        let Some(v) = m.get(key) else {
            return Ok(None);
        };
        let n = must_be_integer(v).ok_or_else(|| format!("{key} must be of an integer"))?;
        if n < 0 {
            return Err(format!("{key} must be greater than or equal to 0"));
        }
        Ok(Some(n))
    }

    /// `exclusiveMinimum`/`exclusiveMaximum` as each draft reads it: a
    /// flag on the bound (draft 4), a bound of its own (6, 7), either
    /// (hybrid). Returns the (inclusive, exclusive) bounds.
    fn exclusive(
        &self,
        m: &Keywords<'_>,
        key: &str,
        bound_key: &str,
        bound: Option<Decimal>,
    ) -> Result<(Option<Decimal>, Option<Decimal>), String> {
        let Some(v) = m.get(key) else {
            return Ok((bound, None));
        };
        let flag = |b: bool| {
            if bound.is_none() {
                return Err(format!("{key} cannot be used without {bound_key}"));
            }
            Ok(if b { (None, bound) } else { (bound, None) })
        };
        match (self.draft, v) {
            (Draft::Draft4, Json::Bool(b)) | (Draft::Hybrid, Json::Bool(b)) => flag(*b),
            (Draft::Draft4, _) => Err(invalid_type("boolean", key)),
            (Draft::Hybrid, Json::Number(_)) => Ok((bound, must_be_number(v))),
            (Draft::Hybrid, _) => Err(invalid_type("boolean/number", key)),
            (_, Json::Number(_)) => Ok((bound, must_be_number(v))),
            _ => Err(invalid_type("number", key)),
        }
    }

    /// The document a resolved reference points at (gojsonschema's
    /// `schemaPool.GetDocument`). Only this document's parts resolve:
    /// Helm would fetch other `http(s)://` and `file://` documents, which a
    /// renderer must not do, so those are reported as errors.
    fn document(&mut self, uri: &Uri) -> Result<&'d Json, String> {
        let key = uri.to_string();
        if let Some(doc) = self.pool.get(&key) {
            return Ok(doc);
        }
        let base = uri.without_fragment().to_string();
        if let Some(doc) = self.pool.get(&base).copied() {
            let node = pointer_get(doc, &uri.fragment())?;
            self.pool.insert(key, node);
            return Ok(node);
        }
        if !uri.is_canonical() {
            return Err(format!("Reference {key} must be canonical"));
        }
        Err(format!(
            "Reference {key} is not loaded: deckmod resolves references within the schema only"
        ))
    }

    /// Compile `doc` into node `id` (gojsonschema's `parseSchema`).
    fn parse(&mut self, doc: &'d Json, id: NodeId, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("exceeded max depth".into());
        }
        if self.draft >= Draft::Draft6
            && let Json::Bool(b) = doc
        {
            self.nodes[id].pass = Some(*b);
            return Ok(());
        }
        let Json::Object(m) = doc else {
            return Err("Expected: valid schema, given: Invalid JSON".into());
        };
        let m = &Keywords::new(m);
        let mut n = Node::default();

        let key_id = match self.draft {
            Draft::Draft4 => "id",
            Draft::Hybrid if m.get("id").is_some() => "id",
            _ => "$id",
        };
        match m.get(key_id) {
            None => {}
            Some(Json::String(s)) => {
                Uri::parse(s)?;
            }
            Some(_) => return Err(invalid_type("string", key_id)),
        }

        match m.get("definitions") {
            None => {}
            Some(Json::Object(defs)) => {
                for def in defs.values() {
                    if !is_schema_kind(def) {
                        return Err(invalid_type("array of schemas", "definitions"));
                    }
                    self.child(def, depth)?;
                }
            }
            Some(Json::Bool(_)) => return Err(DEFINITIONS_PANIC.into()),
            Some(_) => return Err(invalid_type("array of schemas", "definitions")),
        }

        for key in ["title", "description"] {
            if m.get(key).is_some_and(|v| !matches!(v, Json::String(_))) {
                return Err(invalid_type("string", key));
            }
        }

        match m.get("$ref") {
            None => {}
            Some(Json::String(r)) => {
                let uri = Uri::parse(r)?;
                let key = uri.to_string();
                if let Some(&target) = self.refs.get(&key) {
                    // Already compiled: gojsonschema goes on to read the
                    // siblings (so their errors count) but never uses them.
                    n.ref_schema = Some(target);
                } else {
                    let target = self.alloc();
                    self.refs.insert(key, target);
                    let doc = self.document(&uri)?;
                    if !is_schema_kind(doc) {
                        return Err("valid schema must be of type object".into());
                    }
                    self.parse(doc, target, depth + 1)?;
                    self.nodes[id].ref_schema = Some(target);
                    return Ok(());
                }
            }
            Some(_) => return Err(invalid_type("string", "$ref")),
        }

        match m.get("type") {
            None => {}
            Some(Json::String(t)) => add_type(&mut n.types, t)?,
            Some(Json::Array(ts)) => {
                for t in ts {
                    let Json::String(t) = t else {
                        return Err(invalid_type("string/array of strings", "type"));
                    };
                    add_type(&mut n.types, t)?;
                }
            }
            Some(_) => return Err(invalid_type("string/array of strings", "type")),
        }

        match m.get("properties") {
            None => {}
            Some(Json::Object(props)) => {
                for (name, prop) in props {
                    let child = self.child(prop, depth)?;
                    n.properties.push((name.clone(), child));
                }
            }
            Some(_) => return Err("properties must be of type object".into()),
        }

        n.additional_properties = self.additional(m, "additionalProperties", depth)?;

        match m.get("patternProperties") {
            None => {}
            Some(Json::Object(patterns)) => {
                for (pattern, sub) in patterns {
                    let Ok(re) = GoRegex::new(pattern) else {
                        return Err(format!("Invalid regex pattern '{pattern}'"));
                    };
                    let child = self.child(sub, depth)?;
                    n.pattern_properties.push((re, child));
                }
            }
            Some(_) => return Err(invalid_type("valid schema", "patternProperties")),
        }

        if self.draft >= Draft::Draft6
            && let Some(v) = m.get("propertyNames")
        {
            if !is_schema_kind(v) {
                // (sic: gojsonschema names the wrong keyword)
                return Err(invalid_type("valid schema", "patternProperties"));
            }
            n.property_names = Some(self.child(v, depth)?);
        }

        match m.get("dependencies") {
            None => {}
            Some(Json::Object(deps)) => {
                const WRONG: &str = "dependency must be of type schema or array of strings";
                for (name, dep) in deps {
                    match dep {
                        Json::Array(props) => {
                            let mut names = Vec::new();
                            for p in props {
                                let Json::String(p) = p else {
                                    return Err(WRONG.into());
                                };
                                names.push(p.clone());
                            }
                            // An empty list registers nothing.
                            if !names.is_empty() {
                                n.dependencies
                                    .insert(name.clone(), Dependency::Properties(names));
                            }
                        }
                        Json::Object(_) | Json::Bool(_) => {
                            let child = self.child(dep, depth)?;
                            n.dependencies
                                .insert(name.clone(), Dependency::Schema(child));
                        }
                        _ => return Err(WRONG.into()),
                    }
                }
            }
            Some(_) => return Err("dependencies must be of type object".into()),
        }

        match m.get("items") {
            None => {}
            Some(Json::Array(items)) => {
                for item in items {
                    if !is_schema_kind(item) {
                        return Err(invalid_type("valid schema/array of schemas", "items"));
                    }
                    let child = self.child(item, depth)?;
                    n.items.push(child);
                }
            }
            Some(item @ (Json::Object(_) | Json::Bool(_))) => {
                let child = self.child(item, depth)?;
                n.items.push(child);
                n.items_single = true;
            }
            Some(_) => return Err(invalid_type("valid schema/array of schemas", "items")),
        }

        n.additional_items = self.additional(m, "additionalItems", depth)?;

        if let Some(v) = m.get("multipleOf") {
            let d = must_be_number(v).ok_or_else(|| invalid_type("number", "multipleOf"))?;
            if d.is_negative() || d.is_zero() {
                return Err("multipleOf must be strictly greater than 0".into());
            }
            n.multiple_of = Some(d);
        }

        let minimum = match m.get("minimum") {
            None => None,
            Some(v) => Some(must_be_number(v).ok_or("minimum must be of a number")?),
        };
        (n.minimum, n.exclusive_minimum) =
            self.exclusive(m, "exclusiveMinimum", "minimum", minimum)?;
        let maximum = match m.get("maximum") {
            None => None,
            Some(v) => Some(must_be_number(v).ok_or("maximum must be of a number")?),
        };
        (n.maximum, n.exclusive_maximum) =
            self.exclusive(m, "exclusiveMaximum", "maximum", maximum)?;

        n.min_length = Self::count(m, "minLength")?;
        n.max_length = Self::count(m, "maxLength")?;
        if let (Some(lo), Some(hi)) = (n.min_length, n.max_length)
            && lo > hi
        {
            return Err("minLength cannot be greater than maxLength".into());
        }

        match m.get("pattern") {
            None => {}
            Some(Json::String(p)) => {
                n.pattern = Some(GoRegex::new(p).map_err(|()| "pattern must be a valid regex")?);
            }
            Some(_) => return Err("pattern must be of a string".into()),
        }

        match m.get("format") {
            None => {}
            Some(Json::String(f)) => n.format = f.clone(),
            Some(_) => return Err("format must be of type string".into()),
        }

        n.min_properties = Self::count(m, "minProperties")?;
        n.max_properties = Self::count(m, "maxProperties")?;
        if let (Some(lo), Some(hi)) = (n.min_properties, n.max_properties)
            && lo > hi
        {
            return Err("minProperties cannot be greater than maxProperties".into());
        }

        match m.get("required") {
            None => {}
            Some(Json::Array(names)) => {
                for name in names {
                    let Json::String(name) = name else {
                        return Err("required items must be string".into());
                    };
                    if n.required.contains(name) {
                        return Err("required items must be unique".into());
                    }
                    n.required.push(name.clone());
                }
            }
            Some(_) => return Err("required must be of an array".into()),
        }

        n.min_items = Self::count(m, "minItems")?;
        n.max_items = Self::count(m, "maxItems")?;

        match m.get("uniqueItems") {
            None => {}
            Some(Json::Bool(b)) => n.unique_items = *b,
            Some(_) => return Err("uniqueItems must be of a boolean".into()),
        }

        if self.draft >= Draft::Draft6
            && let Some(v) = m.get("contains")
        {
            n.contains = Some(self.child(v, depth)?);
        }

        if self.draft >= Draft::Draft6
            && let Some(v) = m.get("const")
        {
            let mut text = String::new();
            marshal_json(v, &mut text)?;
            n.constant = Some(text);
        }

        match m.get("enum") {
            None => {}
            Some(Json::Array(values)) => {
                for v in values {
                    let mut text = String::new();
                    marshal_json(v, &mut text)?;
                    if n.enumeration.contains(&text) {
                        return Err("enum items must be unique".into());
                    }
                    n.enumeration.push(text);
                }
            }
            Some(_) => return Err("enum must be of an array".into()),
        }

        // (sic: a non-array allOf is reported as anyOf, as gojsonschema does)
        for (key, reported) in [("oneOf", "oneOf"), ("anyOf", "anyOf"), ("allOf", "anyOf")] {
            match m.get(key) {
                None => {}
                Some(Json::Array(subs)) => {
                    let mut ids = Vec::with_capacity(subs.len());
                    for sub in subs {
                        ids.push(self.child(sub, depth)?);
                    }
                    match key {
                        "oneOf" => n.one_of = ids,
                        "anyOf" => n.any_of = ids,
                        _ => n.all_of = ids,
                    }
                }
                Some(_) => return Err(format!("{reported} must be of an array")),
            }
        }

        n.not = self.object_child(m, "not", depth)?;
        if self.draft >= Draft::Draft7 {
            n.if_ = self.object_child(m, "if", depth)?;
            n.then_ = self.object_child(m, "then", depth)?;
            n.else_ = self.object_child(m, "else", depth)?;
        }

        self.nodes[id] = n;
        Ok(())
    }

    /// `not`, `if`, `then`, `else`: a schema or boolean.
    fn object_child(
        &mut self,
        m: &Keywords<'d>,
        key: &str,
        depth: usize,
    ) -> Result<Option<NodeId>, String> {
        match m.get(key) {
            None => Ok(None),
            Some(v) if is_schema_kind(v) => Ok(Some(self.child(v, depth)?)),
            Some(_) => Err(format!("{key} must be of an object")),
        }
    }

    /// `additionalProperties` / `additionalItems`: a boolean or a schema.
    fn additional(
        &mut self,
        m: &Keywords<'d>,
        key: &str,
        depth: usize,
    ) -> Result<Additional, String> {
        match m.get(key) {
            None => Ok(Additional::Unset),
            Some(Json::Bool(b)) => Ok(Additional::Bool(*b)),
            Some(v @ Json::Object(_)) => Ok(Additional::Schema(self.child(v, depth)?)),
            Some(_) => Err(invalid_type("boolean/valid schema", key)),
        }
    }
}

fn add_type(types: &mut Vec<&'static str>, t: &str) -> Result<(), String> {
    let Some(known) = JSON_TYPES.iter().find(|k| **k == t) else {
        return Err(format!(
            "has a primitive type that is NOT VALID -- given: /{t}/ Expected valid values are:[{}]",
            JSON_TYPES.join(" ")
        ));
    };
    if types.contains(known) {
        return Err(format!("{t} type is duplicated"));
    }
    types.push(known);
    Ok(())
}
