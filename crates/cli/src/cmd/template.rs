//! `deckmod template`: render a Helm chart locally, with the flags and the
//! byte-for-byte output of `helm template` (3.17).
//!
//! Besides the values and capability flags, this covers how `helm template`
//! names the release (`NAME`, `--name-template`, `-g`), writes files instead
//! of printing (`--output-dir`, `--release-name`) and pipes the manifests
//! through an executable (`--post-renderer`, `--post-renderer-args`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use chart::{OutputDir, PrintEffects, PrintError, PrintOptions, RenderOptions, ValueOptions};

/// Arguments of `deckmod template` (the flags of `helm template`).
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  deckmod template ./mychart\n  deckmod template myrelease ./mychart -n prod -f prod.yaml --set image.tag=1.2.3\n  deckmod template ./mychart --kube-version 1.29.0 -a monitoring.coreos.com/v1 -s templates/deployment.yaml\n  deckmod template ./mychart --output-dir out --release-name\n  deckmod template ./mychart --post-renderer ./kustomize.sh --post-renderer-args overlay"
)]
pub struct TemplateArgs {
    /// The release name, or the chart when no name is given.
    #[arg(value_name = "NAME|CHART")]
    pub first: String,
    /// The chart directory or `.tgz` (after a release name).
    #[arg(value_name = "CHART")]
    pub chart: Option<String>,
    /// More arguments are an error, reported as helm reports it.
    #[arg(hide = true)]
    pub rest: Vec<String>,
    /// Values files, merged in order (`-` reads standard input).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Set values (`a.b=1,c[0]=x,d={x,y}`).
    #[arg(long = "set", value_name = "K=V")]
    pub set: Vec<String>,
    /// Set values, always as strings.
    #[arg(long = "set-string", value_name = "K=V")]
    pub set_string: Vec<String>,
    /// Set values from JSON texts.
    #[arg(long = "set-json", value_name = "K=JSON")]
    pub set_json: Vec<String>,
    /// Set values from the contents of files.
    #[arg(long = "set-file", value_name = "K=PATH")]
    pub set_file: Vec<String>,
    /// Set one value to a literal string: everything after the first `=`, commas included.
    #[arg(long = "set-literal", value_name = "K=V")]
    pub set_literal: Vec<String>,
    /// `.Release.Namespace`.
    #[arg(
        short = 'n',
        long = "namespace",
        default_value = "default",
        overrides_with = "namespace"
    )]
    pub namespace: String,
    /// Release name from a Go template with Sprig functions (instead of NAME).
    #[arg(
        long = "name-template",
        value_name = "TPL",
        overrides_with = "name_template"
    )]
    pub name_template: Option<String>,
    /// Generate the name and omit NAME (as helm template, the name is then `release-name`).
    #[arg(short = 'g', long = "generate-name", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_name = "BOOL", value_parser = go_bool)]
    pub generate_name: bool,
    /// Write each template's manifests to DIR/<chart>/templates/... instead of printing them.
    #[arg(long = "output-dir", value_name = "DIR", overrides_with = "output_dir")]
    pub output_dir: Option<PathBuf>,
    /// With --output-dir: put the files under DIR/<release name>/.
    #[arg(long = "release-name", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_name = "BOOL", value_parser = go_bool)]
    pub release_name: bool,
    /// Pipe the rendered manifests through this executable (a path, or a name looked up in PATH).
    #[arg(long = "post-renderer", value_name = "PATH")]
    pub post_renderer: Vec<String>,
    /// An argument to the post-renderer (repeatable).
    #[arg(
        long = "post-renderer-args",
        value_name = "ARG",
        allow_hyphen_values = true
    )]
    pub post_renderer_args: Vec<String>,
    /// Kubernetes version for `.Capabilities.KubeVersion` (default: v1.32.0, as Helm 3.17).
    #[arg(
        long = "kube-version",
        value_name = "VERSION",
        overrides_with = "kube_version"
    )]
    pub kube_version: Option<String>,
    /// Extra API versions for `.Capabilities.APIVersions` (`group/version` or `group/version/Kind`).
    #[arg(short = 'a', long = "api-versions", value_name = "API")]
    pub api_versions: Vec<String>,
    /// Only print manifests rendered from these templates (paths or globs relative to the chart).
    #[arg(short = 's', long = "show-only", value_name = "TEMPLATE")]
    pub show_only: Vec<String>,
    /// Also print the chart's `crds/` files.
    #[arg(long = "include-crds", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_name = "BOOL", value_parser = go_bool)]
    pub include_crds: bool,
    /// Render as an upgrade (`.Release.IsUpgrade`).
    #[arg(long = "is-upgrade", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_name = "BOOL", value_parser = go_bool)]
    pub is_upgrade: bool,
    /// Leave out `test` hooks.
    #[arg(long = "skip-tests", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_name = "BOOL", value_parser = go_bool)]
    pub skip_tests: bool,
    /// Leave out all hooks.
    #[arg(long = "no-hooks", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_name = "BOOL", value_parser = go_bool)]
    pub no_hooks: bool,
}

