//! Execution behaviour Helm charts depend on: error wording and positions,
//! `missingkey` modes, re-entrant `include`/`tpl` through the call context,
//! recursion limits, shared mutable maps, host objects.

use std::cell::Cell;
use std::rc::Rc;

use gotmpl::{CallContext, FuncError, FuncMap, MissingKey, Object, Templates, Value};
use serde_json::json;

fn data(j: serde_json::Value) -> Value {
    Value::from_json(&j)
}

/// Helm's `include` and `tpl`, built on the call context, plus `set` and `fail`.
fn helm_like_funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.insert("include", |ctx: &mut dyn CallContext, args: &[Value]| {
        let name = args
            .first()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let data = args.get(1).cloned().unwrap_or_default();
        ctx.execute_template(&name, &data).map(Value::str)
    });
    f.insert("tpl", |ctx: &mut dyn CallContext, args: &[Value]| {
        let text = args
            .first()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let data = args.get(1).cloned().unwrap_or_default();
        ctx.execute_text(&text, &data).map(Value::str)
    });
    f.insert_pure("set", |args: &[Value]| {
        if let (Some(Value::Map(m)), Some(Value::String(k)), Some(v)) =
            (args.first(), args.get(1), args.get(2))
        {
            m.borrow_mut().insert(k.to_string(), v.clone());
            return Ok(args[0].clone());
        }
        Err(FuncError::new("set wants a dict, a key and a value"))
    });
    f.insert_pure("fail", |args: &[Value]| {
        Err(FuncError::new(
            args.first().and_then(Value::as_str).unwrap_or("failed"),
        ))
    });
    f
}

fn run(text: &str, dot: &Value) -> Result<String, String> {
    let mut set = Templates::new(helm_like_funcs());
    set.parse("t.yaml", text).map_err(|e| e.to_string())?;
    set.execute("t.yaml", dot).map_err(|e| e.to_string())
}

#[test]
fn missing_keys_follow_the_option() {
    let dot = data(json!({"a": {"b": 1}}));
    let text = "{{ .missing }}|{{ .missing.deeper }}";
    assert_eq!(run(text, &dot).unwrap(), "<no value>|<no value>");

    let mut set = Templates::new(FuncMap::new());
    set.parse("t", "{{ .missing.deeper }}").unwrap();
    set.set_missing_key(MissingKey::Zero);
    assert_eq!(
        set.execute("t", &dot).unwrap_err().to_string(),
        "template: t:1:11: executing \"t\" at <.missing.deeper>: nil pointer evaluating interface {}.deeper"
    );
    set.set_missing_key(MissingKey::Error);
    assert_eq!(
        set.execute("t", &dot).unwrap_err().to_string(),
        "template: t:1:11: executing \"t\" at <.missing.deeper>: map has no entry for key \"missing\""
    );
}

#[test]
fn errors_name_the_file_line_column_and_the_defined_template() {
    let mut set = Templates::new(helm_like_funcs());
    set.parse(
        "chart/templates/_helpers.tpl",
        "{{/* helpers */}}\n{{- define \"x\" -}}\n  {{ .a.b.c }}\n{{- end }}",
    )
    .unwrap();
    let err = set
        .execute("x", &data(json!({"a": {"b": "str"}})))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "template: chart/templates/_helpers.tpl:3:7: executing \"x\" at <.a.b.c>: can't evaluate field c in type interface {}"
    );
    let loc = err.location.as_deref().unwrap();
    assert_eq!(
        (loc.parse_name.as_str(), loc.line, loc.col),
        ("chart/templates/_helpers.tpl", 3, 7)
    );
    assert_eq!(err.context.as_deref(), Some(".a.b.c"));

    let err = run("a\n{{ fail \"boom\" }}", &Value::Nil).unwrap_err();
    assert_eq!(
        err,
        "template: t.yaml:2:3: executing \"t.yaml\" at <fail \"boom\">: error calling fail: boom"
    );
    assert_eq!(
        run("{{ nope }}", &Value::Nil).unwrap_err(),
        "template: t.yaml:1: function \"nope\" not defined"
    );
}

