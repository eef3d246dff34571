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
    #[arg(long, value_name = "ADDR", env = "DECKMOD_LISTEN", value_parser = parse_listen)]
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
    /// Run only while holding a Lease (coordination.k8s.io) in --namespace:
    /// replicas stand by (healthy, not ready) and the leader alone runs
    /// hooks and applies.
    #[arg(long = "leader-election", env = "DECKMOD_LEADER_ELECTION")]
    pub leader_election: bool,
    /// The Lease's name.
    #[arg(
        long = "leader-election-lease-name",
        env = "DECKMOD_LEADER_ELECTION_LEASE_NAME",
        default_value = "deckmod"
    )]
    pub lease_name: String,
    /// How long a standby waits for an unrenewed Lease before it takes it.
    #[arg(long = "leader-election-lease-duration", env = "DECKMOD_LEADER_ELECTION_LEASE_DURATION", default_value = "15s", value_parser = parse_go_duration)]
    pub lease_duration: Duration,
    /// How long the leader tries to renew before it steps down.
    #[arg(long = "leader-election-renew-deadline", env = "DECKMOD_LEADER_ELECTION_RENEW_DEADLINE", default_value = "10s", value_parser = parse_go_duration)]
    pub renew_deadline: Duration,
    /// How often the leader renews and a standby looks.
    #[arg(long = "leader-election-retry-period", env = "DECKMOD_LEADER_ELECTION_RETRY_PERIOD", default_value = "2s", value_parser = parse_go_duration)]
    pub retry_period: Duration,
    /// This replica's identity (default: host name and a random suffix).
    #[arg(
        long = "leader-election-identity",
        env = "DECKMOD_LEADER_ELECTION_IDENTITY"
    )]
    pub identity: Option<String>,
    /// The debug interface's unix socket, mode 0600 (`deckmod debug`);
    /// default `<tmp-dir>/debug.socket`.
    #[arg(
        long = "debug-socket",
        value_name = "PATH",
        env = "DECKMOD_DEBUG_SOCKET"
    )]
    pub debug_socket: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long = "log-format", env = "DECKMOD_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    #[command(flatten)]
    pub webhooks: WebhookArgs,
}

/// The hooks' admission and conversion webhooks (`--hooks-dir` hooks with
/// `kubernetesValidating`, `kubernetesMutating` or
/// `kubernetesCustomResourceConversion` bindings): shell-operator's flags
/// and environment variables.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Webhooks")]
pub struct WebhookArgs {
    /// Base name of the Validating/MutatingWebhookConfiguration (`<NAME>-hooks`).
    #[arg(
        long = "validating-webhook-configuration-name",
        env = "VALIDATING_WEBHOOK_CONFIGURATION_NAME",
        default_value = "shell-operator-hooks"
    )]
    pub configuration_name: String,
    /// The Service the API server calls for admission.
    #[arg(
        long = "validating-webhook-service-name",
        env = "VALIDATING_WEBHOOK_SERVICE_NAME",
        default_value = "shell-operator-validating-svc"
    )]
    pub admission_service: String,
    /// The server certificate (PEM); with the key and the CA, instead of
    /// one generated into `--webhook-tls-secret`.
    #[arg(
        long = "validating-webhook-server-cert",
        env = "VALIDATING_WEBHOOK_SERVER_CERT",
        requires_all = ["server_key", "ca"]
    )]
    pub server_cert: Option<PathBuf>,
    /// The server certificate's key (PEM).
    #[arg(
        long = "validating-webhook-server-key",
        env = "VALIDATING_WEBHOOK_SERVER_KEY"
    )]
    pub server_key: Option<PathBuf>,
    /// The CA that signed the server certificate (the `caBundle`).
    #[arg(long = "validating-webhook-ca", env = "VALIDATING_WEBHOOK_CA")]
    pub ca: Option<PathBuf>,
    /// The admission server's address.
    #[arg(
        long = "validating-webhook-listen-address",
        env = "VALIDATING_WEBHOOK_LISTEN_ADDRESS",
        default_value = "0.0.0.0"
    )]
    pub admission_address: std::net::IpAddr,
    /// The admission server's port.
    #[arg(
        long = "validating-webhook-listen-port",
        env = "VALIDATING_WEBHOOK_LISTEN_PORT",
        default_value_t = 9680
    )]
    pub admission_port: u16,
    /// The Service the API server calls for conversion.
    #[arg(
        long = "conversion-webhook-service-name",
        env = "CONVERSION_WEBHOOK_SERVICE_NAME",
        default_value = "shell-operator-conversion-svc"
    )]
    pub conversion_service: String,
    /// The conversion server's address.
    #[arg(
        long = "conversion-webhook-listen-address",
        env = "CONVERSION_WEBHOOK_LISTEN_ADDRESS",
        default_value = "0.0.0.0"
    )]
    pub conversion_address: std::net::IpAddr,
    /// The conversion server's port.
    #[arg(
        long = "conversion-webhook-listen-port",
        env = "CONVERSION_WEBHOOK_LISTEN_PORT",
        default_value_t = 9681
    )]
    pub conversion_port: u16,
    /// Have the API server call `https://HOST:PORT/…` instead of the
    /// Services (an API server outside the cluster, or on this host).
    #[arg(
        long = "webhook-url-host",
        value_name = "HOST",
        env = "DECKMOD_WEBHOOK_URL_HOST"
    )]
    pub url_host: Option<String>,
    /// The Secret (in `--namespace`) a generated certificate is kept in,
    /// shared by every replica.
    #[arg(
        long = "webhook-tls-secret",
        value_name = "NAME",
        env = "DECKMOD_WEBHOOK_TLS_SECRET",
        default_value = "deckmod-webhook-tls"
    )]
    pub tls_secret: String,
}

