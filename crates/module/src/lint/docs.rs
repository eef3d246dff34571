//! The `docs` linter: `docs/README.md` exists and says something; Russian
//! pages come in pairs with English ones.

use std::path::Path;

use crate::diagnostic::Finding;

/// Check `docs/`.
pub fn check(root: &Path, out: &mut Vec<Finding>) {
    let dir = root.join("docs");
    let readme = dir.join("README.md");
    match std::fs::read_to_string(&readme) {
        Ok(t) if !t.trim().is_empty() => {}
        Ok(_) => out.push(Finding::error(
            "docs/readme",
            &readme,
            "docs/README.md is empty: describe the module",
        )),
        Err(_) => out.push(Finding::error(
            "docs/readme",
            &readme,
            format!(
                "file not found: expected {} describing the module",
                readme.display()
            ),
        )),
    }
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut names: Vec<String> = rd
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for n in &names {
        if let Some(stem) = n.strip_suffix(".ru.md") {
            let en = format!("{stem}.md");
            if !names.contains(&en) {
                out.push(Finding::warning(
                    "docs/bilingual",
                    dir.join(n),
                    format!("{n} has no English counterpart {en}"),
                ));
            }
        } else if let Some(stem) = n.strip_suffix(".md") {
            let ru = format!("{stem}.ru.md");
            if !names.contains(&ru) {
                out.push(Finding::warning(
                    "docs/bilingual",
                    dir.join(n),
                    format!("{n} has no Russian counterpart {ru}"),
                ));
            }
        }
    }
}
