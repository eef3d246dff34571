//! Reading a chart directory as Helm's `LoadDir` does, minus the bytes
//! nobody looks at.
//!
//! Helm reads every file of a chart directory into memory before it looks
//! at any. Most files of a real chart are never read while rendering
//! (ingress-nginx: 183 of 230 are changelogs, chart tests and CI values,
//! reachable only through `.Files`), and on a machine where opening and
//! reading a small file costs about 4 µs they were a tenth of a render.
//! So only what loading and rendering need is read here: `Chart.yaml`,
//! `values.yaml`, `values.schema.json`, `requirements.yaml`, templates and
//! subchart archives, at any depth of `charts/`. Every other file is
//! checked for what would make Helm's read fail (not regular, over the
//! size limit, unreadable) and read on first use
//! ([`crate::chart::File::data`]); a chart Helm refuses to load is refused
//! here the same.
//!
//! Directories are opened relative to their parent and files relative to
//! their directory (`openat`, `fstatat`), which spares the kernel a path
//! lookup from the root for every file, and a needed file is read without
//! a `stat` first (the size limit is enforced on what is read).

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::sync::Arc;

use rustix::fs::{AtFlags, CWD, Dir, FileType, Mode, OFlags};

use crate::chart::File;
use crate::error::{Error, LoadError};
use crate::ignore::{HELM_IGNORE, Rules};

/// Largest single file of a chart directory (Helm: 5 MiB).
pub(crate) const MAX_DECOMPRESSED_FILE_SIZE: u64 = 5 * 1024 * 1024;
/// Symbolic links to directories followed on one path before the walk
/// stops with `ELOOP`, as one path lookup does (Linux: 40).
const MAX_SYMLINKS: usize = 40;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The files of a chart directory as Helm reads them (`.helmignore`
/// applied, Go's walk order), the ones rendering does not need left on
/// disk until used.
pub(crate) fn dir_files(dir: &Path) -> Result<Vec<File>, Error> {
    let root = open_dir(CWD, dir).map_err(|e| io_error(dir.to_path_buf(), e))?;
    let mut walker = Walker {
        root: dir,
        // Files read on first use are found from here, wherever the
        // process's working directory is by then.
        absolute_root: std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()),
        rules: Rules::default(),
        scratch: Vec::with_capacity(64 * 1024),
        ids: None,
        out: Vec::new(),
    };
    // Read as Helm reads it: the bytes as they are (no byte-order mark
    // taken off, no size limit).
    let ignore = open_file(root.as_fd(), Path::new(HELM_IGNORE));
    walker.rules = match read_fd(ignore, &mut walker.scratch, u64::MAX) {
        Ok(()) => {
            Rules::parse(&String::from_utf8_lossy(&walker.scratch)).map_err(LoadError::from)?
        }
        Err(_) => Rules::default(),
    };
    walker.rules.add_defaults();
    walker.walk(root, "", 0)?;
    Ok(walker.out)
}

/// Whether loading or rendering reads the file at `rel` (a path in the
/// chart): the chart's own metadata, values, schema and templates, and
/// the same of every subchart under `charts/`, and subchart archives.
fn needed_at_load(rel: &str) -> bool {
    let mut rest = rel;
    while let Some(inner) = rest.strip_prefix("charts/") {
        match inner.split_once('/') {
            Some((_subchart, within)) => rest = within,
            // A file right under `charts/`: a subchart archive.
            None => return true,
        }
    }
    rest.starts_with("templates/")
        || matches!(
            rest,
            "Chart.yaml" | "values.yaml" | "values.schema.json" | "requirements.yaml"
        )
}

/// Read a file whose reading was put off at load; errors are worded as
/// the load error Helm would have given.
pub(crate) fn read_deferred(path: &Path, rel: &str) -> Result<Arc<[u8]>, LoadError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut scratch = Vec::new();
    match read_fd(
        open_file(CWD, path),
        &mut scratch,
        MAX_DECOMPRESSED_FILE_SIZE,
    ) {
        Ok(()) => Ok(strip_bom(&scratch)),
        Err(ReadError::TooLarge) => Err(too_large(&name)),
        Err(ReadError::Io(e)) => Err(read_error(rel, e)),
    }
}

