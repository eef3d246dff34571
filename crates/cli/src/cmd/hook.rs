//! `deckmod hook`: list, inspect and run a module's hooks locally, through
//! the same engine the operator uses (discovery, config, binding contexts,
//! runner, output parsing, atomic values patching).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use hooks::config::{LifecycleBinding, WatchEventType};
use hooks::context::{HookEvent, SnapshotStore, build_context, collapse_groups};
use hooks::discovery::{
    DiscoveryOptions, Hook, discover_each_hook, hook_file_for, load_batch, load_hook,
};
use hooks::engine::{RunEnv, run_hook};
use hooks::outputs::PatchScope;
use hooks::values::{NoValidation, ValuesValidator};
use serde_json::{Value, json};

use crate::output::OutputFormat;

/// What `hook list -o` takes.
const LIST_FORMATS: &[(OutputFormat, &str)] = &[
    (OutputFormat::Table, "Aligned columns"),
    (OutputFormat::Json, "JSON array"),
];

/// Subcommands of `deckmod hook`.
#[derive(clap::Subcommand)]
pub enum HookCommand {
    /// List a module's hooks with their bindings.
    #[command(
        after_help = "Examples:\n  deckmod hook list ./echo-server\n  deckmod hook list -o json"
    )]
    List {
        /// Module folder (its hooks are in MODULE/hooks), or a hooks folder.
        #[arg(default_value = ".")]
        module: PathBuf,
        /// Output format.
        #[arg(short = 'o', long, default_value = "table", value_parser = OutputFormat::parser(LIST_FORMATS))]
        output: OutputFormat,
    },
    /// Print a hook's normalized config (JSON).
    #[command(
        after_help = "Examples:\n  deckmod hook config ./echo-server/hooks/set-defaults.sh\n  deckmod hook config ./m/hooks/batchhooks:my-hook:0"
    )]
    Config {
        /// Hook file; batch hooks as FILE:NAME:INDEX (or FILE:INDEX).
        hook: String,
    },
    /// Run one hook for one binding and print everything it produced as
    /// one JSON document.
    #[command(
        after_help = "Examples:\n  deckmod hook run hooks/set-defaults.sh --binding beforeHelm --values values.json\n  \
deckmod hook run hooks/pods.sh --binding pods --object pod-a.yaml --object pod-b.yaml\n  \
deckmod hook run hooks/pods.sh --binding pods --event Deleted --object pod-a.yaml\n  \
deckmod hook run hooks/nodes.py --binding every-5m --snapshot nodes=nodes.yaml\n\n\
For a kubernetes binding, --object files are the binding's objects (a Synchronization run), or with \
--event the one object of an Event run; an object of another kind or apiVersion than the binding watches \
is an error (kinds match by Kind, plural or short name in any case). Object files hold one object, a \
list, or a Kubernetes List (YAML or JSON); jqFilters are applied as the operator applies them.\n\n\
For an admission binding, --object is the object under review: deckmod wraps it into the AdmissionReview \
(a CREATE request) the hook receives, after checking the binding's rules cover it. For a conversion \
binding, --object files are the objects to convert: deckmod wraps them into the ConversionReview for the \
binding's step that converts from their version. A file holding a whole AdmissionReview or \
ConversionReview is passed as it is.\n\n\
With a module folder instead of a hook file and a lifecycle binding (onStartup, beforeHelm, ...), every \
hook of the module that has the binding runs, in ORDER then path, each seeing the values the previous ones \
patched, as the operator runs them; the output is a JSON array of the runs, stopping at the first failure.\n\n\
The exit code is 0 when the hooks succeeded and their outputs were valid, 1 otherwise."
    )]
    Run(RunArgs),
}

