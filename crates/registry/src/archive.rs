//! Reproducible layer archives: the same entries always give the same bytes and digest.
//!
//! Entries are sorted by name, parents are added implicitly, owners are 0/0 with empty
//! names, mtimes are 0, modes are normalised to 0755 (directories, executables, links) or
//! 0644, and the gzip header carries no timestamp or file name.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;

use flate2::{Compression, GzBuilder};

use crate::digest::{Digest, HashingWriter};
use crate::error::{Error, Result};

/// Where the content of one archive entry comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntrySource {
    /// A directory.
    Directory,
    /// A regular file read from disk when the archive is written.
    File {
        /// The file on disk.
        path: PathBuf,
        /// Whether the entry gets mode 0755 instead of 0644.
        executable: bool,
    },
    /// A regular file (mode 0644) with the given content.
    Bytes(Vec<u8>),
    /// A symbolic link to the given (relative) target.
    Symlink(String),
}

/// One entry of a layer: a relative `/`-separated name and its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveEntry {
    /// Relative path inside the image root, `/`-separated, without leading `/` or `./`.
    pub name: String,
    /// The entry's content.
    pub source: EntrySource,
}

/// A gzip-compressed tar layer together with its digests.
#[derive(Clone, Debug)]
pub struct PackedLayer {
    /// The compressed bytes (what the registry stores).
    pub gzip: Vec<u8>,
    /// Digest of the compressed bytes (the blob digest).
    pub digest: Digest,
    /// Digest of the uncompressed tar (the image config's `diff_id`).
    pub diff_id: Digest,
}

/// Gzip level used for layers. Level 6 is the zlib/Go default, so our layers compress about
/// as well as those of other builders; any fixed level keeps the output reproducible.
const GZIP_LEVEL: u32 = 6;

/// Packs `entries` into a reproducible `tar+gzip` layer.
///
/// Fails on duplicate names, names that are not clean relative paths, or unreadable files.
pub fn pack(entries: Vec<ArchiveEntry>) -> Result<PackedLayer> {
    let mut by_name: BTreeMap<String, EntrySource> = BTreeMap::new();
    for entry in entries {
        check_entry_name(&entry.name)?;
        add_parents(&mut by_name, &entry.name);
        match by_name.get(&entry.name) {
            Some(EntrySource::Directory) if entry.source == EntrySource::Directory => {}
            Some(_) => {
                return Err(Error::Invalid(format!(
                    "archive entry {:?} is given twice",
                    entry.name
                )));
            }
            None => {}
        }
        by_name.insert(entry.name, entry.source);
    }

    let compressed = HashingWriter::new(Vec::new());
    let gzip = GzBuilder::new()
        .mtime(0)
        .write(compressed, Compression::new(GZIP_LEVEL));
    let mut builder = tar::Builder::new(HashingWriter::new(gzip));
    builder.mode(tar::HeaderMode::Deterministic);
    for (name, source) in &by_name {
        append_entry(&mut builder, name, source)?;
    }
    let tar_writer = builder
        .into_inner()
        .map_err(|e| Error::io("<layer archive>", e))?;
    let (gzip, diff_id) = tar_writer.finish();
    let compressed = gzip.finish().map_err(|e| Error::io("<layer gzip>", e))?;
    let (gzip, digest) = compressed.finish();
    Ok(PackedLayer {
        gzip,
        digest,
        diff_id,
    })
}

/// The layer of an empty image: an empty tar, gzip-compressed reproducibly.
pub fn empty_layer() -> Result<PackedLayer> {
    pack(Vec::new())
}

fn check_entry_name(name: &str) -> Result<()> {
    let clean = !name.is_empty()
        && !name.starts_with('/')
        && !name.ends_with('/')
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    if clean {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "archive entry name {name:?} is not a clean relative path"
        )))
    }
}

fn add_parents(by_name: &mut BTreeMap<String, EntrySource>, name: &str) {
    let mut end = 0;
    while let Some(pos) = name[end..].find('/') {
        let parent = &name[..end + pos];
        by_name
            .entry(parent.to_string())
            .or_insert(EntrySource::Directory);
        end += pos + 1;
    }
}

fn append_entry<W: Write>(
    builder: &mut tar::Builder<W>,
    name: &str,
    source: &EntrySource,
) -> Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    let archive_err = |e: io::Error| Error::io(format!("<layer entry {name}>"), e);
    match source {
        EntrySource::Directory => {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(0o755);
            header.set_size(0);
            builder
                .append_data(&mut header, format!("{name}/"), io::empty())
                .map_err(archive_err)
        }
        EntrySource::File { path, executable } => {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(if *executable { 0o755 } else { 0o644 });
            header.set_size(size);
            // `take` guards against a file growing while it is archived: the header's size
            // is authoritative, so never write more than it announces.
            builder
                .append_data(&mut header, name, io::Read::take(file, size))
                .map_err(|e| Error::io(path, e))
        }
        EntrySource::Bytes(bytes) => {
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(0o644);
            header.set_size(bytes.len() as u64);
            builder
                .append_data(&mut header, name, bytes.as_slice())
                .map_err(archive_err)
        }
        EntrySource::Symlink(target) => {
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_mode(0o755);
            header.set_size(0);
            builder
                .append_link(&mut header, name, target)
                .map_err(archive_err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, content: &str) -> ArchiveEntry {
        ArchiveEntry {
            name: name.to_string(),
            source: EntrySource::Bytes(content.as_bytes().to_vec()),
        }
    }

    #[test]
    fn same_entries_in_any_order_give_the_same_digest() {
        let a = pack(vec![file("b/c.yaml", "x"), file("a.yaml", "y")]).unwrap();
        let b = pack(vec![file("a.yaml", "y"), file("b/c.yaml", "x")]).unwrap();
        assert_eq!(a.digest, b.digest);
        assert_eq!(a.gzip, b.gzip);
        let c = pack(vec![file("a.yaml", "y"), file("b/c.yaml", "z")]).unwrap();
        assert_ne!(a.digest, c.digest);
    }

    #[test]
    fn entries_are_sorted_with_implicit_parents_and_normalised_headers() {
        let layer = pack(vec![file("z/y/x", "1"), file("a", "2")]).unwrap();
        let tar = flate2::read::GzDecoder::new(layer.gzip.as_slice());
        let mut archive = tar::Archive::new(tar);
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let header = entry.header();
            assert_eq!(header.mtime().unwrap(), 0);
            assert_eq!(header.uid().unwrap(), 0);
            seen.push(entry.path().unwrap().to_string_lossy().into_owned());
        }
        assert_eq!(seen, ["a", "z/", "z/y/", "z/y/x"]);
    }

    #[test]
    fn gzip_header_has_no_timestamp() {
        let layer = empty_layer().unwrap();
        assert_eq!(&layer.gzip[4..8], &[0, 0, 0, 0]);
    }

    #[test]
    fn refuses_duplicates_and_unclean_names() {
        assert!(pack(vec![file("a", "1"), file("a", "2")]).is_err());
        assert!(pack(vec![file("../a", "1")]).is_err());
        assert!(pack(vec![file("/a", "1")]).is_err());
        assert!(pack(vec![file("a//b", "1")]).is_err());
    }
}