#[test]
fn include_and_tpl_are_reentrant_and_see_every_define() {
    let mut set = Templates::new(helm_like_funcs());
    set.parse("_h.tpl", "{{ define \"name\" }}{{ .n }}-{{ include \"suffix\" . }}{{ end }}{{ define \"suffix\" }}s{{ end }}")
        .unwrap();
    set.parse(
        "main",
        "{{ include \"name\" . | printf \"%q\" }} {{ tpl \"{{ include \\\"name\\\" . }}!\" . }}",
    )
    .unwrap();
    assert_eq!(
        set.execute("main", &data(json!({"n": "a"}))).unwrap(),
        "\"a-s\" a-s!"
    );
    // tpl parses into a copy: the set itself is unchanged.
    assert_eq!(set.names(), vec!["_h.tpl", "main", "name", "suffix"]);
    // Errors inside an include keep the inner position and are wrapped once per call.
    set.parse(
        "bad",
        "{{ define \"inner\" }}{{ fail \"x\" }}{{ end }}{{ include \"inner\" . }}",
    )
    .unwrap();
    assert_eq!(
        set.execute("bad", &Value::Nil).unwrap_err().to_string(),
        "template: bad:1:46: executing \"bad\" at <include \"inner\" .>: error calling include: \
         template: bad:1:23: executing \"inner\" at <fail \"x\">: error calling fail: x"
    );
}

#[test]
fn runaway_recursion_is_an_error_not_a_crash() {
    // Helm's include refuses a name nested more than 1000 times, counted by the context.
    let mut funcs = helm_like_funcs();
    funcs.insert("include", |ctx: &mut dyn CallContext, args: &[Value]| {
        let name = args
            .first()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if ctx.active_executions(&name) > 1000 {
            return Err(FuncError::new(format!(
                "rendering template has a nested reference name: {name}"
            )));
        }
        let data = args.get(1).cloned().unwrap_or_default();
        ctx.execute_template(&name, &data).map(Value::str)
    });
    let mut set = Templates::new(funcs);
    set.parse(
        "loop",
        "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}",
    )
    .unwrap();
    let err = set.execute("loop", &Value::Nil).unwrap_err().to_string();
    assert!(
        err.ends_with("error calling include: rendering template has a nested reference name: r"),
        "{}",
        &err[err.len() - 200..]
    );
    assert_eq!(err.matches("executing \"r\"").count(), 1001);

    // The executor's own limit stops `template` recursion (and includes without a check).
    set.parse(
        "loop2",
        "{{ define \"t\" }}{{ template \"t\" . }}{{ end }}{{ template \"t\" . }}",
    )
    .unwrap();
    let err = set.execute("loop2", &Value::Nil).unwrap_err().to_string();
    assert!(
        err.ends_with("exceeded maximum template depth (10000)"),
        "{err}"
    );
    let mut small = Templates::new(helm_like_funcs());
    small.options_mut().max_template_depth = 50;
    small
        .parse(
            "loop",
            "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}",
        )
        .unwrap();
    let err = small.execute("loop", &Value::Nil).unwrap_err().to_string();
    assert!(
        err.ends_with("error calling include: exceeded maximum template depth (50)"),
        "{err}"
    );

    // The deepest nesting the parser accepts evaluates without exhausting the stack.
    let deepest = "{{ ".to_string() + &"(".repeat(1000) + "1" + &")".repeat(1000) + " }}";
    assert_eq!(run(&deepest, &Value::Nil).unwrap(), "1");
    let deep = "{{ (".to_string() + &"(".repeat(2000) + "1" + &")".repeat(2001) + " }}";
    assert!(
        run(&deep, &Value::Nil)
            .unwrap_err()
            .contains("max expression depth exceeded")
    );
    let nested = "{{ if 1 }}".repeat(5000) + &"{{ end }}".repeat(5000);
    assert!(
        run(&nested, &Value::Nil)
            .unwrap_err()
            .contains("max nesting depth exceeded")
    );
}