/// Arguments of `deckmod hook run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Hook file; batch hooks as FILE:NAME:INDEX (or FILE:INDEX); or a
    /// module folder, to run every hook with a lifecycle binding.
    pub hook: String,
    /// Binding name (or lifecycle binding: onStartup, beforeHelm, ...).
    #[arg(long)]
    pub binding: String,
    /// Event type for a kubernetes binding (default: Synchronization run).
    #[arg(long, value_parser = ["Added", "Modified", "Deleted"])]
    pub event: Option<String>,
    /// Object file(s) for a kubernetes binding.
    #[arg(long = "object", value_name = "FILE")]
    pub objects: Vec<PathBuf>,
    /// Objects of another kubernetes binding: NAME=FILE.
    #[arg(long = "snapshot", value_name = "NAME=FILE")]
    pub snapshots: Vec<String>,
    /// Values (YAML/JSON, `{"global": ..., "<valuesKey>": ...}`).
    #[arg(long)]
    pub values: Option<PathBuf>,
    /// Config values (same shape).
    #[arg(long)]
    pub config_values: Option<PathBuf>,
    /// Use this binding context file as is instead of building one.
    #[arg(long)]
    pub context: Option<PathBuf>,
    /// Treat the hook as a global hook (may patch /global and /<module>Enabled).
    #[arg(long)]
    pub global: bool,
    /// Kill the hook after this many seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
}

/// Run `deckmod hook`.
pub fn run(cmd: HookCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        HookCommand::List { module, output } => list(&module, output),
        HookCommand::Config { hook } => {
            let hook = load_one(&hook)?;
            println!("{}", serde_json::to_string_pretty(&hook.config.config)?);
            Ok(ExitCode::SUCCESS)
        }
        HookCommand::Run(args) => run_one(&args),
    }
}

/// The hooks dir of a module folder (or the folder itself if it is one).
fn hooks_dir_of(path: &Path) -> PathBuf {
    if path.file_name().is_some_and(|n| n == "hooks") {
        path.to_path_buf()
    } else {
        path.join("hooks")
    }
}

/// Module folder name → hook name prefix (`002-echo/hooks/`).
fn name_prefix(hooks_dir: &Path) -> String {
    let abs = std::fs::canonicalize(hooks_dir).unwrap_or_else(|_| hooks_dir.to_path_buf());
    match abs.parent().and_then(Path::file_name) {
        Some(m) => format!("{}/hooks/", m.to_string_lossy()),
        None => String::new(),
    }
}

/// Module name from its folder (`002-echo-server` → `echo-server`).
fn module_name(hooks_dir: &Path) -> String {
    let abs = std::fs::canonicalize(hooks_dir).unwrap_or_else(|_| hooks_dir.to_path_buf());
    let dir = abs
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match dir.split_once('-') {
        Some((num, rest)) if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) => {
            rest.to_string()
        }
        _ => dir,
    }
}

