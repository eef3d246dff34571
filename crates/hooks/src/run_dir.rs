//! The directory of one hook run: the input files the hook reads and the
//! output files it writes, each named by an environment variable.
//!
//! By default every run gets a fresh directory under its `tmp_root`, removed
//! when the run ends (what a one-shot `deckmod hook run` wants). A
//! long-running caller passes a [`RunDirs`] pool instead: a run then takes a
//! directory a finished run gave back, overwrites its inputs and finds its
//! outputs already emptied, so a run creates and removes no file at all.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tempfile::TempDir;

/// A run directory could not be made.
#[derive(Clone, Debug, thiserror::Error)]
pub enum RunDirError {
    /// The directory the run directories go in.
    #[error("cannot create {}: {source}", .path.display())]
    Root {
        /// That directory.
        path: PathBuf,
        /// The OS error.
        source: Arc<std::io::Error>,
    },
    /// The run's own directory.
    #[error("cannot create a temp dir: {source}")]
    TempDir {
        /// The OS error.
        source: Arc<std::io::Error>,
    },
    /// One of the (empty) output files.
    #[error("cannot create {name}: {source}")]
    OutputFile {
        /// The file's name in the run directory.
        name: &'static str,
        /// The OS error.
        source: Arc<std::io::Error>,
    },
}

/// The files of one run, relative to its directory, and the environment
/// variables pointing at them. The first [`INPUTS`] are written before the
/// run; the others start empty and hold what the hook wrote.
pub(crate) const FILES: &[(&str, &str)] = &[
    ("BINDING_CONTEXT_PATH", "binding_context.json"),
    ("VALUES_PATH", "values.json"),
    ("CONFIG_VALUES_PATH", "config_values.json"),
    ("VALUES_JSON_PATCH_PATH", "values_json_patch.json"),
    (
        "CONFIG_VALUES_JSON_PATCH_PATH",
        "config_values_json_patch.json",
    ),
    ("METRICS_PATH", "metrics.json"),
    ("KUBERNETES_PATCH_PATH", "kubernetes_patch.json"),
    ("VALIDATING_RESPONSE_PATH", "admission_response.json"),
    ("ADMISSION_RESPONSE_PATH", "admission_response.json"),
    ("CONVERSION_RESPONSE_PATH", "conversion_response.json"),
];

/// How many of [`FILES`] are inputs.
pub(crate) const INPUTS: usize = 3;

/// The output files, each once (two variables share the admission file).
fn outputs() -> impl Iterator<Item = &'static str> {
    FILES[INPUTS..]
        .iter()
        .enumerate()
        .filter(|(i, (_, name))| !FILES[INPUTS..INPUTS + i].iter().any(|(_, n)| n == name))
        .map(|(_, (_, name))| *name)
}

/// Run directories kept for reuse by a long-running caller (the operator):
/// concurrent runs get different directories, a finished run's directory
/// goes back with its outputs emptied. Anything else a hook leaves in its
/// directory stays there for the next run that gets it. Dropping the pool
/// removes the directories it holds.
#[derive(Debug)]
pub struct RunDirs {
    root: PathBuf,
    free: Mutex<Vec<TempDir>>,
}