#[test]
fn maps_are_shared_and_may_change_while_ranged() {
    let text = "{{ $d := dict }}{{ range $k, $v := .m }}{{ $_ := set $.m (printf \"%s2\" $k) $v }}{{ end }}{{ len .m }}";
    let mut funcs = helm_like_funcs();
    funcs.insert_pure("dict", |_| Ok(Value::map(gotmpl::Map::new())));
    let mut set = Templates::new(funcs);
    set.parse("t", text).unwrap();
    let dot = data(json!({"m": {"a": 1, "b": 2}}));
    assert_eq!(set.execute("t", &dot).unwrap(), "4");
}

#[test]
fn control_structures() {
    let dot = data(
        json!({"l": [1, 2, 3, 4], "m": {"b": 2, "a": 1}, "e": [], "f": 1.5, "big": 1000000.0}),
    );
    assert_eq!(
        run("{{ range $i, $v := .l }}{{ if eq $v 2 }}{{ continue }}{{ end }}{{ if gt $v 3 }}{{ break }}{{ end }}{{ $i }}:{{ $v }} {{ end }}", &dot)
            .unwrap(),
        "0:1 2:3 "
    );
    assert_eq!(
        run("{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}", &dot).unwrap(),
        "a=1;b=2;"
    );
    assert_eq!(
        run("{{ range .e }}x{{ else }}empty{{ end }}", &dot).unwrap(),
        "empty"
    );
    assert_eq!(run("{{ range 3 }}{{ . }}{{ end }}", &dot).unwrap(), "012");
    // Integer ranges are produced lazily: a huge count ended by break costs nothing.
    assert_eq!(
        run("{{ range 1000000000000 }}{{ . }}{{ break }}{{ end }}", &dot).unwrap(),
        "0"
    );
    assert_eq!(
        run(
            "{{ $x := 0 }}{{ range .l }}{{ $x = . }}{{ end }}{{ $x }}",
            &dot
        )
        .unwrap(),
        "4"
    );
    assert_eq!(
        run(
            "{{ with .nope }}a{{ else with .m.a }}{{ . }}{{ end }}",
            &dot
        )
        .unwrap(),
        "1"
    );
    assert_eq!(
        run("{{ .f }} {{ .big }} {{ .m }} {{ .l }}", &dot).unwrap(),
        "1.5 1e+06 map[a:1 b:2] [1 2 3 4]"
    );
    assert_eq!(
        run(
            "{{ or 0 \"\" .m.a (fail \"never\") }}{{ and 1 0 (fail \"never\") }}",
            &dot
        )
        .unwrap(),
        "10"
    );
    assert_eq!(
        run("{{- \"a\" -}}  \n  {{- /* c */ -}} b", &dot).unwrap(),
        "ab"
    );
    assert!(
        run("{{ eq .f 1 }}", &dot)
            .unwrap_err()
            .ends_with("error calling eq: incompatible types for comparison")
    );
}

#[derive(Debug)]
struct Release {
    calls: Cell<usize>,
}

impl Object for Release {
    fn type_name(&self) -> &str {
        "*release.Release"
    }
    fn field(&self, name: &str) -> Option<Value> {
        (name == "Name").then(|| Value::str("rel"))
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        (name == "Greet").then(|| {
            self.calls.set(self.calls.get() + 1);
            match args {
                [Value::String(s)] => Ok(Value::str(format!("hi {s}"))),
                _ => Err(format!("Greet wants one string, got {}", args.len())),
            }
        })
    }
}

#[test]
fn objects_have_fields_and_methods() {
    let rel = Rc::new(Release {
        calls: Cell::new(0),
    });
    let mut m = gotmpl::Map::new();
    m.insert("Release".to_string(), Value::Object(rel.clone()));
    let dot = Value::map(m);
    assert_eq!(
        run(
            "{{ .Release.Name }} {{ .Release.Greet \"you\" }} {{ \"x\" | .Release.Greet }}",
            &dot
        )
        .unwrap(),
        "rel hi you hi x"
    );
    assert_eq!(rel.calls.get(), 2);
    // Reached through a map, the object's static type is interface {}, as Go reports it.
    assert_eq!(
        run("{{ .Release.Nope }}", &dot).unwrap_err(),
        "template: t.yaml:1:11: executing \"t.yaml\" at <.Release.Nope>: can't evaluate field Nope in type interface {}"
    );
    // As dot itself it keeps its own type.
    assert_eq!(
        run("{{ .Nope }}", &Value::Object(rel.clone())).unwrap_err(),
        "template: t.yaml:1:3: executing \"t.yaml\" at <.Nope>: can't evaluate field Nope in type *release.Release"
    );
    assert!(
        run("{{ .Release.Greet 1 2 }}", &dot)
            .unwrap_err()
            .ends_with("error calling Greet: Greet wants one string, got 2")
    );
}