/// DKP values key: lowerCamel of the module name (`echo-server` → `echoServer`).
fn list(module: &Path, output: OutputFormat) -> anyhow::Result<ExitCode> {
    let hooks_dir = hooks_dir_of(module);
    if !hooks_dir.is_dir() {
        bail!("{}: no hooks folder", hooks_dir.display());
    }
    let hooks_dir = std::fs::canonicalize(&hooks_dir)?;
    let opts = DiscoveryOptions {
        name_prefix: name_prefix(&hooks_dir),
        ..Default::default()
    };
    let (loaded, skipped) = discover_each_hook(&hooks_dir, &opts)?;
    for s in &skipped {
        eprintln!("warning: {}: skipped: {}", s.path.display(), s.reason);
    }
    // Every hook that loads is listed; one whose --config fails is
    // reported with what it printed, and the listing exits 1.
    let mut hooks = Vec::new();
    let mut failures = Vec::new();
    for h in loaded {
        match h {
            Ok(h) => hooks.push(h),
            Err(e) => failures.push(e),
        }
    }
    match output {
        OutputFormat::Json => {
            let mut rows: Vec<Value> = hooks
                .iter()
                .map(|h| {
                    json!({
                        "name": h.file.name,
                        "path": h.file.path,
                        "invocation": h.file.invocation,
                        "bindings": h.config.config.binding_names(),
                        "config": h.config.config,
                    })
                })
                .collect();
            rows.extend(failures.iter().map(|e| json!({"error": e.to_string()})));
            println!("{}", serde_json::to_string_pretty(&rows)?);
        }
        OutputFormat::Table => {
            let width = hooks
                .iter()
                .map(|h| h.file.name.len())
                .max()
                .unwrap_or(4)
                .max(4);
            println!("{:width$}  BINDINGS", "HOOK");
            for h in &hooks {
                println!(
                    "{:width$}  {}",
                    h.file.name,
                    h.config.config.binding_names().join(", ")
                );
            }
        }
        other => return Err(other.unsupported("hook list")),
    }
    for e in &failures {
        eprintln!("error: {e}");
    }
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The hooks dir containing `path`: the nearest ancestor named `hooks`,
/// else the file's folder.
fn hooks_dir_containing(path: &Path) -> PathBuf {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    abs.ancestors()
        .skip(1)
        .find(|a| a.file_name().is_some_and(|n| n == "hooks"))
        .map(Path::to_path_buf)
        .unwrap_or_else(|| abs.parent().map(Path::to_path_buf).unwrap_or_default())
}

/// Load one hook from `FILE` or `FILE:NAME:INDEX` / `FILE:INDEX`.
fn load_one(spec: &str) -> anyhow::Result<Hook> {
    let timeout = Duration::from_secs(30);
    if Path::new(spec).is_file() {
        let path = std::fs::canonicalize(spec)?;
        let hooks_dir = hooks_dir_containing(&path);
        let file = hook_file_for(&hooks_dir, &path, &name_prefix(&hooks_dir));
        // An extensionless file may be a batch binary with a single hook.
        if path.extension().is_none() {
            let opts = DiscoveryOptions {
                name_prefix: name_prefix(&hooks_dir),
                config_timeout: timeout,
            };
            if let Ok(mut batch) = load_batch(&hooks_dir, &path, &opts)
                && batch.len() == 1
            {
                return Ok(batch.remove(0));
            }
        }
        return Ok(load_hook(file, timeout)?);
    }
    let (file, rest) = spec
        .split_once(':')
        .with_context(|| format!("{spec}: no such hook file"))?;
    let index: usize = rest
        .rsplit(':')
        .next()
        .and_then(|i| i.parse().ok())
        .with_context(|| format!("{spec}: expected FILE:NAME:INDEX"))?;
    let path = std::fs::canonicalize(file).with_context(|| format!("{file}: no such hook file"))?;
    let hooks_dir = hooks_dir_containing(&path);
    let opts = DiscoveryOptions {
        name_prefix: name_prefix(&hooks_dir),
        config_timeout: timeout,
    };
    let mut hooks = load_batch(&hooks_dir, &path, &opts)?;
    if index >= hooks.len() {
        bail!(
            "{file}: batch binary has {} hooks, no index {index}",
            hooks.len()
        );
    }
    Ok(hooks.remove(index))
}

/// Read a YAML/JSON file.
fn read_doc(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    goyaml::from_str(&text).map_err(|e| anyhow::anyhow!("{}:{e}", path.display()))
}

/// Objects from a file: one object, an array, a `kind: List`, or a YAML
/// stream.
fn read_objects(path: &Path) -> anyhow::Result<Vec<Value>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    let docs =
        goyaml::from_str_multi(&text).map_err(|e| anyhow::anyhow!("{}:{e}", path.display()))?;
    let mut out = Vec::new();
    for d in docs {
        match d.value {
            Value::Null => {}
            Value::Array(items) => out.extend(items),
            Value::Object(o)
                if o.get("items").is_some_and(Value::is_array)
                    && o.get("kind")
                        .and_then(Value::as_str)
                        .is_some_and(|k| k.ends_with("List")) =>
            {
                if let Some(Value::Array(items)) = o.get("items") {
                    out.extend(items.iter().cloned());
                }
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// The module (if its folder loads as one), its name and values key, for
/// hooks in `hooks_dir`.
struct HookModule {
    loaded: Option<module::Module>,
    name: String,
    key: String,
}

fn hook_module(hooks_dir: &Path, global: bool) -> HookModule {
    // The module's schemas validate values after patching; a folder that is
    // not a loadable module (or a global hook) runs without them.
    let loaded = match (global, hooks_dir.parent()) {
        (false, Some(root)) => match module::Module::load(root) {
            Ok(m) => Some(m),
            Err(findings) => {
                eprintln!(
                    "warning: {}: not validating values against the module's schemas: {}",
                    root.display(),
                    findings.first().map(|f| f.to_string()).unwrap_or_default()
                );
                None
            }
        },
        _ => None,
    };
    let name = module_name(hooks_dir);
    let key = match &loaded {
        Some(m) => m.values_key.clone(),
        None => module::name::values_key(&name),
    };
    HookModule { loaded, name, key }
}

/// The values and config values a run starts from: the files given, else
/// what the operator would give a module with no settings (schema defaults
/// and static values).
fn start_values(m: &HookModule, args: &RunArgs) -> anyhow::Result<(Value, Value)> {
    let key = &m.key;
    let (default_values, default_config) = match &m.loaded {
        Some(l) => (
            json!({"global": {}, key.clone(): l.module_values(&json!({}), None, false).map_err(|e| anyhow::anyhow!("{e}"))?}),
            json!({"global": {}, key.clone(): l.config_values(&json!({})).map_err(|e| anyhow::anyhow!("{e}"))?}),
        ),
        None if args.global => (json!({"global": {}}), json!({"global": {}})),
        None => (
            json!({"global": {}, key.clone(): {}}),
            json!({"global": {}, key.clone(): {}}),
        ),
    };
    let values = match &args.values {
        Some(p) => read_doc(p)?,
        None => default_values,
    };
    let config_values = match &args.config_values {
        Some(p) => read_doc(p)?,
        None => default_config,
    };
    Ok((values, config_values))
}

/// Run `hook` with `contexts` from `values`, validating patches against
/// the module's schemas.
fn run_with(
    hook: &Hook,
    contexts: &[hooks::context::BindingContext],
    m: &HookModule,
    args: &RunArgs,
    values: Value,
    config_values: Value,
) -> hooks::engine::RunOutcome {
    let scope = if args.global {
        PatchScope::Global
    } else {
        PatchScope::Module {
            values_key: m.key.clone(),
        }
    };
    let values_check = m.loaded.as_ref().map(module::Module::values_validator);
    let config_check = m
        .loaded
        .as_ref()
        .map(module::Module::config_values_validator);
    let env = RunEnv {
        values,
        config_values,
        scope,
        module_name: (!args.global).then(|| m.name.clone()),
        tmp_root: std::env::temp_dir().join("deckmod-hooks"),
        run_dirs: None,
        keep_tmp_files: std::env::var("DEBUG_KEEP_TMP_FILES").is_ok_and(|v| v == "true"),
        timeout: Some(Duration::from_secs(args.timeout)),
        stop: None,
        values_validator: values_check
            .as_ref()
            .map_or(&NoValidation as &dyn ValuesValidator, |v| v),
        config_values_validator: config_check
            .as_ref()
            .map_or(&NoValidation as &dyn ValuesValidator, |v| v),
    };
    run_hook(hook, contexts, &env)
}

fn run_one(args: &RunArgs) -> anyhow::Result<ExitCode> {
    if Path::new(&args.hook).is_dir() {
        return run_module(args);
    }
    let hook = load_one(&args.hook)?;
    let hooks_dir = hooks_dir_containing(&hook.file.path);
    let m = hook_module(&hooks_dir, args.global);

    let mut store = SnapshotStore::default();
    for spec in &args.snapshots {
        let (name, file) = spec
            .split_once('=')
            .with_context(|| format!("--snapshot {spec}: expected NAME=FILE"))?;
        store.set_objects(&hook.config, name, read_objects(Path::new(file))?)?;
    }
    let contexts = if let Some(path) = &args.context {
        let v = read_doc(path)?;
        let list = match v {
            Value::Array(items) => items,
            other => vec![other],
        };
        list.into_iter()
            .map(hooks::context::BindingContext::from_json)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
    } else {
        let event = event_for(&hook, args, &mut store)?;
        vec![build_context(&hook.config, &event, &store)?]
    };
    let contexts = collapse_groups(contexts);
    let (values, config_values) = start_values(&m, args)?;
    let outcome = run_with(&hook, &contexts, &m, args, values, config_values);
    println!("{}", serde_json::to_string_pretty(&outcome)?);
    Ok(if outcome.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `hook run MODULE --binding <lifecycle>`: every hook of the module with
/// that binding, in ORDER then name, each run from the values the previous
/// runs patched (as the operator runs them); stops at the first failure.
fn run_module(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let Some(binding) = LifecycleBinding::from_name(&args.binding) else {
        bail!(
            "{}: a module folder runs a lifecycle binding ({}); for {:?} name one hook file",
            args.hook,
            LifecycleBinding::ALL
                .iter()
                .map(|b| b.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            args.binding
        );
    };
    if !args.objects.is_empty() || !args.snapshots.is_empty() || args.context.is_some() {
        bail!("--object, --snapshot and --context name one hook's input: give a hook file");
    }
    let hooks_dir = std::fs::canonicalize(hooks_dir_of(Path::new(&args.hook)))
        .with_context(|| format!("{}: no hooks folder", args.hook))?;
    let opts = DiscoveryOptions {
        name_prefix: name_prefix(&hooks_dir),
        ..Default::default()
    };
    let (hooks, skipped) = hooks::discovery::discover_hooks(&hooks_dir, &opts)?;
    for s in &skipped {
        eprintln!("warning: {}: skipped: {}", s.path.display(), s.reason);
    }
    let mut ordered: Vec<(f64, &Hook)> = hooks
        .iter()
        .filter_map(|h| h.config.config.order_of(binding).map(|o| (o, h)))
        .collect();
    ordered.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then_with(|| a.1.file.name.cmp(&b.1.file.name))
    });
    if ordered.is_empty() {
        bail!(
            "no hook in {} has the {} binding",
            hooks_dir.display(),
            binding.as_str()
        );
    }
    let m = hook_module(&hooks_dir, args.global);
    let (mut values, mut config_values) = start_values(&m, args)?;
    let store = SnapshotStore::default();
    let mut runs = Vec::new();
    let mut success = true;
    for (_, hook) in ordered {
        let contexts = vec![build_context(
            &hook.config,
            &HookEvent::Lifecycle(binding),
            &store,
        )?];
        let outcome = run_with(
            hook,
            &contexts,
            &m,
            args,
            values.clone(),
            config_values.clone(),
        );
        success = outcome.success();
        if let Some(v) = &outcome.values {
            values = v.clone();
        }
        if let Some(v) = &outcome.config_values {
            config_values = v.clone();
        }
        runs.push(outcome);
        if !success {
            break;
        }
    }
    println!("{}", serde_json::to_string_pretty(&runs)?);
    Ok(if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn event_for(hook: &Hook, args: &RunArgs, store: &mut SnapshotStore) -> anyhow::Result<HookEvent> {
    let config = &hook.config.config;
    let name = args.binding.as_str();
    if let Some(b) = LifecycleBinding::from_name(name) {
        return Ok(HookEvent::Lifecycle(b));
    }
    if config.schedule.iter().any(|s| s.name == name) {
        return Ok(HookEvent::Schedule {
            binding: name.to_string(),
        });
    }
    if let Some(binding) = config.kubernetes.iter().find(|k| k.name == name) {
        let mut objects = Vec::new();
        for f in &args.objects {
            for o in read_objects(f)? {
                // An object the binding would never deliver is a mistake.
                hooks::kinds::check_object(binding, &o)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
                objects.push(o);
            }
        }
        return Ok(match args.event.as_deref() {
            None => {
                store.set_objects(&hook.config, name, objects)?;
                HookEvent::Synchronization {
                    binding: name.to_string(),
                }
            }
            Some(event) => {
                let [object] = <[Value; 1]>::try_from(objects).map_err(|_| {
                    anyhow::anyhow!("--event needs exactly one object (--object FILE)")
                })?;
                let event = match event {
                    "Added" => WatchEventType::Added,
                    "Modified" => WatchEventType::Modified,
                    _ => WatchEventType::Deleted,
                };
                HookEvent::Event {
                    binding: name.to_string(),
                    event,
                    object,
                }
            }
        });
    }
    if let Some(binding) = config
        .kubernetes_validating
        .iter()
        .chain(&config.kubernetes_mutating)
        .find(|b| b.name == name)
    {
        let (file, object) = match args.objects.as_slice() {
            [f] => (f, read_doc(f)?),
            _ => bail!(
                "admission binding {name}: pass the object under review (or a whole AdmissionReview) with one --object FILE"
            ),
        };
        let review = hooks::kinds::admission_review(binding, object)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        return Ok(HookEvent::Admission {
            binding: name.to_string(),
            review,
        });
    }
    if let Some(c) = config
        .kubernetes_custom_resource_conversion
        .iter()
        .find(|c| c.name == name)
    {
        let mut objects = Vec::new();
        for f in &args.objects {
            objects.extend(read_objects(f)?);
        }
        if objects.is_empty() {
            bail!(
                "conversion binding {name}: pass the objects to convert (or a whole ConversionReview) with --object FILE"
            );
        }
        let (review, from_version, to_version) =
            hooks::kinds::conversion_review(c, objects).map_err(|e| anyhow::anyhow!("{e}"))?;
        return Ok(HookEvent::Conversion {
            binding: name.to_string(),
            review,
            from_version,
            to_version,
        });
    }
    bail!(
        "hook {} has no binding {name:?}; its bindings: {}",
        hook.file.name,
        config.binding_names().join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_identity_from_folders() {
        assert_eq!(module::name::values_key("echo-server"), "echoServer");
        let dir = tempfile::tempdir().unwrap();
        let hooks = dir.path().join("002-echo-server/hooks/sub");
        std::fs::create_dir_all(&hooks).unwrap();
        let hook = hooks.join("h.sh");
        std::fs::write(&hook, "").unwrap();
        let hooks_dir = hooks_dir_containing(&hook);
        assert!(hooks_dir.ends_with("002-echo-server/hooks"));
        assert_eq!(module_name(&hooks_dir), "echo-server");
        assert_eq!(name_prefix(&hooks_dir), "002-echo-server/hooks/");
    }

    #[test]
    fn object_files_in_every_form() {
        let dir = tempfile::tempdir().unwrap();
        let one = dir.path().join("one.yaml");
        std::fs::write(
            &one,
            "kind: Pod\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: {name: b}\n",
        )
        .unwrap();
        assert_eq!(read_objects(&one).unwrap().len(), 2);
        let list = dir.path().join("list.json");
        std::fs::write(&list, r#"{"apiVersion":"v1","kind":"PodList","items":[{"kind":"Pod"},{"kind":"Pod"},{"kind":"Pod"}]}"#).unwrap();
        assert_eq!(read_objects(&list).unwrap().len(), 3);
        let array = dir.path().join("array.json");
        std::fs::write(&array, r#"[{"kind":"Pod"}]"#).unwrap();
        assert_eq!(read_objects(&array).unwrap().len(), 1);
    }
}
