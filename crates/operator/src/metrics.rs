//! The operator's Prometheus metrics, named as addon-operator and
//! shell-operator name them (prefix configurable, `addon_operator_` by
//! default, so existing dashboards and alerts keep working), and the
//! registry of the metrics hooks emit (`/metrics/hooks`).

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Label pairs, in the order they are printed.
pub type Labels = Vec<(String, String)>;

type Histograms = Family<Labels, Histogram, fn() -> Histogram>;

fn seconds_histogram() -> Histogram {
    // 1 ms … about 65 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

/// Who a hook run belongs to: which metric family it is counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookOwner<'a> {
    /// A module's hook (`module_hook_run_*`).
    Module(&'a str),
    /// A global hook (`global_hook_run_*`).
    Global,
    /// A shell-operator hook (`hook_run_*`).
    Shell,
}

/// How a hook run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunResult {
    /// It succeeded.
    Success,
    /// It failed and is retried.
    Error,
    /// It failed and its binding allows that.
    AllowedError,
}

impl RunResult {
    /// The result of a run that succeeded (`ok`) or failed, where the
    /// binding does or does not allow failure.
    pub fn of(ok: bool, allow_failure: bool) -> RunResult {
        match (ok, allow_failure) {
            (true, _) => RunResult::Success,
            (false, true) => RunResult::AllowedError,
            (false, false) => RunResult::Error,
        }
    }
}

struct HookFamilies {
    seconds: Histograms,
    success: Family<Labels, Counter>,
    errors: Family<Labels, Counter>,
    allowed_errors: Family<Labels, Counter>,
}

impl HookFamilies {
    fn new(registry: &mut Registry, stem: &str) -> HookFamilies {
        let f = HookFamilies {
            seconds: Family::new_with_constructor(seconds_histogram as fn() -> Histogram),
            success: Family::default(),
            errors: Family::default(),
            allowed_errors: Family::default(),
        };
        registry.register(
            format!("{stem}_run_seconds"),
            "Duration of hook runs",
            f.seconds.clone(),
        );
        registry.register(
            format!("{stem}_run_success"),
            "Hook runs that succeeded",
            f.success.clone(),
        );
        registry.register(
            format!("{stem}_run_errors"),
            "Hook runs that failed",
            f.errors.clone(),
        );
        registry.register(
            format!("{stem}_run_allowed_errors"),
            "Hook runs that failed where the binding allows failure",
            f.allowed_errors.clone(),
        );
        f
    }
}

