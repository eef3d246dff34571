//! The downloaded-modules directory (registry-layout §5.4, correction 42, symlink installer):
//!
//! ```text
//! <root>/<m>/v<ver>/        one unpacked module image per version
//! <root>/<m>/dev/           the ModulePullOverride copy
//! <root>/modules/<m>        symlink to the absolute path of the active copy
//! ```
//!
//! A version directory is filled by the registry crate's extraction, which unpacks into a
//! temporary sibling and renames it into place; the active symlink is switched by creating
//! a new link next to it and renaming it over the old one. Both renames are atomic, so a
//! crash leaves either the old module or the complete new one active, never half of one.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The downloaded-modules directory.
#[derive(Clone, Debug)]
pub struct Layout {
    root: PathBuf,
}

/// The name of the directory holding a ModulePullOverride's copy.
pub const DEV_DIR: &str = "dev";

impl Layout {
    /// A layout rooted at `root` (made absolute, so symlinks point at absolute paths).
    pub fn new(root: &Path) -> io::Result<Layout> {
        fs::create_dir_all(root.join("modules"))?;
        Ok(Layout {
            root: fs::canonicalize(root)?,
        })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/modules`: the directory the operator loads active modules from.
    pub fn active_dir(&self) -> PathBuf {
        self.root.join("modules")
    }

    /// `<root>/<m>/v<ver>`.
    pub fn version_dir(&self, module: &str, version: &masterminds_semver::Version) -> PathBuf {
        self.root.join(module).join(format!("v{version}"))
    }

    /// `<root>/<m>/dev`.
    pub fn dev_dir(&self, module: &str) -> PathBuf {
        self.root.join(module).join(DEV_DIR)
    }

    /// `<root>/modules/<m>`.
    pub fn active_link(&self, module: &str) -> PathBuf {
        self.active_dir().join(module)
    }

    /// Whether `dir` holds an unpacked module (a non-empty directory with `module.yaml` or
    /// `Chart.yaml`, as a complete extraction leaves it).
    pub fn is_complete(dir: &Path) -> bool {
        dir.join("module.yaml").is_file() || dir.join("Chart.yaml").is_file()
    }

    /// The directory the module's active link points at, if any.
    pub fn active_target(&self, module: &str) -> Option<PathBuf> {
        fs::read_link(self.active_link(module)).ok()
    }

    /// Points `<root>/modules/<m>` at `target` atomically (a sibling link renamed over it).
    pub fn activate(&self, module: &str, target: &Path) -> io::Result<()> {
        let link = self.active_link(module);
        let staged = self
            .active_dir()
            .join(format!(".{module}.link-{}", std::process::id()));
        let _ = fs::remove_file(&staged);
        std::os::unix::fs::symlink(target, &staged)?;
        fs::rename(&staged, &link).inspect_err(|_| {
            let _ = fs::remove_file(&staged);
        })
    }

    /// Removes the active link of `module` (no error when there is none).
    pub fn deactivate(&self, module: &str) -> io::Result<()> {
        match fs::remove_file(self.active_link(module)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Removes a module's files: its link, then `<root>/<m>`.
    pub fn remove_module(&self, module: &str) -> io::Result<()> {
        self.deactivate(module)?;
        match fs::remove_dir_all(self.root.join(module)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Removes leftovers of interrupted work under `<root>/<m>` (temporary extraction dirs
    /// and replaced trees, both dot-named siblings) and staged links: what a process killed
    /// in the middle of a download leaves behind. Never touches a complete version dir.
    pub fn clean_leftovers(&self) -> io::Result<Vec<PathBuf>> {
        let mut removed = Vec::new();
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            let path = entry.path();
            if !entry.file_type()?.is_dir() {
                continue;
            }
            for inner in fs::read_dir(&path)? {
                let inner = inner?;
                let name = inner.file_name();
                let name = name.to_string_lossy();
                if name.starts_with('.') {
                    let p = inner.path();
                    if inner.file_type()?.is_dir() {
                        fs::remove_dir_all(&p)?;
                    } else {
                        fs::remove_file(&p)?;
                    }
                    removed.push(p);
                }
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_the_active_link_atomically_and_cleans_leftovers() {
        let tmp = tempfile::tempdir().unwrap();
        let layout = Layout::new(tmp.path()).unwrap();
        let v1 = layout.version_dir("echo", &masterminds_semver::Version::new(1, 0, 0));
        let v2 = layout.version_dir("echo", &masterminds_semver::Version::new(1, 1, 0));
        for dir in [&v1, &v2] {
            fs::create_dir_all(dir).unwrap();
            fs::write(dir.join("module.yaml"), "name: echo\n").unwrap();
        }
        layout.activate("echo", &v1).unwrap();
        assert_eq!(layout.active_target("echo").unwrap(), v1);
        assert!(layout.active_target("echo").unwrap().is_absolute());
        layout.activate("echo", &v2).unwrap();
        assert_eq!(layout.active_target("echo").unwrap(), v2);
        assert!(Layout::is_complete(&layout.active_link("echo")));
        // A half-extracted sibling left by a killed process is removed; the versions stay.
        let partial = tmp.path().join("echo/.v1.2.0.pull-abc");
        fs::create_dir_all(partial.join("templates")).unwrap();
        let removed = layout.clean_leftovers().unwrap();
        assert_eq!(removed.len(), 1);
        assert!(!partial.exists() && v1.exists() && v2.exists());
        layout.remove_module("echo").unwrap();
        assert!(layout.active_target("echo").is_none());
        assert!(!tmp.path().join("echo").exists());
    }
}