/// A boolean flag's `=VALUE`, as Go's `strconv.ParseBool` reads it
/// (`--skip-tests=false`, `-g=1`).
fn go_bool(s: &str) -> Result<bool, String> {
    gostd::strconv::parse_bool(s)
        .ok_or_else(|| gostd::strconv::NumError::Syntax.message("ParseBool", s))
}

/// Helm adds this hint to errors raised while rendering a release.
const DEBUG_HINT: &str = "\n\nUse --debug flag to render out invalid YAML";

/// Run `deckmod template`.
pub fn run(args: TemplateArgs) -> anyhow::Result<ExitCode> {
    // Helm checks the post-renderer while it parses flags, before anything else.
    let mut post_renderer = None;
    for p in args.post_renderer.iter().filter(|p| !p.is_empty()) {
        let path = gostd::os::look_path_abs(p).map_err(|e| {
            anyhow::anyhow!(
                "invalid argument {} for \"--post-renderer\" flag: unable to find binary at {p}: {e}",
                gostd::strconv::quote(p)
            )
        })?;
        post_renderer = Some(path);
    }
    if let Some(v) = &args.kube_version {
        chart::objects::KubeVersion::parse(v).map_err(anyhow::Error::msg)?;
    }
    let (name, chart_path) = release_and_chart(&args)?;
    // Helm locates the chart before it reads values: a chart that is not
    // there is reported first (in the loader's words).
    if std::fs::symlink_metadata(&chart_path).is_err() {
        chart::load(Path::new(&chart_path))?;
    }
    let value_opts = ValueOptions {
        value_files: args.values,
        values: args.set,
        string_values: args.set_string,
        json_values: args.set_json,
        file_values: args.set_file,
        literal_values: args.set_literal,
    };
    // Helm merges user values before it loads the chart; keep that order so
    // the first error reported is the same.
    let values = value_opts.merge()?;
    let loaded = chart::load(Path::new(&chart_path))?;
    chart::action::check_installable(&loaded)?;
    if name.is_empty() {
        anyhow::bail!("release name \"\": no name provided");
    }
    let render_opts = RenderOptions {
        release_name: name,
        namespace: args.namespace,
        is_upgrade: args.is_upgrade,
        kube_version: args.kube_version,
        api_versions: args.api_versions,
    };
    let print_opts = PrintOptions {
        include_crds: args.include_crds,
        skip_tests: args.skip_tests,
        no_hooks: args.no_hooks,
        show_only: args.show_only,
        output_dir: args.output_dir.map(|dir| OutputDir {
            dir: dir.to_string_lossy().into_owned(),
            release: args.release_name.then(|| render_opts.release_name.clone()),
        }),
    };
    let (rendered, scratch) = match chart::render_keeping_scratch(&loaded, &values, &render_opts) {
        Ok(r) => r,
        Err(e @ chart::Error::Render(_)) => return Err(anyhow::anyhow!("{e}{DEBUG_HINT}")),
        Err(e) => return Err(e.into()),
    };
    for w in &rendered.warnings {
        eprintln!("{w}");
    }
    let mut effects = Effects {
        post_renderer: post_renderer.map(|path| (path, args.post_renderer_args)),
    };
    let text = chart::print_with(&rendered, &print_opts, &mut effects).map_err(|e| match e {
        PrintError::Install(e) => anyhow::anyhow!("{e}{DEBUG_HINT}"),
        PrintError::Hook(e) => e,
        PrintError::Chart(e) => e.into(),
    })?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    // The render's scratch borrows the chart: handed over first.
    crate::lifetime::release_at_exit((rendered, scratch, text));
    crate::lifetime::release_at_exit(loaded);
    Ok(ExitCode::SUCCESS)
}