/// The operator's metrics.
pub struct Metrics {
    registry: Registry,
    module_hooks: HookFamilies,
    global_hooks: HookFamilies,
    shell_hooks: HookFamilies,
    module_run_seconds: Histograms,
    module_run_errors: Family<Labels, Counter>,
    module_delete_errors: Family<Labels, Counter>,
    queue_length: Family<Labels, Gauge>,
    bindings_enabled: Family<Labels, Gauge>,
    bindings_errors: Family<Labels, Counter>,
    /// Watch errors of every shared watch.
    pub watch_errors: Family<Labels, Counter>,
    live_ticks: Counter,
    /// Seconds spent in converge rounds, by activation. A gauge only so
    /// the name stays addon-operator's `convergence_seconds` (the client
    /// names every counter `…_total`); it only grows.
    convergence_seconds: Family<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    convergence: Family<Labels, Counter>,
    hook_metrics: Mutex<hooks::outputs::HookMetrics>,
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Metrics {
    /// Metrics whose names start with `prefix` (`addon_operator_`).
    pub fn new(prefix: &str) -> Metrics {
        let mut registry = Registry::with_prefix(prefix.trim_end_matches('_'));
        let module_hooks = HookFamilies::new(&mut registry, "module_hook");
        let global_hooks = HookFamilies::new(&mut registry, "global_hook");
        let shell_hooks = HookFamilies::new(&mut registry, "hook");
        let m = Metrics {
            module_hooks,
            global_hooks,
            shell_hooks,
            module_run_seconds: Family::new_with_constructor(
                seconds_histogram as fn() -> Histogram,
            ),
            module_run_errors: Family::default(),
            module_delete_errors: Family::default(),
            queue_length: Family::default(),
            bindings_enabled: Family::default(),
            bindings_errors: Family::default(),
            watch_errors: Family::default(),
            live_ticks: Counter::default(),
            convergence_seconds: Family::default(),
            convergence: Family::default(),
            hook_metrics: Mutex::new(hooks::outputs::HookMetrics::default()),
            registry,
        };
        let mut m = m;
        let r = &mut m.registry;
        r.register(
            "module_run_seconds",
            "Duration of module runs (hooks, render, apply)",
            m.module_run_seconds.clone(),
        );
        r.register(
            "module_run_errors",
            "Module runs that failed",
            m.module_run_errors.clone(),
        );
        r.register(
            "module_delete_errors",
            "Module deletions that failed",
            m.module_delete_errors.clone(),
        );
        r.register(
            "tasks_queue_length",
            "Tasks waiting in a queue",
            m.queue_length.clone(),
        );
        r.register(
            "hook_enable_kubernetes_bindings_success",
            "1 when every kubernetes binding of the hook watches, 0 while a kind is unknown",
            m.bindings_enabled.clone(),
        );
        r.register(
            "hook_enable_kubernetes_bindings_errors",
            "Failed attempts to start a hook's kubernetes bindings",
            m.bindings_errors.clone(),
        );
        r.register(
            "kubernetes_client_watch_errors",
            "Errors of the shared watches",
            m.watch_errors.clone(),
        );
        r.register(
            "convergence_seconds",
            "Seconds spent in converge rounds (beforeAll to afterAll)",
            m.convergence_seconds.clone(),
        );
        r.register(
            "convergence",
            "Converge rounds that ended (afterAll hooks ran)",
            m.convergence.clone(),
        );
        r.register(
            "live_ticks",
            "Ticks every 10 s while the process lives",
            m.live_ticks.clone(),
        );
        m
    }

    fn hook_families(&self, owner: HookOwner<'_>) -> &HookFamilies {
        match owner {
            HookOwner::Module(_) => &self.module_hooks,
            HookOwner::Global => &self.global_hooks,
            HookOwner::Shell => &self.shell_hooks,
        }
    }

    /// Count one hook run.
    pub fn hook_run(
        &self,
        owner: HookOwner<'_>,
        hook: &str,
        binding: &str,
        queue: &str,
        took: Duration,
        result: RunResult,
    ) {
        let mut l = Vec::new();
        if let HookOwner::Module(m) = owner {
            l.push(("module", m));
        }
        l.extend([("hook", hook), ("binding", binding), ("queue", queue)]);
        let l = labels(&l);
        let f = self.hook_families(owner);
        f.seconds.get_or_create(&l).observe(took.as_secs_f64());
        match result {
            RunResult::Success => f.success.get_or_create(&l).inc(),
            RunResult::Error => f.errors.get_or_create(&l).inc(),
            RunResult::AllowedError => f.allowed_errors.get_or_create(&l).inc(),
        };
    }

    /// Count one module run (`ok`: it succeeded).
    pub fn module_run(&self, module: &str, took: Duration, ok: bool) {
        let l = labels(&[("module", module)]);
        self.module_run_seconds
            .get_or_create(&l)
            .observe(took.as_secs_f64());
        if !ok {
            self.module_run_errors.get_or_create(&l).inc();
        }
    }

    /// Count one converge round started by `activation` that took `took`.
    pub fn convergence(&self, activation: &str, took: Duration) {
        let l = labels(&[("activation", activation)]);
        self.convergence_seconds
            .get_or_create(&l)
            .inc_by(took.as_secs_f64());
        self.convergence.get_or_create(&l).inc();
    }

    /// Count a failed module deletion.
    pub fn module_delete_failed(&self, module: &str) {
        self.module_delete_errors
            .get_or_create(&labels(&[("module", module)]))
            .inc();
    }

    /// Set the length of `queue`.
    pub fn queue_length(&self, queue: &str, len: usize) {
        self.queue_length
            .get_or_create(&labels(&[("queue", queue)]))
            .set(i64::try_from(len).unwrap_or(i64::MAX));
    }

    /// Record whether `hook`'s kubernetes bindings all watch; `failed`
    /// counts a failed attempt.
    pub fn bindings_state(&self, hook: &str, watching: bool, failed: bool) {
        let l = labels(&[("hook", hook)]);
        self.bindings_enabled
            .get_or_create(&l)
            .set(i64::from(watching));
        if failed {
            self.bindings_errors.get_or_create(&l).inc();
        }
    }

    /// Count a watch error.
    pub fn watch_error(&self, error_type: &str) {
        self.watch_errors
            .get_or_create(&labels(&[("error_type", error_type)]))
            .inc();
    }

    /// One live tick (every 10 s).
    pub fn tick(&self) {
        self.live_ticks.inc();
    }

    /// Apply the metric operations a hook emitted.
    pub fn hook_emitted(&self, hook: &str, ops: &[hooks::outputs::MetricOperation]) {
        if ops.is_empty() {
            return;
        }
        let mut hm = self.hook_metrics.lock().expect("hook metrics lock");
        if let Err(e) = hm.apply(hook, ops) {
            tracing::warn!(hook, "hook metrics: {e}");
        }
    }

    /// The operator's metrics in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }

    /// The hooks' metrics in the Prometheus text format.
    pub fn encode_hooks(&self) -> String {
        self.hook_metrics
            .lock()
            .expect("hook metrics lock")
            .encode()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new("addon_operator_")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels_are_addon_operators() {
        let m = Metrics::new("addon_operator_");
        m.hook_run(
            HookOwner::Module("echo"),
            "echo/hooks/a",
            "cms",
            "main",
            Duration::from_millis(3),
            RunResult::Success,
        );
        m.hook_run(
            HookOwner::Global,
            "global/a",
            "onStartup",
            "main",
            Duration::from_millis(3),
            RunResult::Error,
        );
        m.bindings_state("echo/hooks/a", false, true);
        m.module_run("echo", Duration::from_millis(40), false);
        m.queue_length("echo", 2);
        let text = m.encode();
        for want in [
            r#"addon_operator_module_hook_run_success_total{module="echo",hook="echo/hooks/a",binding="cms",queue="main"} 1"#,
            r#"addon_operator_global_hook_run_errors_total{hook="global/a",binding="onStartup",queue="main"} 1"#,
            r#"addon_operator_hook_enable_kubernetes_bindings_success{hook="echo/hooks/a"} 0"#,
            r#"addon_operator_hook_enable_kubernetes_bindings_errors_total{hook="echo/hooks/a"} 1"#,
            r#"addon_operator_module_run_errors_total{module="echo"} 1"#,
            r#"addon_operator_tasks_queue_length{queue="echo"} 2"#,
            r#"addon_operator_module_run_seconds_count{module="echo"} 1"#,
        ] {
            assert!(text.contains(want), "missing {want} in\n{text}");
        }
    }

    #[test]
    fn the_prefix_is_configurable() {
        let m = Metrics::new("shell_operator_");
        m.tick();
        assert!(m.encode().contains("shell_operator_live_ticks_total 1"));
    }
}
