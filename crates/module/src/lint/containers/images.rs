//! The containers' images: each comes from the registry the platform gives
//! the module (as lib-helm's image helpers write it), its name in the
//! template has no underscore, and it is pulled only when not present.

use serde_json::Value;

use super::{Container, Context, Object, Rule};
use crate::diagnostic::{Finding, Severity};
use crate::name;

const IMAGE_DIGEST: Rule = Rule::excludable("image-digest");
/// DMT reads no exclusions for it.
const CONTAINER_IMAGE_NAME: Rule = Rule::fixed("container-image-name");
const IMAGE_PULL_POLICY: Rule = Rule::fixed("image-pull-policy");

/// Run the image rules on `containers` (init containers included).
pub(super) fn check(
    ctx: &Context<'_>,
    object: &Object,
    containers: &[Container<'_>],
    out: &mut Vec<Finding>,
) {
    let allowed = allowed_repositories(ctx);
    for c in containers {
        image_digest(ctx, object, c, &allowed, out);
    }
    container_image_name(object, out);
    image_pull_policy(ctx, object, containers, out);
}

/// The repositories lib-helm's `helm_lib_module_image` and
/// `helm_lib_module_common_image` write images from, with the values the
/// chart was rendered with: the platform's `global.modulesImages.registry.
/// base`, and for a downloaded module its own `registry.base` (alone, as
/// deckmod pushes the module's images there, and with the module name
/// appended, as lib-helm's external-module branch writes it).
fn allowed_repositories(ctx: &Context<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let base = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(|s| s.trim_matches('/').to_string())
            .filter(|s| !s.is_empty())
    };
    if let Some(b) = base(ctx.values.pointer("/global/modulesImages/registry/base")) {
        out.push(b);
    }
    let key = name::values_key(ctx.module_name);
    if let Some(b) = base(
        ctx.values
            .get(&key)
            .and_then(|m| m.pointer("/registry/base")),
    ) {
        out.push(format!("{b}/{}", ctx.module_name));
        out.push(b);
    }
    out
}

/// The repository of an image reference without its digest, named in full
/// (`registry/path`, Docker Hub's `index.docker.io/library/x` for a bare
/// name), as the OCI reference grammar reads it; `None` when it is no
/// repository (a tag, capitals, an empty name).
fn repository(image: &str) -> Option<String> {
    let name = image.split('@').next().unwrap_or("");
    let (registry, path) = match name.split_once('/') {
        Some((first, rest)) if first.contains('.') || first.contains(':') => (first, rest),
        _ => ("", name),
    };
    let path_ok = (2..=255).contains(&path.len())
        && path
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-./".contains(&b));
    let registry_ok = registry
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if !path_ok || !registry_ok {
        return None;
    }
    Some(if registry.is_empty() {
        let path = if path.contains('/') {
            path.to_string()
        } else {
            format!("library/{path}")
        };
        format!("index.docker.io/{path}")
    } else {
        format!("{registry}/{path}")
    })
}

fn image_digest(
    ctx: &Context<'_>,
    object: &Object,
    c: &Container<'_>,
    allowed: &[String],
    out: &mut Vec<Finding>,
) {
    if ctx.excluded(IMAGE_DIGEST, object, Some(c.name)) {
        return;
    }
    let image = c.value.get("image").and_then(Value::as_str).unwrap_or("");
    let message = match repository(image) {
        None => format!(
            "image `{image}` is not `<registry>/<path>@<digest>`: take it from lib-helm's helm_lib_module_image"
        ),
        Some(repo) if !allowed.contains(&repo) => format!(
            "image `{image}` is not from the module's registry ({}): take it from lib-helm's helm_lib_module_image",
            if allowed.is_empty() {
                "none in the values".to_string()
            } else {
                allowed.join(" or ")
            }
        ),
        Some(_) => return,
    };
    out.push(ctx.finding(IMAGE_DIGEST, Severity::Error, object, Some(c.name), message));
}

