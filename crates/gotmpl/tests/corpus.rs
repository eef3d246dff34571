//! Conformance against Go's own `text/template` test tables
//! (`tests/corpus/gotemplate/*.jsonl`, see `tests/corpus/README.md`).
//!
//! Every row runs, except the rows listed in [`NOT_APPLICABLE`] with the
//! reason they cannot apply to this value model. Rows the corpus marks
//! `go_specific` (Go methods, function-valued fields, typed maps, pointers,
//! `%T` of Go types) are skipped as a group and counted. Each test prints its
//! pass count and fails listing every row that differs from Go.

use std::path::PathBuf;
use std::rc::Rc;

use gotmpl::parser::{self, ParseOptions};
use gotmpl::tree::{TextStyle, write_list};
use gotmpl::{FuncError, FuncMap, Object, Templates, Value};
use serde_json::Value as Json;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/gotemplate")
}

fn rows(file: &str) -> Vec<Json> {
    let path = corpus_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("corpus row is JSON"))
        .collect()
}

fn json_file(file: &str) -> Value {
    let path = corpus_dir().join(file);
    let mut j: Json =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("corpus data file"))
            .expect("JSON");
    if let Some(o) = j.as_object_mut() {
        o.remove("_comment");
    }
    Value::from_json(&j)
}

/// Rows that cannot apply, with the reason: `(table, index, reason)`.
const NOT_APPLICABLE: &[(&str, u64, &str)] = &[
    (
        "execTests",
        50,
        "Empty4 holds a Go struct, printed {UinEmpty}; JSON data has maps, printed map[V:UinEmpty]",
    ),
    (
        "execTests",
        175,
        "MSI is map[string]int in Go: a missing key indexes to 0; JSON maps hold interface{} (nil)",
    ),
    (
        "execTests",
        173,
        "MSI is map[string]int in Go: a missing key indexes to 0; JSON maps hold interface{} (nil)",
    ),
    (
        "execTests",
        195,
        "SICap has len 0 and cap 5 in Go (slicing past len); a JSON list has no spare capacity",
    ),
    (
        "execTests",
        196,
        "SICap has len 0 and cap 5 in Go (slicing past len); a JSON list has no spare capacity",
    ),
    (
        "templateFileExecTests",
        0,
        "reads Go's testdata/*.tmpl files, which are not vendored in the corpus",
    ),
];

/// Why rows tagged `go_specific` cannot run on this value model, per tag.
const GO_SPECIFIC_REASONS: &[(&str, &str)] = &[
    ("method", "calls Go methods of the test struct"),
    ("data", "dot is a Go expression with no JSON form"),
    ("go-expr", "dot is a Go expression with no JSON form"),
    (
        "call-builtin",
        "`call` needs function values, which JSON data cannot hold",
    ),
    ("func-field", "reads a function-valued struct field"),
    ("printf-%T", "prints Go type names of Go-typed data"),
    (
        "go-typed-helper",
        "a helper function with a Go-typed signature",
    ),
    (
        "go-typed-data",
        "data whose Go type (uint, int8, ...) JSON loses",
    ),
    ("typed-map", "maps keyed by Go integer types"),
    ("pointer", "Go pointers and their nil-ness"),
    ("Stringer", "a fmt.Stringer implementation"),
    ("interface", "a non-empty Go interface value"),
    ("complex-literal", "complex number literals (not supported)"),
    ("complex", "complex numbers (not supported)"),
    ("complex-data", "complex numbers (not supported)"),
    ("error-type", "a Go error value"),
    ("unsafe-pointer", "an unsafe.Pointer"),
    ("unexported", "an unexported struct field"),
    // cmpStruct fields whose Go types decide the comparison result.
    ("NilIface", "compares a nil Go interface field"),
    ("Map", "compares a nil Go map (comparable to nil only)"),
    (
        "NonNilMap",
        "compares a non-nil Go map (comparable to nil only)",
    ),
    ("Ptr", "compares a Go pointer"),
    ("NilPtr", "compares a nil Go pointer"),
    ("Iface1", "compares a *strings.Builder inside an interface"),
    ("V1", "compares Go struct values"),
    ("V2", "compares Go struct values"),
];

/// Check a skipped row is explained by [`GO_SPECIFIC_REASONS`].
fn assert_explained(row: &Json) {
    for tag in row["go_specific"].as_array().into_iter().flatten() {
        let tag = tag.as_str().unwrap_or_default();
        let kind = tag.split(':').next().unwrap_or_default();
        assert!(
            GO_SPECIFIC_REASONS.iter().any(|(k, _)| *k == kind),
            "row {} #{} has unexplained go_specific tag {tag}",
            row["table"],
            row["index"]
        );
    }
}

