//! Safe extraction of module image layers.
//!
//! Follows the platform's unpack rules (registry-layout.md §2) and is stricter where that
//! costs nothing: entries whose name contains `..` or is absolute are refused; regular files
//! are written with `mode & 0700`; symbolic links are created only when link and target
//! stay inside the root; hard links must point at a regular file already extracted inside
//! the root; devices, FIFOs and other special entries are refused. Nothing is ever written
//! through a symbolic link, so a link created by one entry cannot redirect a later one.
//! [`extract_layers`] unpacks into a temporary sibling of the destination and renames it
//! into place, so the destination is either the old tree or the complete new one.

use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use crate::digest::{Digest, HashingReader};
use crate::error::{Error, Result};

/// One compressed layer to extract, with the digests it must match.
pub struct LayerToExtract<'a> {
    /// The `tar+gzip` bytes (already verified against the blob digest by the caller).
    pub gzip: &'a [u8],
    /// The uncompressed digest (`diff_id`) from the image config, when known.
    pub diff_id: Option<&'a Digest>,
}

/// What an extraction produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtractStats {
    /// Regular files written (hard links included).
    pub files: u64,
    /// Bytes of regular file content written.
    pub bytes: u64,
}

/// Extracts `layers` in order (later layers override earlier ones, OCI whiteouts honoured)
/// into `dest`, atomically replacing whatever was there.
pub fn extract_layers(layers: &[LayerToExtract<'_>], dest: &Path) -> Result<ExtractStats> {
    extract_into(dest, |staging| {
        let mut stats = ExtractStats::default();
        for (index, layer) in layers.iter().enumerate() {
            let layer_stats = unpack_gzip_layer(layer.gzip, None, layer.diff_id, index, staging)?;
            stats.files += layer_stats.files;
            stats.bytes += layer_stats.bytes;
        }
        Ok(stats)
    })
}

/// One compressed layer read from a stream (a download in progress), with the digests it
/// must match.
pub struct StreamedLayer {
    /// The `tar+gzip` bytes as they arrive.
    pub reader: Box<dyn Read + Send>,
    /// The blob digest the compressed bytes must hash to.
    pub digest: Digest,
    /// The uncompressed digest (`diff_id`) from the image config, when known.
    pub diff_id: Option<Digest>,
}

/// Like [`extract_layers`], but unpacks each layer while its bytes arrive. Nothing is
/// trusted before it is verified: the tree grows in the temporary sibling, every blob
/// digest and `diff_id` is checked once its stream ends, and only a tree whose every
/// layer matched is renamed onto `dest`. A mismatch or a broken stream leaves `dest`
/// untouched and removes the partial tree.
pub fn extract_layer_streams(layers: Vec<StreamedLayer>, dest: &Path) -> Result<ExtractStats> {
    extract_into(dest, |staging| {
        let mut stats = ExtractStats::default();
        for (index, layer) in layers.into_iter().enumerate() {
            let layer_stats = unpack_gzip_layer(
                layer.reader,
                Some(&layer.digest),
                layer.diff_id.as_ref(),
                index,
                staging,
            )?;
            stats.files += layer_stats.files;
            stats.bytes += layer_stats.bytes;
        }
        Ok(stats)
    })
}

/// Unpacks one gzip tar layer into `root`, checking the compressed digest (when given) and
/// the uncompressed one (when known) after reading the stream to its end.
fn unpack_gzip_layer(
    gzip: impl Read,
    digest: Option<&Digest>,
    diff_id: Option<&Digest>,
    index: usize,
    root: &Path,
) -> Result<ExtractStats> {
    let mut compressed = HashingReader::new(gzip);
    let (stats, actual_diff_id) = {
        let mut reader = HashingReader::new(GzDecoder::new(&mut compressed));
        let stats = unpack_tar(&mut reader, root)?;
        let actual = reader
            .finish()
            .map_err(|e| Error::io(format!("<layer {index}>"), e))?;
        (stats, actual)
    };
    let actual_digest = compressed
        .finish()
        .map_err(|e| Error::io(format!("<layer {index}>"), e))?;
    if let Some(expected) = digest
        && *expected != actual_digest
    {
        return Err(Error::DigestMismatch {
            what: format!("layer {index} (blob digest)"),
            expected: expected.to_string(),
            actual: actual_digest.to_string(),
        });
    }
    if let Some(expected) = diff_id
        && *expected != actual_diff_id
    {
        return Err(Error::DigestMismatch {
            what: format!("uncompressed layer {index} (diff_id)"),
            expected: expected.to_string(),
            actual: actual_diff_id.to_string(),
        });
    }
    Ok(stats)
}

/// Runs `fill` on a temporary sibling of `dest` and renames the result onto `dest`; on
/// any error the sibling is removed and `dest` is left as it was.
fn extract_into(
    dest: &Path,
    fill: impl FnOnce(&Path) -> Result<ExtractStats>,
) -> Result<ExtractStats> {
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let file_name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Invalid(format!("{}: not a directory name", dest.display())))?;
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{file_name}.pull-"))
        .tempdir_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;
    let stats = fill(staging.path())?;
    // The staging dir was created 0700; the module tree itself is readable like any dir.
    fs::set_permissions(staging.path(), fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io(staging.path(), e))?;
    replace_dir(staging.keep(), dest)?;
    Ok(stats)
}