/// The image names a template line passes to `helm_lib_module_image`: the
/// last quoted word of a line that has `image:` and then the helper's
/// name before it (`image: {{ include "helm_lib_module_image" (list . "x") }}`).
fn helper_image_name(line: &str) -> Option<&str> {
    let close = line.rfind('"')?;
    let open = line[..close].rfind('"')?;
    let word = &line[open + 1..close];
    let before = &line[..open];
    let image = before.find("image:")?;
    let helper = before.rfind("helm_lib_module_image")?;
    (!word.is_empty() && helper >= image + "image:".len()).then_some(word)
}

fn container_image_name(object: &Object, out: &mut Vec<Finding>) {
    // DMT reads the template the object came from: the name is checked as
    // written, before the render turns it into a digest.
    let Ok(text) = std::fs::read_to_string(&object.file) else {
        return;
    };
    for (i, line) in text.lines().enumerate() {
        let Some(image) = helper_image_name(line).filter(|n| n.contains('_')) else {
            continue;
        };
        out.push(
            Finding::error(
                &CONTAINER_IMAGE_NAME.id(),
                &object.file,
                format!("image name `{image}` has an underscore: images are named lowerCamel after their images/ folder"),
            )
            .at(Some(goyaml::Pos { line: i + 1, col: 1 })),
        );
    }
}