#[test]
fn sets_execute_concurrently() {
    let mut set = Templates::new(FuncMap::new());
    set.parse("t", "{{ range . }}{{ . }}{{ end }}").unwrap();
    std::thread::scope(|s| {
        for n in 0..4i64 {
            let set = set.clone();
            s.spawn(move || {
                let dot = Value::list((0..n).map(Value::Int).collect());
                let want: String = (0..n).map(|i| i.to_string()).collect();
                assert_eq!(set.execute("t", &dot).unwrap(), want);
            });
        }
    });
}

#[test]
fn named_sets_word_errors_as_helm_sees_them() {
    let mut set = Templates::new(helm_like_funcs()).with_name("gotpl");
    set.parse(
        "chart/templates/cm.yaml",
        "{{ tpl \"{{ include \\\"nope\\\" . }}\" . }}",
    )
    .unwrap();
    let err = set
        .execute("chart/templates/cm.yaml", &Value::Nil)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "template: chart/templates/cm.yaml:1:3: executing \"chart/templates/cm.yaml\" at <tpl \"{{ include \\\"nope\\\" . }}\" .>: \
         error calling tpl: template: gotpl:1:3: executing \"gotpl\" at <include \"nope\" .>: \
         error calling include: template: no template \"nope\" associated with template \"gotpl\""
    );
    assert_eq!(
        set.execute("missing", &Value::Nil).unwrap_err().to_string(),
        "template: no template \"missing\" associated with template \"gotpl\""
    );
}

#[test]
fn tpl_defines_shadow_the_set_for_that_call_only() {
    let mut set = Templates::new(helm_like_funcs()).with_name("gotpl");
    set.parse(
        "_h.tpl",
        "{{ define \"name\" }}{{ .n }}-{{ include \"suffix\" . }}{{ end }}{{ define \"suffix\" }}s{{ end }}",
    )
    .unwrap();
    // A define inside the text replaces the set's one for everything run from
    // the text (also for set templates it includes), and for nested tpl texts;
    // an empty define does not replace; nothing reaches the caller afterwards.
    set.parse(
        "main",
        concat!(
            "{{ range $i := 3 }}",
            "{{ tpl \"{{ define \\\"suffix\\\" }}T{{ end }}{{ include \\\"name\\\" . }}|{{ tpl \\\"{{ include \\\\\\\"suffix\\\\\\\" . }}\\\" . }}\" $ }} ",
            "{{ tpl \"{{ define \\\"suffix\\\" }}  {{ end }}{{ include \\\"name\\\" . }}\" $ }} ",
            "{{ include \"name\" $ }};",
            "{{ end }}"
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = set.execute("main", &data(json!({"n": "a"}))).unwrap();
    assert_eq!(out, "a-T|T a-s a-s;".repeat(3));
    assert_eq!(set.names(), vec!["_h.tpl", "main", "name", "suffix"]);
    // The same text failing to parse fails the same way every time.
    set.parse("bad", "{{ tpl \"{{ .x \" . }}{{ tpl \"{{ .x \" . }}")
        .unwrap();
    let err = set.execute("bad", &Value::Nil).unwrap_err().to_string();
    assert!(err.contains("template: gotpl:1: unclosed action"), "{err}");
    set.parse("bad2", "{{ tpl \"{{ .x \" . }}").unwrap();
    assert_eq!(
        set.execute("bad2", &Value::Nil).unwrap_err().to_string(),
        err.replace("bad:1:3: executing \"bad\"", "bad2:1:3: executing \"bad2\"")
    );
}
