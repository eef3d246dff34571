//! `deckmod build`: build a module version into OCI image layouts on disk.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use registry::build::ImagesDigests;
use registry::images_digests::{declared_images, parse_image_arg, resolve_images};
use registry::{BuiltModule, ModuleVersion};

use super::runtime::block_on;
use super::source::RegistryArgs;

/// Shown under `--help` of the commands that build.
pub const IMAGES_HELP: &str = "Component images are not built here: build them from \
images/<dir>/Dockerfile with your image builder (werf, buildah, docker), push them to \
<source>/<module>, and pass --image NAME=REFERENCE for each so their digests are written \
to images_digests.json (resolved from the registry).";

/// Arguments of `deckmod build`.
#[derive(clap::Args)]
#[command(after_help = IMAGES_HELP)]
pub struct BuildArgs {
    /// The module directory.
    #[arg(default_value = ".")]
    pub module: PathBuf,
    /// The version to build (vMAJOR.MINOR.PATCH).
    #[arg(long)]
    pub version: String,
    /// Output directory [default: dist/<module>/<version>].
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub images: ImageArgs,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Component image flags (resolving needs a registry connection).
#[derive(clap::Args)]
pub struct ImageArgs {
    /// Component image to record in images_digests.json, as NAME=REFERENCE (repeatable).
    /// NAME is the lowerCamel image name or its images/ directory name.
    #[arg(long = "image", value_name = "NAME=REFERENCE")]
    pub images: Vec<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

impl ImageArgs {
    /// Resolves the `--image` flags to digests; `None` when none were given (a committed
    /// images_digests.json, if any, is then kept as is).
    pub fn resolve(&self, module: &Path) -> anyhow::Result<Option<ImagesDigests>> {
        let declared = declared_images(module)?;
        if self.images.is_empty() {
            if !declared.is_empty() && !module.join("images_digests.json").exists() {
                eprintln!(
                    "warning: the module declares images ({}) but no --image was given; \
                     images_digests.json will be missing",
                    declared.join(", ")
                );
            }
            return Ok(None);
        }
        let parsed = self
            .images
            .iter()
            .map(|arg| parse_image_arg(arg))
            .collect::<Result<Vec<_>, _>>()?;
        for key in &declared {
            if !parsed.iter().any(|(k, _)| k == key) {
                eprintln!(
                    "warning: image {key} (images/ directory) has no --image and is not in images_digests.json"
                );
            }
        }
        let client = self.registry.client()?;
        Ok(Some(block_on(resolve_images(&client, &parsed))?))
    }
}

/// Builds the module at `module` (shared with `deckmod push`).
pub fn build(module: &Path, version: &str, images: &ImageArgs) -> anyhow::Result<BuiltModule> {
    let version = ModuleVersion::parse(version)?;
    let digests = images.resolve(module)?;
    Ok(registry::build_module(module, &version, digests.as_ref())?)
}

/// Run `deckmod build`.
pub fn run(args: BuildArgs) -> anyhow::Result<ExitCode> {
    let built = build(&args.module, &args.version, &args.images)?;
    let output = args.output.clone().unwrap_or_else(|| {
        Path::new("dist")
            .join(&built.name)
            .join(built.version.tag())
    });
    registry::write_build_output(&output, &built)?;
    let summary = serde_json::json!({
        "module": built.name,
        "version": built.version.tag(),
        "moduleDigest": built.module_image.manifest_digest.to_string(),
        "releaseDigest": built.release_image.manifest_digest.to_string(),
        "output": output.display().to_string(),
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!("built {} {}", built.name, built.version);
        println!("  module image   {}", built.module_image.manifest_digest);
        println!("  release image  {}", built.release_image.manifest_digest);
        println!(
            "  OCI layouts    {0}/module and {0}/release (tag {1})",
            output.display(),
            built.version.tag()
        );
    }
    Ok(ExitCode::SUCCESS)
}