fn image_pull_policy(
    ctx: &Context<'_>,
    object: &Object,
    containers: &[Container<'_>],
    out: &mut Vec<Finding>,
) {
    let policy = |c: &Container<'_>| {
        c.value
            .get("imagePullPolicy")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    // Deckhouse itself is updated in place under one tag: it pulls always.
    if object.kind() == "Deployment"
        && object.name() == "deckhouse"
        && object.namespace() == "d8-system"
    {
        if let Some(c) = containers.first()
            && policy(c) != "Always"
        {
            out.push(ctx.finding(
                IMAGE_PULL_POLICY,
                Severity::Error,
                object,
                Some(c.name),
                format!(
                    "imagePullPolicy is `{}`: deckhouse's own container pulls `Always`",
                    policy(c)
                ),
            ));
        }
        return;
    }
    for c in containers {
        let p = policy(c);
        if !p.is_empty() && p != "IfNotPresent" {
            out.push(ctx.finding(
                IMAGE_PULL_POLICY,
                Severity::Error,
                object,
                Some(c.name),
                format!("imagePullPolicy is `{p}`: leave it unset or `IfNotPresent` (images are pinned by digest)"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::testing::*;

    fn image(i: &str) -> String {
        edit(
            CLEAN,
            "image: registry.example.com/deckhouse@sha256:0000",
            &format!("image: {i}"),
        )
    }

    #[test]
    fn repository_names() {
        use super::repository;
        assert_eq!(
            repository("registry.example.com/deckhouse@sha256:00").as_deref(),
            Some("registry.example.com/deckhouse")
        );
        assert_eq!(
            repository("localhost:5000/a/b").as_deref(),
            Some("localhost:5000/a/b")
        );
        assert_eq!(
            repository("nginx").as_deref(),
            Some("index.docker.io/library/nginx")
        );
        assert_eq!(
            repository("bitnami/nginx").as_deref(),
            Some("index.docker.io/bitnami/nginx")
        );
        // A tag is no part of a repository name.
        assert_eq!(repository("registry.example.com/deckhouse:v1"), None);
        assert_eq!(repository("registry.example.com/Deckhouse"), None);
        assert_eq!(repository(""), None);
    }

    #[test]
    fn image_digest() {
        let tagged = image("registry.example.com/deckhouse:v1");
        assert_eq!(
            of(&lint0(&tagged), "image-digest"),
            [
                "error Deployment web, container `app`: image `registry.example.com/deckhouse:v1` is not `<registry>/<path>@<digest>`: take it from lib-helm's helm_lib_module_image"
            ]
        );
        let hub = image("nginx@sha256:0000");
        assert_eq!(
            of(&lint0(&hub), "image-digest"),
            [
                "error Deployment web, container `app`: image `nginx@sha256:0000` is not from the module's registry (registry.example.com/deckhouse): take it from lib-helm's helm_lib_module_image"
            ]
        );
    }

    #[test]
    fn image_digest_accepts_the_module_registry() {
        let values = serde_json::json!({
            "global": {"modulesImages": {"registry": {"base": "registry.example.com/deckhouse"}}},
            "m": {"registry": {"base": "registry.example.com/modules/m/"}}
        });
        let run = |i: &str| lint_in(Path::new(ROOT), &image(i), "{}", &values);
        // What lib-helm's external-module branch writes, and where deckmod
        // pushes the module's images.
        assert_eq!(run("registry.example.com/modules/m/m@sha256:0000"), []);
        assert_eq!(run("registry.example.com/modules/m@sha256:0000"), []);
        assert_eq!(run("registry.example.com/deckhouse@sha256:0000"), []);
        assert_eq!(
            of(
                &run("registry.example.com/modules/other@sha256:0000"),
                "image-digest"
            )
            .len(),
            1
        );
    }

    #[test]
    fn image_digest_exclude() {
        let text = with_sidecar();
        let hub = edit(
            &text,
            "image: registry.example.com/deckhouse@sha256:1111",
            "image: busybox",
        );
        let f = lint(
            &hub,
            "linters-settings:\n  container:\n    exclude-rules:\n      image-digest:\n        - {kind: Deployment, name: web, container: sidecar}\n",
        );
        assert_eq!(of(&f, "image-digest"), Vec::<String>::new());
        let f = lint(
            &hub,
            "linters-settings:\n  container:\n    exclude-rules:\n      image-digest:\n        - {kind: Deployment, name: web, container: app}\n",
        );
        assert_eq!(of(&f, "image-digest").len(), 1);
    }

    #[test]
    fn helper_image_names() {
        use super::helper_image_name;
        assert_eq!(
            helper_image_name(
                r#"          image: {{ include "helm_lib_module_image" (list . "myImage") }}"#
            ),
            Some("myImage")
        );
        assert_eq!(
            helper_image_name(r#"  image: {{ include "helm_lib_module_image" . "my_image" }}"#),
            Some("my_image")
        );
        assert_eq!(helper_image_name(r#"  image: "my_image""#), None);
        assert_eq!(
            helper_image_name(r#"  {{ include "helm_lib_module_image" (list . "x") }} # image:"#),
            None
        );
        assert_eq!(
            helper_image_name(r#"  image: {{ include "helm_lib_module_image" (list . "") }}"#),
            None
        );
    }

    #[test]
    fn container_image_name() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("templates");
        std::fs::create_dir_all(&t).unwrap();
        let template = "kind: Deployment\n          image: {{ include \"helm_lib_module_image\" (list . \"my_server\") }}\n";
        std::fs::write(t.join("t.yaml"), template).unwrap();
        let f = lint_in(dir.path(), CLEAN, "{}", &values());
        let found: Vec<_> = f
            .iter()
            .filter(|f| f.rule == "container/container-image-name")
            .collect();
        assert_eq!(found.len(), 1, "{f:#?}");
        assert_eq!(found[0].line, Some(2));
        assert!(
            found[0].message.contains("`my_server` has an underscore"),
            "{}",
            found[0].message
        );
        std::fs::write(t.join("t.yaml"), template.replace("my_server", "myServer")).unwrap();
        assert_eq!(lint_in(dir.path(), CLEAN, "{}", &values()), []);
    }

    #[test]
    fn image_pull_policy() {
        let always = edit(
            CLEAN,
            "          ports:",
            "          imagePullPolicy: Always\n          ports:",
        );
        assert_eq!(
            of(&lint0(&always), "image-pull-policy"),
            [
                "error Deployment web, container `app`: imagePullPolicy is `Always`: leave it unset or `IfNotPresent` (images are pinned by digest)"
            ]
        );
        let if_not = edit(
            CLEAN,
            "          ports:",
            "          imagePullPolicy: IfNotPresent\n          ports:",
        );
        assert_eq!(lint0(&if_not), []);
        // Deckhouse's own Deployment is the one that pulls always.
        let deckhouse = edit(
            &edit(CLEAN, "name: web", "name: deckhouse"),
            "namespace: d8-m",
            "namespace: d8-system",
        );
        assert_eq!(of(&lint0(&deckhouse), "image-pull-policy").len(), 1);
        let deckhouse_always = edit(
            &edit(&always, "name: web", "name: deckhouse"),
            "namespace: d8-m",
            "namespace: d8-system",
        );
        assert_eq!(lint0(&deckhouse_always), []);
    }
}
