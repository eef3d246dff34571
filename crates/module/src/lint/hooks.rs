//! Hooks must be executable (module-layout §8): a hook without `chmod +x`
//! is silently never run.

use std::path::Path;

use crate::diagnostic::Finding;

const RULE: &str = "hooks/executable";

/// Check every hook-like file under `hooks/`.
pub fn check(root: &Path, out: &mut Vec<Finding>) {
    walk(&root.join("hooks"), out);
}

fn walk(dir: &Path, out: &mut Vec<Finding>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        // addon-operator skips these folders when discovering hooks.
        if name.starts_with('.') || name == "lib" || name == "venv" || name == "__pycache__" {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            // Go sources of batch hooks are compiled at build time, not run.
            if !path.join("go.mod").exists() {
                walk(&path, out);
            }
            continue;
        }
        if !meta.is_file() || !is_hook_file(&path, &name) {
            continue;
        }
        if !is_executable(&meta) {
            out.push(Finding::error(
                RULE,
                &path,
                format!(
                    "hook `{name}` is not executable: run `chmod +x {}`",
                    path.display()
                ),
            ));
        }
    }
}

/// A file that would be run as a hook: a script with a shebang, or a `.sh`/`.py` file that is not a test or module.
fn is_hook_file(path: &Path, name: &str) -> bool {
    let is_test = name.ends_with("_test.py")
        || name.starts_with("test_")
        || name.ends_with("_test.go")
        || name.ends_with("_test.sh");
    if is_test || name == "__init__.py" || name.ends_with(".go") || name.ends_with(".md") {
        return false;
    }
    if name.ends_with(".sh") || name.ends_with(".py") {
        return true;
    }
    let mut head = [0u8; 2];
    use std::io::Read;
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == b"#!"
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    true
}