fn not_applicable(row: &Json) -> bool {
    let table = row["table"].as_str().unwrap_or_default();
    let index = row["index"].as_u64().unwrap_or(u64::MAX);
    NOT_APPLICABLE
        .iter()
        .any(|(t, i, _)| *t == table && *i == index)
}

fn portable(row: &Json) -> bool {
    row.get("portable").and_then(Json::as_bool).unwrap_or(true)
}

fn string_arg(args: &[Value], i: usize) -> Result<String, FuncError> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.to_string()),
        Some(other) => Err(FuncError::new(format!(
            "wrong type for value; expected string; got {}",
            gotmpl::fmt::type_name(other)
        ))),
        None => Err(FuncError::new("missing argument")),
    }
}

fn want_args(name: &str, args: &[Value], n: usize) -> Result<(), FuncError> {
    if args.len() != n {
        return Err(FuncError::new(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        )));
    }
    Ok(())
}

/// The helper functions Go's exec tests register.
fn test_funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.insert_pure("add", |args| {
        let mut sum = 0i64;
        for a in args {
            match a {
                Value::Int(i) => sum += i,
                other => return Err(FuncError::new(format!("add: not an int: {other:?}"))),
            }
        }
        Ok(Value::Int(sum))
    });
    f.insert_pure("echo", |args| Ok(args.first().cloned().unwrap_or_default()));
    f.insert_pure("makemap", |args| {
        let mut m = gotmpl::Map::new();
        for pair in args.chunks(2) {
            let k = pair[0].as_str().unwrap_or_default().to_string();
            let v = pair.get(1).and_then(Value::as_str).unwrap_or_default();
            m.insert(k, Value::str(v));
        }
        Ok(Value::map(m))
    });
    f.insert_pure("mapOfThree", |args| {
        want_args("mapOfThree", args, 0)?;
        let mut m = gotmpl::Map::new();
        m.insert("three".to_string(), Value::Int(3));
        Ok(Value::map(m))
    });
    f.insert_pure("oneArg", |args| {
        want_args("oneArg", args, 1)?;
        Ok(Value::str(format!("oneArg={}", string_arg(args, 0)?)))
    });
    f.insert_pure("twoArgs", |args| {
        want_args("twoArgs", args, 2)?;
        Ok(Value::str(format!(
            "twoArgs={}{}",
            string_arg(args, 0)?,
            string_arg(args, 1)?
        )))
    });
    f.insert_pure("dddArg", |args| {
        if !matches!(args.first(), Some(Value::Int(_))) {
            return Err(FuncError::new("dddArg wants an int first"));
        }
        for i in 1..args.len() {
            string_arg(args, i)?;
        }
        Ok(Value::str(gotmpl::fmt::sprintln(args)))
    });
    f.insert_pure("returnInt", |args| {
        want_args("returnInt", args, 0)?;
        Ok(Value::Int(7))
    });
    f.insert_pure("valueString", |args| {
        want_args("valueString", args, 1)?;
        string_arg(args, 0)?;
        Ok(Value::str("value is ignored"))
    });
    f.insert_pure("zeroArgs", |args| {
        want_args("zeroArgs", args, 0)?;
        Ok(Value::str("zeroArgs"))
    });
    f.insert_pure("die", |_| Err(FuncError::new("die")));
    f
}

/// Go's test struct `T` as a host object: its fields from `tdata.json` plus
/// the methods that rows tagged `method:*` call, so those rows exercise
/// method calls on objects.
#[derive(Debug)]
struct TObject {
    fields: Value,
}

/// Go's `U` struct: field `V`, method `TrueFalse`.
#[derive(Debug)]
struct UObject;

impl Object for UObject {
    fn type_name(&self) -> &str {
        "*template.U"
    }
    fn field(&self, name: &str) -> Option<Value> {
        (name == "V").then(|| Value::str("v"))
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        (name == "TrueFalse").then(|| match args {
            [Value::Bool(b)] => Ok(Value::str(if *b { "true" } else { "false" })),
            _ => Err("TrueFalse wants a bool".to_string()),
        })
    }
}

impl Object for TObject {
    fn type_name(&self) -> &str {
        "*template.T"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "U" | "GetU" => Some(Value::Object(Rc::new(UObject))),
            "Method0" => Some(Value::str("M0")),
            "Copy" => Some(Value::Object(Rc::new(TObject {
                fields: self.fields.clone(),
            }))),
            _ => match &self.fields {
                Value::Map(m) => m.borrow().get(name).cloned(),
                _ => None,
            },
        }
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let wrong = || Err(format!("wrong arguments for {name}: {args:?}"));
        Some(match (name, args) {
            ("Method0", []) => Ok(Value::str("M0")),
            ("Method1", [Value::Int(i)]) => Ok(Value::Int(*i)),
            ("Method2", [Value::Int(a), Value::String(b)]) => {
                Ok(Value::str(format!("Method2: {a} {b}")))
            }
            ("Method3", [v]) => Ok(Value::str(gotmpl::fmt::sprintf(
                "Method3: %v",
                std::slice::from_ref(v),
            ))),
            ("MAdd", [Value::Int(a), Value::List(b)]) => Ok(Value::list(
                b.iter()
                    .map(|x| {
                        if let Value::Int(x) = x {
                            Value::Int(x + a)
                        } else {
                            x.clone()
                        }
                    })
                    .collect(),
            )),
            ("MyError", [Value::Bool(true)]) => Err("my error".to_string()),
            ("MyError", [Value::Bool(false)]) => Ok(Value::Bool(false)),
            ("Method0" | "Method1" | "Method2" | "Method3" | "MAdd" | "MyError", _) => wrong(),
            _ => return None,
        })
    }
}