/// Moves `staged` onto `dest`, replacing an existing directory.
fn replace_dir(staged: PathBuf, dest: &Path) -> Result<()> {
    match fs::symlink_metadata(dest) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::rename(&staged, dest).map_err(|e| Error::io(dest, e))
        }
        Err(e) => Err(Error::io(dest, e)),
        Ok(meta) if !meta.is_dir() => {
            let _ = fs::remove_dir_all(&staged);
            Err(Error::Invalid(format!(
                "{}: exists and is not a directory",
                dest.display()
            )))
        }
        Ok(_) => {
            let mut old = dest.as_os_str().to_owned();
            old.push(format!(".old-{}", std::process::id()));
            let old = PathBuf::from(old);
            fs::rename(dest, &old).map_err(|e| Error::io(dest, e))?;
            if let Err(e) = fs::rename(&staged, dest) {
                // Put the previous tree back so a failed pull leaves no gap.
                let _ = fs::rename(&old, dest);
                let _ = fs::remove_dir_all(&staged);
                return Err(Error::io(dest, e));
            }
            fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))
        }
    }
}

/// Unpacks one uncompressed tar stream into the existing directory `root`, applying the
/// safety rules of this module. Used by [`extract_layers`] and by the fuzz target.
pub fn unpack_tar(reader: impl Read, root: &Path) -> Result<ExtractStats> {
    let mut archive = tar::Archive::new(reader);
    let mut stats = ExtractStats::default();
    let entries = archive
        .entries()
        .map_err(|e| Error::io("<layer archive>", e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| Error::io("<layer archive>", e))?;
        let raw_name = entry.path_bytes().into_owned();
        let name = String::from_utf8(raw_name).map_err(|e| {
            Error::unsafe_entry(String::from_utf8_lossy(e.as_bytes()), "name is not UTF-8")
        })?;
        let kind = entry.header().entry_type();
        if matches!(kind, tar::EntryType::XGlobalHeader) {
            continue;
        }
        let parts = safe_components(&name)?;
        let Some((last, parents)) = parts.split_last() else {
            // The root itself (`./`): nothing to create.
            continue;
        };
        let parent_dir = ensure_parent_dirs(root, parents, &name)?;
        if let Some(hidden) = last.strip_prefix(".wh.") {
            apply_whiteout(&parent_dir, hidden, &name)?;
            continue;
        }
        let target = parent_dir.join(last);
        match kind {
            tar::EntryType::Directory => match fs::symlink_metadata(&target) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    remove_any(&target)?;
                    create_dir(&target)?;
                }
                Err(_) => create_dir(&target)?,
            },
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                remove_any(&target)?;
                let mode = entry.header().mode().map_err(|e| Error::io(&target, e))? & 0o700;
                let mut file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(mode | 0o200)
                    .open(&target)
                    .map_err(|e| Error::io(&target, e))?;
                let written = io::copy(&mut entry, &mut file).map_err(|e| Error::io(&target, e))?;
                drop(file);
                fs::set_permissions(&target, fs::Permissions::from_mode(mode))
                    .map_err(|e| Error::io(&target, e))?;
                stats.files += 1;
                stats.bytes += written;
            }
            tar::EntryType::Symlink => {
                let link = link_target(&entry, &name)?;
                check_symlink_target(parents, &link, &name)?;
                remove_any(&target)?;
                std::os::unix::fs::symlink(&link, &target).map_err(|e| Error::io(&target, e))?;
            }
            tar::EntryType::Link => {
                let link = link_target(&entry, &name)?;
                let link_parts = safe_components(&link).map_err(|_| {
                    Error::unsafe_entry(&name, format!("hard link target {link:?} leaves the root"))
                })?;
                let source = resolve_existing_file(root, &link_parts).ok_or_else(|| {
                    Error::unsafe_entry(
                        &name,
                        format!(
                            "hard link target {link:?} is not a regular file extracted earlier"
                        ),
                    )
                })?;
                remove_any(&target)?;
                fs::hard_link(&source, &target).map_err(|e| Error::io(&target, e))?;
                stats.files += 1;
            }
            other => {
                return Err(Error::unsafe_entry(
                    &name,
                    format!(
                        "entry type {other:?} (device, FIFO or other special file) is not allowed"
                    ),
                ));
            }
        }
    }
    Ok(stats)
}

/// Splits an entry name into its path components, refusing anything that could leave the
/// root. `./` prefixes and empty or `.` components are dropped.
fn safe_components(name: &str) -> Result<Vec<&str>> {
    if name.contains("..") {
        return Err(Error::unsafe_entry(name, "name contains '..'"));
    }
    if name.starts_with('/') {
        return Err(Error::unsafe_entry(name, "absolute path"));
    }
    if name.contains('\\') || name.contains('\0') {
        return Err(Error::unsafe_entry(name, "name contains '\\' or NUL"));
    }
    Ok(name
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect())
}

