//! `deckmod operator`: run modules in a cluster (the process runs until
//! SIGTERM or SIGINT), and `deckmod crds`: print deckmod's CRDs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use operator::config::ConfigSource;

/// Arguments of `deckmod operator`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  deckmod operator --modules-dir ./modules\n  \
deckmod operator --modules-dir ./modules --config-map addon-operator --namespace ops\n  \
deckmod operator --hooks-dir ./hooks   (shell-operator hooks, no modules)\n\n\
Every flag can also be set through the environment variable shown. The cluster is the \
kubeconfig's current context (KUBECONFIG, ~/.kube/config), or the in-cluster service account."
)]
pub struct OperatorArgs {
    /// A folder of modules (`<dir>/<NNN-name>/`); repeatable.
    #[arg(
        long = "modules-dir",
        value_name = "DIR",
        env = "DECKMOD_MODULES_DIR",
        value_delimiter = ':'
    )]
    pub modules_dirs: Vec<PathBuf>,
    /// addon-operator's global hooks: they run first, read and patch the
    /// global values, and may enable modules (`/<valuesKey>Enabled`).
    #[arg(
        long = "global-hooks-dir",
        value_name = "DIR",
        env = "DECKMOD_GLOBAL_HOOKS_DIR"
    )]
    pub global_hooks_dir: Option<PathBuf>,
    /// A shell-operator hooks folder: its hooks run unchanged (no values;
    /// onStartup, kubernetes and schedule bindings, object operations).
    #[arg(long = "hooks-dir", value_name = "DIR", env = "DECKMOD_HOOKS_DIR")]
    pub hooks_dir: Option<PathBuf>,
    /// The operator's namespace.
    #[arg(
        long,
        short = 'n',
        env = "DECKMOD_NAMESPACE",
        default_value = "d8-system"
    )]
    pub namespace: String,
    /// Read settings from addon-operator's ConfigMap NAME (in --namespace)
    /// instead of ModuleConfig objects.
    #[arg(long = "config-map", value_name = "NAME", env = "DECKMOD_CONFIG_MAP")]
    pub config_map: Option<String>,
    /// Where hook runs put their files.
    #[arg(
        long = "tmp-dir",
        env = "DECKMOD_TMP_DIR",
        default_value = "/tmp/deckmod"
    )]
    pub tmp_dir: PathBuf,
    /// Kill a hook after this many seconds.
    #[arg(
        long = "hook-timeout",
        value_name = "SECONDS",
        env = "DECKMOD_HOOK_TIMEOUT",
        default_value_t = 600
    )]
    pub hook_timeout: u64,
    /// Release revisions kept per module (HELM_HISTORY_MAX).
    #[arg(
        long = "history-max",
        env = "DECKMOD_HISTORY_MAX",
        default_value_t = 10
    )]
    pub history_max: usize,
    /// Do not install deckmod's CRDs (they are installed when missing).
    #[arg(long = "no-install-crds", env = "DECKMOD_NO_INSTALL_CRDS")]
    pub no_install_crds: bool,
    /// Serve /metrics, /metrics/hooks, /healthz and /readyz on this
    /// address (addon-operator's is 0.0.0.0:9650).
    #[arg(long, value_name = "ADDR", env = "DECKMOD_LISTEN")]
    pub listen: Option<std::net::SocketAddr>,
    /// Prefix of the metric names (addon-operator's; shell_operator_ for
    /// shell-operator's dashboards).
    #[arg(
        long = "metrics-prefix",
        env = "DECKMOD_METRICS_PREFIX",
        default_value = "addon_operator_"
    )]
    pub metrics_prefix: String,
    /// The platform (DKP) version that modules' `requirements.deckhouse`
    /// is checked against (unchecked when not given).
    #[arg(
        long = "platform-version",
        value_name = "VERSION",
        env = "DECKMOD_PLATFORM_VERSION"
    )]
    pub platform_version: Option<String>,
    /// Run module sources: ModuleSources found in the cluster are scanned,
    /// their releases downloaded here and run without a restart (no
    /// --modules-dir is needed when every module comes from a source).
    #[arg(
        long = "downloaded-modules-dir",
        value_name = "DIR",
        env = "DECKMOD_DOWNLOADED_MODULES_DIR"
    )]
    pub downloaded_modules_dir: Option<PathBuf>,
    /// The shortest scan interval a ModuleSource may ask for (DKP's: 3m).
    #[arg(
        long = "min-scan-interval",
        value_name = "DURATION",
        env = "DECKMOD_MIN_SCAN_INTERVAL",
        default_value = "3m",
        value_parser = parse_interval
    )]
    pub min_scan_interval: Duration,
    /// Release modules whose module.yaml says `stage: Experimental`.
    #[arg(
        long = "allow-experimental-modules",
        env = "DECKMOD_ALLOW_EXPERIMENTAL_MODULES"
    )]
    pub allow_experimental_modules: bool,
    /// Log format: text or json.
    #[arg(long = "log-format", env = "DECKMOD_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
}

fn parse_interval(text: &str) -> Result<Duration, String> {
    operator::sources::model::parse_interval(text)
}

/// Run `deckmod operator`.
pub fn run(args: OperatorArgs) -> anyhow::Result<ExitCode> {
    init_logging(&args.log_format);
    let opts = operator::Options {
        modules_dirs: args.modules_dirs,
        global_hooks_dir: args.global_hooks_dir,
        hooks_dir: args.hooks_dir,
        namespace: args.namespace.clone(),
        config: match args.config_map {
            Some(name) => ConfigSource::ConfigMap {
                namespace: args.namespace,
                name,
            },
            None => ConfigSource::ModuleConfigs,
        },
        tmp_dir: args.tmp_dir,
        hook_timeout: Some(Duration::from_secs(args.hook_timeout)),
        history_max: args.history_max,
        install_crds: !args.no_install_crds,
        listen: args.listen,
        metrics_prefix: args.metrics_prefix,
        platform_version: args.platform_version,
        sources: args
            .downloaded_modules_dir
            .map(|dir| operator::sources::Options {
                downloaded_modules_dir: dir,
                min_scan_interval: args.min_scan_interval,
                allow_experimental_modules: args.allow_experimental_modules,
                ..Default::default()
            }),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let client = operator::client().await?;
        let op = operator::Operator::start(client, opts).await?;
        tracing::info!(modules = op.modules().len(), "operator started");
        wait_for_stop_signal().await;
        tracing::info!("stopping");
        op.shutdown(Duration::from_secs(10)).await;
        Ok(ExitCode::SUCCESS)
    })
}

async fn wait_for_stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DECKMOD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

/// Run `deckmod crds`.
pub fn crds() -> anyhow::Result<ExitCode> {
    print!("{}", operator::crds::yaml());
    Ok(ExitCode::SUCCESS)
}
