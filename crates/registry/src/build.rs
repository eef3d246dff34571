//! Building a module version: the module image (bundle) and its release image.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::archive::{self, ArchiveEntry, EntrySource};
use crate::bundle::{GENERATED_FILES, bundle_entries, release_entries};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::layout;
use crate::module_meta::read_module_name;
use crate::version::ModuleVersion;

/// Component image digests keyed by lowerCamel image name (`images_digests.json`).
pub type ImagesDigests = BTreeMap<String, String>;

/// A built module version, ready to be written as OCI layouts or pushed.
#[derive(Clone, Debug)]
pub struct BuiltModule {
    /// Module name from `module.yaml`.
    pub name: String,
    /// The version being built.
    pub version: ModuleVersion,
    /// `<src>/<m>:<ver>`: the module tree.
    pub module_image: Image,
    /// `<src>/<m>/release:<ver>`: `version.json`, changelog, `module.yaml`.
    pub release_image: Image,
}

/// `version.json` as written into both images.
#[derive(Serialize, Deserialize)]
pub struct VersionJson {
    /// The version with its `v` prefix.
    pub version: String,
}

/// Builds both images of module `dir` at `version`. When `images_digests` is given it is
/// written as `images_digests.json`, replacing any copy in the source tree.
pub fn build_module(
    dir: &Path,
    version: &ModuleVersion,
    images_digests: Option<&ImagesDigests>,
) -> Result<BuiltModule> {
    let name = read_module_name(dir)?;
    let version_json = serde_json::to_vec(&VersionJson {
        version: version.tag(),
    })
    .map_err(|e| Error::Invalid(format!("cannot encode version.json: {e}")))?;

    let skip: &[&str] = if images_digests.is_some() {
        GENERATED_FILES
    } else {
        &GENERATED_FILES[..1]
    };
    let mut module_entries = bundle_entries(dir, skip)?;
    module_entries.push(bytes_entry("version.json", version_json.clone()));
    if let Some(digests) = images_digests {
        let json = serde_json::to_vec_pretty(digests)
            .map_err(|e| Error::Invalid(format!("cannot encode images_digests.json: {e}")))?;
        module_entries.push(bytes_entry("images_digests.json", json));
    }
    let module_image = Image::from_layers(vec![archive::pack(module_entries)?])?;

    let mut release = release_entries(dir)?;
    release.push(bytes_entry("version.json", version_json));
    if let Some(changelog) = find_changelog(dir, version) {
        let content = fs::read(&changelog).map_err(|e| Error::io(&changelog, e))?;
        release.push(bytes_entry("changelog.yaml", content));
    }
    let release_image = Image::from_layers(vec![archive::pack(release)?])?;
    Ok(BuiltModule {
        name,
        version: version.clone(),
        module_image,
        release_image,
    })
}

/// The release notes of `version`: `CHANGELOG/<ver>.yml` (as DKP module repos keep them),
/// else a root `changelog.yaml` / `changelog.yml`.
fn find_changelog(dir: &Path, version: &ModuleVersion) -> Option<std::path::PathBuf> {
    let tag = version.tag();
    [
        format!("CHANGELOG/{tag}.yml"),
        format!("CHANGELOG/{tag}.yaml"),
        "changelog.yaml".to_string(),
        "changelog.yml".to_string(),
    ]
    .into_iter()
    .map(|candidate| dir.join(candidate))
    .find(|path| path.is_file())
}

fn bytes_entry(name: &str, content: Vec<u8>) -> ArchiveEntry {
    ArchiveEntry {
        name: name.to_string(),
        source: EntrySource::Bytes(content),
    }
}

/// Sub-directory of a build output holding the module image layout.
pub const MODULE_LAYOUT_DIR: &str = "module";
/// Sub-directory of a build output holding the release image layout.
pub const RELEASE_LAYOUT_DIR: &str = "release";
const BUILD_INFO_FILE: &str = "build.json";

#[derive(Serialize, Deserialize)]
struct BuildInfo {
    module: String,
    version: String,
    module_digest: String,
    release_digest: String,
}

/// Writes `built` to `out`: `module/` and `release/` OCI layouts (tagged with the version)
/// plus `build.json` naming the module, version and both manifest digests.
pub fn write_build_output(out: &Path, built: &BuiltModule) -> Result<()> {
    fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let tag = built.version.tag();
    layout::write_layout(&out.join(MODULE_LAYOUT_DIR), &built.module_image, &tag)?;
    layout::write_layout(&out.join(RELEASE_LAYOUT_DIR), &built.release_image, &tag)?;
    let info = BuildInfo {
        module: built.name.clone(),
        version: tag,
        module_digest: built.module_image.manifest_digest.to_string(),
        release_digest: built.release_image.manifest_digest.to_string(),
    };
    let path = out.join(BUILD_INFO_FILE);
    let json = serde_json::to_vec_pretty(&info)
        .map_err(|e| Error::Invalid(format!("cannot encode build.json: {e}")))?;
    fs::write(&path, json).map_err(|e| Error::io(&path, e))
}

/// Reads a build output written by [`write_build_output`], verifying every digest.
pub fn read_build_output(out: &Path) -> Result<BuiltModule> {
    let path = out.join(BUILD_INFO_FILE);
    let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let info: BuildInfo = serde_json::from_slice(&bytes)
        .map_err(|e| Error::metadata(path.display().to_string(), e.to_string()))?;
    // build.json may have been edited since the build: push only what lint would accept.
    module::name::check_module_name(&info.module)
        .map_err(|why| Error::metadata(path.display().to_string(), why))?;
    let version = ModuleVersion::parse(&info.version)?;
    let tag = version.tag();
    let module_image = layout::read_layout(&out.join(MODULE_LAYOUT_DIR), Some(&tag))?;
    let release_image = layout::read_layout(&out.join(RELEASE_LAYOUT_DIR), Some(&tag))?;
    Ok(BuiltModule {
        name: info.module,
        version,
        module_image,
        release_image,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_output_naming_a_module_lint_refuses_is_not_pushed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(BUILD_INFO_FILE);
        fs::write(
            &path,
            r#"{"module":"a--b","version":"v1.0.0","module_digest":"","release_digest":""}"#,
        )
        .unwrap();
        let err = read_build_output(dir.path()).unwrap_err().to_string();
        let why = module::name::check_module_name("a--b").unwrap_err();
        assert_eq!(err, format!("{}: {why}", path.display()));
    }
}