impl WebhookArgs {
    fn options(self, namespace: &str) -> operator::webhooks::Options {
        let tls = match (self.server_cert, self.server_key, self.ca) {
            (Some(cert), Some(key), Some(ca)) => {
                operator::webhooks::TlsSource::Files { cert, key, ca }
            }
            _ => operator::webhooks::TlsSource::Secret(self.tls_secret),
        };
        operator::webhooks::Options {
            namespace: namespace.to_string(),
            configuration_name: self.configuration_name,
            admission_listen: (self.admission_address, self.admission_port).into(),
            admission_service: self.admission_service,
            conversion_listen: (self.conversion_address, self.conversion_port).into(),
            conversion_service: self.conversion_service,
            url_host: self.url_host,
            tls,
        }
    }
}

/// `HOST:PORT`, or `:PORT` for every address (as Go servers take it).
fn parse_listen(text: &str) -> Result<std::net::SocketAddr, String> {
    let full = match text.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => text.to_string(),
    };
    full.parse()
        .map_err(|e| format!("{text:?}: {e} (expected HOST:PORT or :PORT)"))
}

fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let ns = gostd::time::parse_duration(text)?;
    u64::try_from(ns)
        .map(Duration::from_nanos)
        .map_err(|_| format!("{text:?}: a duration must not be negative"))
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
                namespace: args.namespace.clone(),
                name,
            },
            None => ConfigSource::ModuleConfigs,
        },
        debug_socket: Some(
            args.debug_socket
                .unwrap_or_else(|| args.tmp_dir.join("debug.socket")),
        ),
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
        webhooks: args.webhooks.options(&args.namespace),
    };
    let lease = args.leader_election.then(|| {
        let mut lease = operator::leader::LeaseConfig::new(&args.namespace, &args.lease_name);
        lease.lease_duration = args.lease_duration;
        lease.renew_deadline = args.renew_deadline;
        lease.retry_period = args.retry_period;
        if let Some(id) = args.identity {
            lease.identity = id;
        }
        lease
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let client = operator::client().await?;
        if let Some(lease) = lease {
            // The leader's work must stop before a standby may lead.
            let grace = lease
                .lease_duration
                .saturating_sub(lease.renew_deadline)
                .max(Duration::from_secs(1));
            let outcome = operator::ha::run_with_leader_election(
                client,
                opts,
                lease,
                grace,
                wait_for_stop_signal(),
            )
            .await?;
            return Ok(match outcome {
                operator::ha::HaOutcome::Stopped => ExitCode::SUCCESS,
                operator::ha::HaOutcome::Lost(why) => {
                    tracing::error!("leadership lost: {why:?}; exiting");
                    ExitCode::FAILURE
                }
            });
        }
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
