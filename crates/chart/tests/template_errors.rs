//! A failed render keeps the template engine's error (template, line,
//! column, the function's error) as its source, behind Helm's wording
//! (issue 12 item 5).

use chart::{File, RenderOptions, TemplateCause};

fn chart_with(template: &str) -> chart::Chart {
    chart::loader::load_files(vec![
        File::new(
            "Chart.yaml",
            &b"apiVersion: v2\nname: c\nversion: 0.1.0\n"[..],
        ),
        File::new("templates/cm.yaml", template.as_bytes().to_vec()),
    ])
    .expect("chart loads")
}

fn render_error(template: &str) -> chart::Error {
    let c = chart_with(template);
    let opts = RenderOptions {
        release_name: "r".into(),
        ..Default::default()
    };
    chart::render(&c, &serde_json::json!({}), &opts).expect_err("render fails")
}

#[test]
fn execution_errors_keep_location_and_cause() {
    let e = render_error("a: 1\nb: {{ fail \"no way\" }}\n");
    assert_eq!(
        e.to_string(),
        "execution error at (c/templates/cm.yaml:2:6): no way"
    );
    let chart::Error::Render(t) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(t.location(), Some(("c/templates/cm.yaml", 2, Some(6))));
    let Some(TemplateCause::Exec(exec)) = t.cause() else {
        panic!("{t:?}")
    };
    assert!(exec.cause.is_some(), "the function's error: {exec:?}");
    // The chain: chart::Error → TemplateError → gotmpl ExecError → FuncError.
    let mut chain = Vec::new();
    let mut cur: Option<&dyn std::error::Error> = Some(&e);
    while let Some(err) = cur {
        chain.push(err.to_string());
        cur = err.source();
    }
    assert_eq!(chain.len(), 4, "{chain:#?}");
    assert!(
        chain[2].starts_with("template: c/templates/cm.yaml:2:6: executing"),
        "{chain:#?}"
    );
}

#[test]
fn parse_errors_keep_template_and_line() {
    let e = render_error("a: 1\n\nb: {{ nope }}\n");
    assert_eq!(
        e.to_string(),
        "parse error at (c/templates/cm.yaml:3): function \"nope\" not defined"
    );
    let chart::Error::Render(t) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(t.location(), Some(("c/templates/cm.yaml", 3, None)));
    assert!(matches!(t.cause(), Some(TemplateCause::Parse(_))));
}