/// Go-specific exec rows that run with [`TObject`] or a Go rune as dot: (index, dot).
const RUN_WITH_HOST_OBJECTS: &[(u64, &str)] = &[
    (57, "T"),
    (58, "T"),
    (59, "T"),
    (60, "T"),
    (61, "T"),
    (62, "T"),
    (63, "T"),
    (65, "T"),
    (66, "T"),
    (67, "T"),
    (68, "T"),
    (93, "T"),
    (100, "T"),
    (139, "T"),
    (245, "T"),
    (275, "int5"),
    (283, "nil"),
    (286, "T"),
    (287, "T"),
    (307, "T"),
    (310, "T"),
    (326, "T{}"),
    (327, "T{}"),
    (328, "T{}"),
    (329, "T{}"),
    (330, "T"),
    (351, "'.'"),
    (352, "'e'"),
    (353, "'P'"),
];

fn host_object_dot(kind: &str, tval: &Value) -> Value {
    match kind {
        "T" => Value::Object(Rc::new(TObject {
            fields: tval.clone(),
        })),
        "T{}" => Value::Object(Rc::new(TObject {
            fields: Value::map(gotmpl::Map::new()),
        })),
        "int5" => Value::Int(5),
        rune if rune.starts_with('\'') => {
            Value::Int(rune.chars().nth(1).map_or(0, |c| i64::from(u32::from(c))))
        }
        _ => Value::Nil,
    }
}

fn row_data(row: &Json, tval: &Value) -> Value {
    match row["data_ref"].as_str() {
        Some("tVal") => tval.clone(),
        Some("literal") => Value::from_json(&row["data"]),
        _ => Value::Nil,
    }
}

/// Run execution rows; returns (passed, skipped-go-specific, failures).
fn run_exec_rows(file: &str) -> (usize, usize, Vec<String>) {
    let tval = json_file("tdata.json");
    let (mut passed, mut skipped, mut failures) = (0, 0, Vec::new());
    for row in rows(file) {
        if not_applicable(&row) {
            continue;
        }
        let host_dot = RUN_WITH_HOST_OBJECTS
            .iter()
            .find(|(i, _)| row["table"] == "execTests" && row["index"].as_u64() == Some(*i))
            .map(|(_, kind)| host_object_dot(kind, &tval));
        if !portable(&row) && host_dot.is_none() {
            assert_explained(&row);
            skipped += 1;
            continue;
        }
        let name = row["name"].as_str().unwrap_or("test").to_string();
        let template = row["template"].as_str().unwrap_or_default();
        let expected = row["expected"].as_str().unwrap_or_default();
        let ok = row["ok"].as_bool().unwrap_or(true);
        let mut set = Templates::new(test_funcs());
        let mut result: Result<String, String> = Ok(String::new());
        if let Some(setup) = row.get("setup_templates").and_then(Json::as_array) {
            for (i, s) in setup.iter().enumerate() {
                if let Err(e) = set.parse(&format!("setup{i}"), s.as_str().unwrap_or_default()) {
                    result = Err(e.to_string());
                }
            }
        }
        if result.is_ok() {
            result = set
                .parse(&name, template)
                .map_err(|e| e.to_string())
                .and_then(|()| {
                    let dot = host_dot.clone().unwrap_or_else(|| row_data(&row, &tval));
                    set.execute(&name, &dot).map_err(|e| e.to_string())
                });
        }
        match (ok, &result) {
            (true, Ok(out)) if out == expected => passed += 1,
            (false, Err(_)) => passed += 1,
            _ => failures.push(format!(
                "{} #{} {name}: {template:?} => {result:?}, want {expected:?} ok={ok}",
                row["table"], row["index"]
            )),
        }
    }
    (passed, skipped, failures)
}