struct Walker<'a> {
    /// The chart directory as given (error messages name files under it).
    root: &'a Path,
    /// The chart directory as an absolute path.
    absolute_root: std::path::PathBuf,
    rules: Rules,
    /// Reused read buffer: a file is read into it, then copied once into
    /// its shared buffer.
    scratch: Vec<u8>,
    /// The process's user and groups, taken when the first file is
    /// checked for readability.
    ids: Option<Ids>,
    out: Vec<File>,
}

impl Walker<'_> {
    /// Go's `filepath.Walk`: entries of each directory in lexical order,
    /// depth first; ignored directories are skipped whole. Symbolic links
    /// are followed, as Helm's `sympath.Walk` does; `links` counts the
    /// linked directories on the way here, so that a loop ends as it would
    /// in one path lookup (each directory is opened relative to its parent,
    /// so the kernel sees one link at a time).
    fn walk(&mut self, dir: OwnedFd, prefix: &str, links: usize) -> Result<(), Error> {
        // The directory's path is built only for an error.
        let list_error =
            |e: rustix::io::Errno| io_error(self.root.join(prefix), io::Error::from(e));
        let mut listing = Dir::new(dir).map_err(list_error)?;
        // The entry type comes from the directory listing (no stat),
        // except for symbolic links, which are followed, and file systems
        // that do not report types.
        let mut entries: Vec<(String, FileType)> = Vec::new();
        while let Some(entry) = listing.read() {
            let Ok(entry) = entry else { break };
            let name = entry.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            entries.push((
                String::from_utf8_lossy(name).into_owned(),
                entry.file_type(),
            ));
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let dirfd = listing.fd().map_err(list_error)?;
        for (name, kind) in entries {
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let full_error = |e: io::Error| io_error(self.root.join(&rel), e);
            let mut stat = None;
            let linked = kind == FileType::Symlink;
            let kind = match kind {
                FileType::Symlink | FileType::Unknown => {
                    let st = rustix::fs::statat(dirfd, name.as_str(), AtFlags::empty())
                        .map_err(|e| full_error(e.into()))?;
                    let kind = FileType::from_raw_mode(st.st_mode);
                    stat = Some(st);
                    kind
                }
                known => known,
            };
            if kind == FileType::Directory {
                if !self.rules.ignore(&rel, true) {
                    let links = links + usize::from(linked);
                    if links > MAX_SYMLINKS {
                        let eloop = rustix::io::Errno::LOOP.raw_os_error();
                        return Err(full_error(io::Error::from_raw_os_error(eloop)));
                    }
                    let sub = open_dir(dirfd, Path::new(&name)).map_err(full_error)?;
                    self.walk(sub, &rel, links)?;
                }
                continue;
            }
            if self.rules.ignore(&rel, false) {
                continue;
            }
            if kind != FileType::RegularFile {
                return Err(LoadError::IrregularFile {
                    path: self.root.join(&rel),
                }
                .into());
            }
            let file = if needed_at_load(&rel) {
                let data = self.read_needed(dirfd, &name, &rel)?;
                File::new(rel, data)
            } else {
                let st = match stat {
                    Some(st) => st,
                    None => rustix::fs::statat(dirfd, name.as_str(), AtFlags::empty())
                        .map_err(|e| full_error(e.into()))?,
                };
                self.check_deferred(dirfd, &st, &name, &rel)?;
                let full = self.absolute_root.join(&rel);
                File::deferred(rel, full)
            };
            self.out.push(file);
        }
        Ok(())
    }

    /// Read a file rendering needs, with Helm's errors.
    fn read_needed(
        &mut self,
        dirfd: rustix::fd::BorrowedFd<'_>,
        name: &str,
        rel: &str,
    ) -> Result<Arc<[u8]>, Error> {
        match self.read_at(dirfd, name) {
            Ok(data) => Ok(data),
            Err(ReadError::TooLarge) => Err(too_large(name).into()),
            Err(ReadError::Io(e)) => {
                // Helm checks the size before it reads: an oversized file
                // is reported as such even when it cannot be opened.
                if let Ok(st) = rustix::fs::statat(dirfd, name, AtFlags::empty())
                    && st.st_size as u64 > MAX_DECOMPRESSED_FILE_SIZE
                {
                    return Err(too_large(name).into());
                }
                Err(read_error(rel, e).into())
            }
        }
    }

    /// A file's bytes (BOM stripped), opened relative to `dirfd`.
    fn read_at(
        &mut self,
        dirfd: rustix::fd::BorrowedFd<'_>,
        name: &str,
    ) -> Result<Arc<[u8]>, ReadError> {
        let fd = open_file(dirfd, Path::new(name));
        read_fd(fd, &mut self.scratch, MAX_DECOMPRESSED_FILE_SIZE)?;
        Ok(strip_bom(&self.scratch))
    }

    /// What would make Helm's read of a file fail: too large for the
    /// limit, or unreadable. Readability is judged from the permission
    /// bits first, with no system call; only a file they deny is asked of
    /// the kernel (`faccessat`), which also knows access control lists and
    /// capabilities.
    fn check_deferred(
        &mut self,
        dirfd: rustix::fd::BorrowedFd<'_>,
        st: &rustix::fs::Stat,
        name: &str,
        rel: &str,
    ) -> Result<(), Error> {
        if st.st_size as u64 > MAX_DECOMPRESSED_FILE_SIZE {
            return Err(too_large(name).into());
        }
        let ids = self.ids.get_or_insert_with(Ids::current);
        let mode = rustix::fs::Mode::from_raw_mode(st.st_mode);
        if !ids.may_read(mode, st.st_uid, st.st_gid)
            && let Err(e) =
                rustix::fs::accessat(dirfd, name, rustix::fs::Access::READ_OK, AtFlags::empty())
        {
            return Err(read_error(rel, io::Error::from(e)).into());
        }
        Ok(())
    }
}

