//! The `images` linter (layout part): each folder under `images/` is one
//! component image with a `Dockerfile` or `werf.inc.yaml`, and a name that
//! becomes a valid lowerCamel image name.

use std::path::Path;

use crate::diagnostic::Finding;
use crate::yamlfile;

/// Check `images/`.
pub fn check(root: &Path, out: &mut Vec<Finding>) {
    let dir = root.join("images");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut dirs: Vec<_> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let name = d
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if name.contains('_')
            || name.bytes().any(|b| b.is_ascii_uppercase())
            || name.starts_with('-')
            || name.ends_with('-')
        {
            out.push(Finding::error(
                "images/name",
                &d,
                format!("image folder `{name}` must be kebab-case (no `_` or capitals): its image name is lowerCamel of the folder"),
            ));
        }
        let dockerfile = d.join("Dockerfile");
        let werf = d.join("werf.inc.yaml");
        if !dockerfile.is_file() && !werf.is_file() {
            out.push(Finding::error(
                "images/layout",
                &d,
                format!("image folder `{name}` has neither a Dockerfile nor a werf.inc.yaml"),
            ));
        }
        if let Ok(text) = std::fs::read_to_string(&dockerfile) {
            for (i, line) in text.lines().enumerate() {
                let l = line.trim();
                let Some(from) = l.strip_prefix("FROM ").or_else(|| l.strip_prefix("from ")) else {
                    continue;
                };
                let image = from.split_whitespace().next().unwrap_or_default();
                if !image.starts_with('$')
                    && image != "scratch"
                    && !image.contains("@sha256:")
                    && !is_stage_ref(&text, image)
                {
                    out.push(
                        Finding::error(
                            "images/dockerfile",
                            &dockerfile,
                            format!("base image `{image}` must come from a `$BASE_*` build argument or be pinned by sha256 digest"),
                        )
                        .at(Some(goyaml::Pos { line: i + 1, col: 1 })),
                    );
                }
            }
        }
        if werf.is_file()
            && !std::fs::read_to_string(&werf)
                .unwrap_or_default()
                .contains("{{")
        {
            // Plain YAML (no Go templating) can be checked for syntax.
            if let Err(f) = yamlfile::read(&werf, "images/werf") {
                out.push(f);
            }
        }
    }
}

/// Whether `image` names an earlier build stage (`FROM x AS builder` … `FROM builder`).
fn is_stage_ref(dockerfile: &str, image: &str) -> bool {
    dockerfile.lines().any(|l| {
        let lower = l.to_ascii_lowercase();
        lower.trim_start().starts_with("from ")
            && lower
                .split_whitespace()
                .collect::<Vec<_>>()
                .windows(2)
                .any(|w| w[0] == "as" && w[1] == image.to_ascii_lowercase())
    })
}