fn report(what: &str, passed: usize, skipped: usize, failures: &[String]) {
    println!(
        "{what}: {passed} passed, {} failed, {skipped} Go-specific skipped",
        failures.len()
    );
    for f in failures {
        println!("  FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{what}: {} rows differ from Go",
        failures.len()
    );
}

#[test]
fn exec_tests() {
    let (passed, skipped, failures) = run_exec_rows("exec_tests.jsonl");
    report("exec_tests", passed, skipped, &failures);
    assert!(
        passed >= 200 + RUN_WITH_HOST_OBJECTS.len(),
        "portable rows and host-object rows run"
    );
}

#[test]
fn multi_exec_tests() {
    let (passed, skipped, failures) = run_exec_rows("multi_exec_tests.jsonl");
    report("multi_exec_tests", passed, skipped, &failures);
}

#[test]
fn cmp_tests() {
    let dot = json_file("cmpstruct.json");
    let (mut passed, mut skipped, mut failures) = (0, 0, Vec::new());
    for row in rows("cmp_tests.jsonl") {
        if not_applicable(&row) {
            continue;
        }
        if !portable(&row) {
            assert_explained(&row);
            skipped += 1;
            continue;
        }
        let template = row["template"].as_str().unwrap_or_default();
        let expected = row["expected"].as_str().unwrap_or_default();
        let ok = row["ok"].as_bool().unwrap_or(true);
        let mut set = Templates::new(FuncMap::new());
        let result = set
            .parse("cmp", template)
            .map_err(|e| e.to_string())
            .and_then(|()| set.execute("cmp", &dot).map_err(|e| e.to_string()));
        match (ok, &result) {
            (true, Ok(out)) if out == expected => passed += 1,
            (false, Err(_)) => passed += 1,
            _ => failures.push(format!(
                "#{} {template:?} => {result:?}, want {expected:?} ok={ok}",
                row["index"]
            )),
        }
    }
    report("cmp_tests", passed, skipped, &failures);
}

fn builtin_only(name: &str) -> bool {
    gotmpl::builtins::is_builtin(name)
}

#[test]
fn parse_tests() {
    // Go's parse tests lower the expression depth limit to 3.
    let options = ParseOptions {
        max_depth: 3,
        ..ParseOptions::default()
    };
    let (mut passed, mut failures) = (0, Vec::new());
    for row in rows("parse_tests.jsonl") {
        let template = row["template"].as_str().unwrap_or_default();
        let want = row["tree_string"].as_str().unwrap_or_default();
        let ok = row["ok"].as_bool().unwrap_or(true);
        let result = parser::parse("test", template, &builtin_only, options).map(|trees| {
            let mut s = String::new();
            if let Some(main) = trees.iter().find(|t| t.name == "test") {
                write_list(&mut s, &main.root, TextStyle::Quoted);
            }
            s
        });
        let good = match (&result, ok) {
            (Ok(s), true) => s == want,
            (Err(e), false) => !want.starts_with("template: ") || e.to_string() == want,
            _ => false,
        };
        if good {
            passed += 1;
        } else {
            failures.push(format!(
                "#{} {template:?} => {result:?}, want {want:?} ok={ok}",
                row["index"]
            ));
        }
    }
    report("parse_tests", passed, 0, &failures);
}

#[test]
fn parse_error_tests() {
    let (mut passed, mut failures) = (0, Vec::new());
    for row in rows("parse_error_tests.jsonl") {
        let name = row["name"].as_str().unwrap_or_default();
        let template = row["template"].as_str().unwrap_or_default();
        let want = row["error_contains"].as_str().unwrap_or_default();
        match parser::parse(name, template, &builtin_only, ParseOptions::default()) {
            Err(e) if e.to_string().contains(want) => passed += 1,
            other => failures.push(format!(
                "#{} {template:?} => {:?}, want error containing {want:?}",
                row["index"],
                other.map(|_| ())
            )),
        }
    }
    report("parse_error_tests", passed, 0, &failures);
}

#[test]
fn multi_parse_tests() {
    let (mut passed, mut failures) = (0, Vec::new());
    for row in rows("multi_parse_tests.jsonl") {
        let template = row["template"].as_str().unwrap_or_default();
        let ok = row["ok"].as_bool().unwrap_or(true);
        let mut set = Templates::new(FuncMap::new());
        let result = set.parse("root", template);
        let good = match (&result, ok) {
            (Ok(()), true) => {
                let names = row["names"].as_array().cloned().unwrap_or_default();
                let results = row["results"].as_array().cloned().unwrap_or_default();
                names.iter().zip(&results).all(|(n, r)| {
                    set.tree(n.as_str().unwrap_or_default())
                        .is_some_and(|t| t.root.to_string() == r.as_str().unwrap_or_default())
                })
            }
            (Err(_), false) => true,
            _ => false,
        };
        if good {
            passed += 1;
        } else {
            failures.push(format!(
                "#{} {template:?} => {result:?} ok={ok}",
                row["index"]
            ));
        }
    }
    report("multi_parse_tests", passed, 0, &failures);
}