/// Why a file could not be read.
enum ReadError {
    Io(io::Error),
    TooLarge,
}

impl From<rustix::io::Errno> for ReadError {
    fn from(e: rustix::io::Errno) -> Self {
        ReadError::Io(e.into())
    }
}

/// Read an opened file to its end into `buf` (cleared first), refusing
/// more than `limit` bytes; reads go straight into the buffer's spare
/// capacity, so a file smaller than it takes one read and one more for
/// the end.
fn read_fd(
    fd: rustix::io::Result<OwnedFd>,
    buf: &mut Vec<u8>,
    limit: u64,
) -> Result<(), ReadError> {
    let fd = fd?;
    buf.clear();
    loop {
        if buf.len() == buf.capacity() {
            buf.reserve(buf.capacity().max(64 * 1024));
        }
        match rustix::io::read(&fd, rustix::buffer::spare_capacity(buf)) {
            Ok(0) => return Ok(()),
            Ok(_) if buf.len() as u64 > limit => {
                return Err(ReadError::TooLarge);
            }
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

fn open_file(dirfd: impl AsFd, path: &Path) -> rustix::io::Result<OwnedFd> {
    rustix::fs::openat(dirfd, path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
}

fn open_dir(dirfd: impl AsFd, path: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat(
        dirfd,
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Helm's load error for a chart file it could not read.
fn read_error(rel: &str, e: io::Error) -> LoadError {
    LoadError::ReadFile {
        file: rel.to_string(),
        source: Arc::new(e),
    }
}

fn too_large(name: &str) -> LoadError {
    LoadError::FileTooLarge {
        name: name.to_string(),
        limit: MAX_DECOMPRESSED_FILE_SIZE,
    }
}

/// A directory or file under the chart that could not be opened or listed.
fn io_error(path: std::path::PathBuf, e: io::Error) -> Error {
    LoadError::Io {
        path,
        source: Arc::new(e),
    }
    .into()
}

/// The bytes in a shared buffer, without a leading UTF-8 byte-order mark.
pub(crate) fn strip_bom(data: &[u8]) -> Arc<[u8]> {
    Arc::from(data.strip_prefix(UTF8_BOM).unwrap_or(data))
}

/// The effective user and groups a read permission is judged for.
struct Ids {
    uid: u32,
    gid: u32,
    groups: Vec<u32>,
}

impl Ids {
    fn current() -> Ids {
        Ids {
            uid: rustix::process::geteuid().as_raw(),
            gid: rustix::process::getegid().as_raw(),
            groups: rustix::process::getgroups()
                .map(|g| g.into_iter().map(|g| g.as_raw()).collect())
                .unwrap_or_default(),
        }
    }

    /// The kernel's read check without access control lists: root reads
    /// anything; else the owner, group or other bits that apply.
    fn may_read(&self, mode: rustix::fs::Mode, owner: u32, group: u32) -> bool {
        use rustix::fs::Mode;
        if self.uid == 0 {
            return true;
        }
        if owner == self.uid {
            return mode.contains(Mode::RUSR);
        }
        if group == self.gid || self.groups.contains(&group) {
            return mode.contains(Mode::RGRP);
        }
        mode.contains(Mode::ROTH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PrintOptions, RenderOptions};

    fn write(root: &Path, rel: &str, data: &[u8]) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }

    /// A chart whose template prints a file only `.Files` reaches.
    fn chart_with_file(rel: &str, data: &[u8]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "Chart.yaml",
            b"apiVersion: v2\nname: c\nversion: 1.0.0\n",
        );
        write(
            dir.path(),
            "templates/cm.yaml",
            format!("data: {{{{ .Files.Get \"{rel}\" | quote }}}}\n").as_bytes(),
        );
        write(dir.path(), rel, data);
        dir
    }

    fn chart_file<'c>(chart: &'c crate::Chart, name: &str) -> &'c File {
        chart.files.iter().find(|f| f.name == name).unwrap()
    }

    fn render(dir: &Path) -> Result<String, Error> {
        let chart = crate::load(dir)?;
        let values = crate::ValueOptions::default().merge()?;
        crate::template(
            &chart,
            &values,
            &RenderOptions::default(),
            &PrintOptions::default(),
        )
        .map(|(text, _)| text)
    }

    #[test]
    fn files_left_on_disk_are_read_when_used() {
        let dir = chart_with_file("files/conf.txt", b"\xEF\xBB\xBFkey=1");
        let chart = crate::load(dir.path()).unwrap();
        let file = chart_file(&chart, "files/conf.txt");
        assert!(matches!(file.content, crate::chart::Content::Deferred(_)));
        // Read on first use, byte-order mark stripped as at load.
        assert_eq!(file.data().unwrap(), b"key=1");
        assert!(render(dir.path()).unwrap().contains("data: \"key=1\""));
    }

    #[test]
    fn a_file_gone_since_load_is_a_load_error_when_used() {
        let dir = chart_with_file("files/conf.txt", b"x");
        let chart = crate::load(dir.path()).unwrap();
        std::fs::remove_file(dir.path().join("files/conf.txt")).unwrap();
        let values = crate::ValueOptions::default().merge().unwrap();
        let err = crate::template(
            &chart,
            &values,
            &RenderOptions::default(),
            &PrintOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("error reading files/conf.txt: "), "{err}");
    }

    #[test]
    fn oversized_files_are_refused_at_load_even_when_unused() {
        let dir = chart_with_file("files/conf.txt", b"x");
        write(dir.path(), "ci/huge.bin", b"");
        let huge = std::fs::File::options()
            .write(true)
            .open(dir.path().join("ci/huge.bin"))
            .unwrap();
        // Sparse: the size is what counts, nothing is read.
        huge.set_len(MAX_DECOMPRESSED_FILE_SIZE + 1).unwrap();
        assert_eq!(
            crate::load(dir.path()).unwrap_err().to_string(),
            "chart file \"huge.bin\" is larger than the maximum file size 5242880"
        );
        // A needed file is measured by what is read.
        let dir = chart_with_file("files/conf.txt", b"x");
        let big = vec![b'#'; MAX_DECOMPRESSED_FILE_SIZE as usize + 1];
        write(dir.path(), "values.yaml", &big);
        assert_eq!(
            crate::load(dir.path()).unwrap_err().to_string(),
            "chart file \"values.yaml\" is larger than the maximum file size 5242880"
        );
    }

    #[test]
    fn a_symlink_loop_ends_in_an_error_not_a_deep_walk() {
        let dir = chart_with_file("files/conf.txt", b"x");
        std::os::unix::fs::symlink(".", dir.path().join("files/loop")).unwrap();
        let err = crate::load(dir.path()).unwrap_err().to_string();
        let eloop = io::Error::from_raw_os_error(rustix::io::Errno::LOOP.raw_os_error());
        assert!(err.ends_with(&eloop.to_string()), "{err}");
        assert!(err.contains("files/loop/loop/"), "{err}");
        // A link to a directory that is not a loop is walked.
        let dir = chart_with_file("files/conf.txt", b"x");
        std::os::unix::fs::symlink("files", dir.path().join("more")).unwrap();
        let chart = crate::load(dir.path()).unwrap();
        assert!(chart.files.iter().any(|f| f.name == "more/conf.txt"));
    }

    #[test]
    fn helmignore_is_read_as_is() {
        // A byte-order mark stays part of the first rule, as in Helm: it
        // then matches nothing, and the file it named is loaded.
        let dir = chart_with_file("files/conf.txt", b"x");
        write(
            dir.path(),
            ".helmignore",
            b"\xEF\xBB\xBFfiles/conf.txt\nci/\n",
        );
        write(dir.path(), "ci/a.yaml", b"a: 1");
        let chart = crate::load(dir.path()).unwrap();
        assert!(chart.files.iter().any(|f| f.name == "files/conf.txt"));
        assert!(!chart.files.iter().any(|f| f.name.starts_with("ci/")));
    }

    #[test]
    fn files_read_late_are_found_from_the_absolute_chart_path() {
        let dir = chart_with_file("files/conf.txt", b"x");
        let chart = crate::load(dir.path()).unwrap();
        let file = chart_file(&chart, "files/conf.txt");
        let crate::chart::Content::Deferred(d) = &file.content else {
            panic!("not deferred");
        };
        assert!(d.path.is_absolute(), "{}", d.path.display());
    }

    #[test]
    fn readability_follows_the_permission_bits() {
        let ids = Ids {
            uid: 1000,
            gid: 100,
            groups: vec![20],
        };
        let m = rustix::fs::Mode::from_raw_mode;
        assert!(ids.may_read(m(0o400), 1000, 0));
        assert!(
            !ids.may_read(m(0o044), 1000, 100),
            "owner bits decide for the owner"
        );
        assert!(ids.may_read(m(0o040), 0, 100));
        assert!(ids.may_read(m(0o040), 0, 20), "supplementary group");
        assert!(
            !ids.may_read(m(0o404), 0, 20),
            "group bits decide for a member"
        );
        assert!(ids.may_read(m(0o004), 0, 0));
        assert!(!ids.may_read(m(0o440), 0, 0));
        let root = Ids {
            uid: 0,
            gid: 0,
            groups: vec![],
        };
        assert!(root.may_read(m(0o000), 1000, 1000));
    }

    #[test]
    fn only_what_rendering_reads_is_needed_at_load() {
        for rel in [
            "Chart.yaml",
            "values.yaml",
            "values.schema.json",
            "requirements.yaml",
            "templates/a.yaml",
            "templates/sub/_h.tpl",
            "charts/sub.tgz",
            "charts/sub/Chart.yaml",
            "charts/sub/templates/x.yaml",
            "charts/a/charts/b/values.yaml",
            "charts/a/charts/b.tgz",
        ] {
            assert!(needed_at_load(rel), "{rel}");
        }
        for rel in [
            "README.md",
            "ci/values.yaml",
            "crds/c.yaml",
            "files/templates/x",
            "charts/sub/README.md",
            "charts/sub/ci/values.yaml",
            "Chart.lock",
            "x/Chart.yaml",
        ] {
            assert!(!needed_at_load(rel), "{rel}");
        }
    }
}