/// Makes sure every parent component exists as a real directory (never a symlink).
fn ensure_parent_dirs(root: &Path, parents: &[&str], name: &str) -> Result<PathBuf> {
    let mut dir = root.to_path_buf();
    for part in parents {
        dir.push(part);
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(Error::unsafe_entry(
                    name,
                    format!("parent {part:?} is a symbolic link; refusing to write through it"),
                ));
            }
            Ok(_) => {
                return Err(Error::unsafe_entry(
                    name,
                    format!("parent {part:?} is not a directory"),
                ));
            }
            Err(_) => create_dir(&dir)?,
        }
    }
    Ok(dir)
}

fn create_dir(path: &Path) -> Result<()> {
    fs::create_dir(path).map_err(|e| Error::io(path, e))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(|e| Error::io(path, e))
}

/// Removes whatever is at `path` (file, link or tree) without following links.
fn remove_any(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path).map_err(|e| Error::io(path, e)),
        Ok(_) => fs::remove_file(path).map_err(|e| Error::io(path, e)),
        Err(_) => Ok(()),
    }
}

/// OCI whiteouts: `.wh.<name>` deletes `<name>`; `.wh..wh..opq` empties the directory.
fn apply_whiteout(dir: &Path, hidden: &str, name: &str) -> Result<()> {
    if hidden == ".wh..opq" {
        let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            remove_any(&entry.path())?;
        }
        return Ok(());
    }
    if hidden.is_empty() || hidden.starts_with(".wh.") {
        return Err(Error::unsafe_entry(name, "malformed whiteout"));
    }
    remove_any(&dir.join(hidden))
}

fn link_target<R: Read>(entry: &tar::Entry<'_, R>, name: &str) -> Result<String> {
    let bytes = entry
        .link_name_bytes()
        .ok_or_else(|| Error::unsafe_entry(name, "link without a target"))?;
    String::from_utf8(bytes.into_owned())
        .map_err(|_| Error::unsafe_entry(name, "link target is not UTF-8"))
}

/// A symlink at `<parents>/<name>` pointing to `target` must resolve (lexically, from the
/// link's directory) to a path inside the root.
fn check_symlink_target(parents: &[&str], target: &str, name: &str) -> Result<()> {
    if target.is_empty() || target.starts_with('/') {
        return Err(Error::unsafe_entry(
            name,
            format!("symbolic link target {target:?} is absolute or empty"),
        ));
    }
    let mut depth = parents.len();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                depth = depth.checked_sub(1).ok_or_else(|| {
                    Error::unsafe_entry(
                        name,
                        format!("symbolic link target {target:?} leaves the root"),
                    )
                })?;
            }
            _ => depth += 1,
        }
    }
    Ok(())
}

/// The path of an already extracted regular file reached without crossing symlinks.
fn resolve_existing_file(root: &Path, parts: &[&str]) -> Option<PathBuf> {
    if parts.is_empty() {
        return None;
    }
    let mut path = root.to_path_buf();
    for (index, part) in parts.iter().enumerate() {
        path.push(part);
        let meta = fs::symlink_metadata(&path).ok()?;
        let last = index + 1 == parts.len();
        if (last && !meta.is_file()) || (!last && !meta.is_dir()) {
            return None;
        }
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{ArchiveEntry, EntrySource, pack};

    fn layer() -> crate::archive::PackedLayer {
        pack(vec![ArchiveEntry {
            name: "module.yaml".into(),
            source: EntrySource::Bytes(b"name: m\n".to_vec()),
        }])
        .unwrap()
    }

    fn streamed(gzip: Vec<u8>, digest: Digest, diff_id: Option<Digest>) -> StreamedLayer {
        StreamedLayer {
            reader: Box::new(std::io::Cursor::new(gzip)),
            digest,
            diff_id,
        }
    }

    #[test]
    fn streamed_layers_are_verified_before_the_tree_replaces_dest() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("m");
        fs::create_dir_all(&dest).unwrap();
        fs::write(dest.join("old.txt"), "previous").unwrap();
        let good = layer();
        // A stream whose bytes do not match the announced blob digest: refused after it
        // was unpacked in the sibling, and the old tree stays.
        let err = extract_layer_streams(
            vec![streamed(good.gzip.clone(), Digest::of(b"other"), None)],
            &dest,
        )
        .unwrap_err();
        assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
        assert!(dest.join("old.txt").is_file() && !dest.join("module.yaml").exists());
        // A wrong diff_id is refused too.
        let err = extract_layer_streams(
            vec![streamed(
                good.gzip.clone(),
                good.digest.clone(),
                Some(Digest::of(b"x")),
            )],
            &dest,
        )
        .unwrap_err();
        assert!(err.to_string().contains("diff_id"), "{err}");
        let leftovers: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no staging dir left behind");
        // The genuine stream replaces the tree.
        let stats = extract_layer_streams(
            vec![streamed(good.gzip, good.digest, Some(good.diff_id))],
            &dest,
        )
        .unwrap();
        assert_eq!(stats.files, 1);
        assert!(dest.join("module.yaml").is_file() && !dest.join("old.txt").exists());
    }
}