impl RunDirs {
    /// A pool creating its directories under `root` (created when needed).
    pub fn new(root: impl Into<PathBuf>) -> RunDirs {
        RunDirs {
            root: root.into(),
            free: Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> Option<TempDir> {
        self.free.lock().ok()?.pop()
    }

    /// Takes `dir` back once its outputs are empty again; a directory that
    /// cannot be reset (the hook removed or locked it) is removed instead.
    fn give_back(&self, dir: TempDir) {
        if empty_outputs(dir.path()).is_ok()
            && let Ok(mut free) = self.free.lock()
        {
            free.push(dir);
        }
    }
}

/// Empties the output files: a stat for the empty ones; the others are
/// replaced by a new empty file. Not truncated: ext4 (`auto_da_alloc`)
/// flushes a file truncated to zero when it is closed, which cost 20 ms per
/// run on a loaded machine.
fn empty_outputs(dir: &Path) -> std::io::Result<()> {
    for name in outputs() {
        let path = dir.join(name);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() && meta.len() == 0 => {}
            Ok(meta) if meta.is_file() => {
                std::fs::remove_file(&path)?;
                std::fs::write(&path, "")?;
            }
            Ok(_) => return Err(std::io::ErrorKind::InvalidData.into()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::write(&path, "")?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The directory of the current run: from the pool or fresh; given back to
/// the pool or removed when dropped.
pub(crate) struct RunDir<'a> {
    dir: Option<TempDir>,
    pool: Option<&'a RunDirs>,
    /// Whether an earlier run used the directory (its inputs exist).
    reused: bool,
}

impl<'a> RunDir<'a> {
    /// A directory with empty output files: a free one of `pool`, else a new
    /// one under the pool's root or `tmp_root`.
    pub(crate) fn get(
        tmp_root: &Path,
        pool: Option<&'a RunDirs>,
    ) -> Result<RunDir<'a>, RunDirError> {
        if let Some(dir) = pool.and_then(RunDirs::take) {
            return Ok(RunDir {
                dir: Some(dir),
                pool,
                reused: true,
            });
        }
        let root = pool.map_or(tmp_root, |p| p.root.as_path());
        std::fs::create_dir_all(root).map_err(|e| RunDirError::Root {
            path: root.to_path_buf(),
            source: Arc::new(e),
        })?;
        let dir = tempfile::Builder::new()
            .prefix("hook-run-")
            .tempdir_in(root)
            .map_err(|e| RunDirError::TempDir {
                source: Arc::new(e),
            })?;
        for name in outputs() {
            std::fs::write(dir.path().join(name), "").map_err(|e| RunDirError::OutputFile {
                name,
                source: Arc::new(e),
            })?;
        }
        Ok(RunDir {
            dir: Some(dir),
            pool,
            reused: false,
        })
    }

    /// Writes the input file `name`. An earlier run's file is overwritten in
    /// place and cut to the new length, never truncated to zero first (see
    /// [`empty_outputs`]).
    pub(crate) fn write_input(&self, name: &str, content: &[u8]) -> std::io::Result<()> {
        let path = self.path().join(name);
        if !self.reused {
            return std::fs::write(path, content);
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        std::io::Write::write_all(&mut file, content)?;
        file.set_len(content.len() as u64)
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new(""), TempDir::path)
    }

    /// Leaves the directory on disk as it is, outside the pool
    /// (`DEBUG_KEEP_TMP_FILES`).
    pub(crate) fn keep(mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = dir.keep();
        }
    }
}

impl Drop for RunDir<'_> {
    fn drop(&mut self) {
        if let (Some(dir), Some(pool)) = (self.dir.take(), self.pool) {
            pool.give_back(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_listed_once() {
        let names: Vec<_> = outputs().collect();
        assert_eq!(
            names,
            [
                "values_json_patch.json",
                "config_values_json_patch.json",
                "metrics.json",
                "kubernetes_patch.json",
                "admission_response.json",
                "conversion_response.json",
            ]
        );
    }

    #[test]
    fn a_given_back_directory_is_reused_with_empty_outputs() {
        let root = tempfile::tempdir().unwrap();
        let pool = RunDirs::new(root.path());
        let first = RunDir::get(Path::new("unused"), Some(&pool)).unwrap();
        let path = first.path().to_path_buf();
        std::fs::write(path.join("metrics.json"), "{}").unwrap();
        std::fs::remove_file(path.join("kubernetes_patch.json")).unwrap();
        // A second run while the first holds its directory gets another one.
        let second = RunDir::get(Path::new("unused"), Some(&pool)).unwrap();
        assert_ne!(second.path(), path);
        drop(first);
        let again = RunDir::get(Path::new("unused"), Some(&pool)).unwrap();
        assert_eq!(again.path(), path);
        for name in outputs() {
            assert_eq!(std::fs::read(path.join(name)).unwrap(), b"", "{name}");
        }
        // Inputs are overwritten whole, shorter or longer than before.
        again
            .write_input("values.json", b"{\"long\":true}")
            .unwrap();
        again.write_input("values.json", b"{}").unwrap();
        assert_eq!(std::fs::read(path.join("values.json")).unwrap(), b"{}");
        drop((again, second));
        drop(pool);
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
    }

    #[test]
    fn without_a_pool_the_directory_is_removed() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::get(root.path(), None).unwrap();
        let path = dir.path().to_path_buf();
        assert!(path.join("metrics.json").exists());
        drop(dir);
        assert!(!path.exists());
    }
}
