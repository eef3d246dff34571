//! Checks on the module tree as a whole: templates present, no Cyrillic in
//! templates and hooks (DMT's `no-cyrillic`).

use std::path::Path;

use crate::diagnostic::Finding;

/// Check the tree.
pub fn check(root: &Path, out: &mut Vec<Finding>) {
    let templates = root.join("templates");
    if !templates.is_dir() {
        out.push(Finding::warning(
            "module/structure",
            &templates,
            "no templates/ folder: the module deploys nothing",
        ));
    }
    for dir in ["templates", "hooks"] {
        scan_cyrillic(&root.join(dir), out);
    }
}

fn scan_cyrillic(dir: &Path, out: &mut Vec<Finding>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if !p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                scan_cyrillic(&p, out);
            }
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if let Some(col) = line
                .chars()
                .position(|c| ('\u{0400}'..='\u{04FF}').contains(&c))
            {
                out.push(
                    Finding::error(
                        "no-cyrillic/files",
                        &p,
                        "Cyrillic text outside Russian documentation",
                    )
                    .at(Some(goyaml::Pos {
                        line: i + 1,
                        col: col + 1,
                    })),
                );
                break;
            }
        }
    }
}