/// The release name and chart from the arguments, as `helm template` picks
/// them: `NAME CHART`, else `--name-template`, else `release-name` (a
/// generated name is never used by `helm template`).
fn release_and_chart(args: &TemplateArgs) -> anyhow::Result<(String, String)> {
    let name_template = args.name_template.as_deref().unwrap_or_default();
    if !args.rest.is_empty() {
        anyhow::bail!(
            "expected at most two arguments, unexpected arguments: {}",
            args.rest.join(", ")
        );
    }
    if let Some(chart) = &args.chart {
        if args.generate_name {
            anyhow::bail!("cannot set --generate-name and also specify a name");
        }
        if !name_template.is_empty() {
            anyhow::bail!("cannot set --name-template and also specify a name");
        }
        return Ok((args.first.clone(), chart.clone()));
    }
    if !name_template.is_empty() {
        return Ok((render_name_template(name_template)?, args.first.clone()));
    }
    Ok(("release-name".into(), args.first.clone()))
}

/// Execute a `--name-template`: Go template, Sprig's functions (with
/// `env` and `expandenv`, which only chart templates lack), no data.
fn render_name_template(text: &str) -> anyhow::Result<String> {
    let mut funcs = sprig::funcs();
    funcs.insert_pure("env", |a: &[gotmpl::Value]| {
        sprig::args::exact("env", a, 1)?;
        let key = sprig::args::string(&a[0])?;
        Ok(gotmpl::Value::str(std::env::var(key).unwrap_or_default()))
    });
    funcs.insert_pure("expandenv", |a: &[gotmpl::Value]| {
        sprig::args::exact("expandenv", a, 1)?;
        Ok(gotmpl::Value::str(gostd::os::expand_env(
            sprig::args::string(&a[0])?,
        )))
    });
    let mut set = gotmpl::Templates::new(funcs);
    set.parse("name-template", text)?;
    Ok(set.execute("name-template", &gotmpl::Value::Nil)?)
}

/// `helm template`'s effects: the post-renderer and `--output-dir` files.
struct Effects {
    /// `--post-renderer` (found) and `--post-renderer-args`.
    post_renderer: Option<(String, Vec<String>)>,
}

impl PrintEffects for Effects {
    type Error = anyhow::Error;
    fn post_render(&mut self, manifests: String) -> anyhow::Result<String> {
        match &self.post_renderer {
            Some((path, args)) => post_render(path, args, manifests),
            None => Ok(manifests),
        }
    }
    fn write_file(&mut self, file: &str, document: &str, append: bool) -> anyhow::Result<()> {
        write_file(file, document, append)
    }
    fn file_exists(&self, file: &str) -> bool {
        Path::new(file).exists()
    }
}

/// Helm's `writeToFile` for a `file` (DIR/NAME joined as text, not
/// cleaned): its folder made, the file created or appended to, `document`
/// written, and a `wrote` line on stdout.
fn write_file(file: &str, document: &str, append: bool) -> anyhow::Result<()> {
    if let Some(slash) = file.rfind('/') {
        gostd::os::mkdir_all(&gostd::path::clean(&file[..slash.max(1)]))
            .map_err(anyhow::Error::msg)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    if append {
        opts.append(true);
    } else {
        opts.write(true).create(true).truncate(true);
    }
    let mut f = opts
        .open(file)
        .map_err(|e| anyhow::anyhow!("open {file}: {}", gostd::os::io_error(&e)))?;
    f.write_all(document.as_bytes())
        .map_err(|e| anyhow::anyhow!("write {file}: {}", gostd::os::io_error(&e)))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "wrote {file}")?;
    stdout.flush()?;
    Ok(())
}

/// Run the post-renderer: the manifests on its stdin, its stdout is the
/// new manifests; a failure carries its stderr.
fn post_render(path: &str, args: &[String], input: String) -> anyhow::Result<String> {
    let fail = |detail: String| {
        anyhow::anyhow!(
            "error while running post render on files: error while running command {path}. error output:\n{detail}"
        )
    };
    let mut child = Command::new(path)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!(": fork/exec {path}: {}", gostd::os::io_error(&e))))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    // Feed stdin from a thread so a renderer that writes before it has read
    // everything cannot deadlock; a renderer that stops reading early is fine.
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output()?;
    let _ = feeder.join();
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(fail(format!(
            "{stderr}: {}",
            gostd::os::exit_status(&out.status)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
