//! Leader election on a `coordination.k8s.io/v1` Lease, so that of several
//! replicas only one runs hooks and applies.
//!
//! The protocol is the one Kubernetes' own controllers follow, so a
//! deckmod Lease reads as theirs do (`kubectl get lease`):
//! - a candidate takes a Lease that has no holder at once, and a held one
//!   only when it has seen no change to it for the holder's
//!   `leaseDurationSeconds`, measured on the candidate's own clock from
//!   the moment it saw the last change (so clocks of different machines
//!   never need to agree);
//! - every write is a replace with the `resourceVersion` last read: of two
//!   writers one gets `409 Conflict` and loses;
//! - the leader renews every `retry_period`; when no renewal has succeeded
//!   for `renew_deadline` it reports "not leader" and stops. Because
//!   `renew_deadline < lease_duration`, and a candidate starts counting
//!   only after the leader's last successful write, the old leader has
//!   stepped down before anyone can take the Lease: never two leaders, as
//!   long as the consumer stops its leader work within
//!   `lease_duration - renew_deadline` of seeing `false`;
//! - a leader that finds the Lease held by someone else (taken over, or
//!   edited by hand) or deleted steps down at once;
//! - on a graceful stop the leader clears the holder, so a standby takes
//!   over on its next poll instead of after the lease expires.
//!
//! Use:
//! ```no_run
//! # async fn demo(client: kube::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use operator::leader::{LeaderElector, LeaseConfig};
//! let elector = LeaderElector::new(client, LeaseConfig::new("d8-system", "deckmod"))?;
//! let mut leading = elector.subscribe();
//! let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
//! let election = tokio::spawn(elector.run(async move {
//!     let _ = stop_rx.await;
//! }));
//! leading.wait_for(|l| *l).await?; // now the leader: start the work
//! // ... on SIGTERM, or when `leading` turns false: stop the work, then
//! let _ = stop_tx.send(());
//! let outcome = election.await?; // the Lease is released if still held
//! # Ok(()) }
//! ```

use std::future::Future;
use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ObjectMeta, PostParams};
use tokio::sync::watch;
use tokio::time::Instant;

/// Default `lease_duration`, as Kubernetes' controllers use it.
pub const DEFAULT_LEASE_DURATION: Duration = Duration::from_secs(15);
/// Default `renew_deadline`.
pub const DEFAULT_RENEW_DEADLINE: Duration = Duration::from_secs(10);
/// Default `retry_period`.
pub const DEFAULT_RETRY_PERIOD: Duration = Duration::from_secs(2);

/// Which Lease to hold, as whom, and the timing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseConfig {
    /// The Lease's namespace (the operator's own).
    pub namespace: String,
    /// The Lease's name; every replica of one operator uses the same.
    pub name: String,
    /// This candidate's identity, unique among the live candidates (the
    /// Pod's name plus a random part: see [`LeaseConfig::default_identity`]).
    pub identity: String,
    /// How long a candidate waits, after it last saw the Lease change,
    /// before it takes the Lease from its holder. Written into the Lease
    /// (`leaseDurationSeconds`, rounded up to whole seconds).
    pub lease_duration: Duration,
    /// How long the leader keeps trying to renew before it steps down;
    /// less than `lease_duration`.
    pub renew_deadline: Duration,
    /// How often the leader renews and a candidate looks at the Lease;
    /// less than `renew_deadline`.
    pub retry_period: Duration,
}

impl LeaseConfig {
    /// `namespace/name` with the default timing and identity.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> LeaseConfig {
        LeaseConfig {
            namespace: namespace.into(),
            name: name.into(),
            identity: LeaseConfig::default_identity(),
            lease_duration: DEFAULT_LEASE_DURATION,
            renew_deadline: DEFAULT_RENEW_DEADLINE,
            retry_period: DEFAULT_RETRY_PERIOD,
        }
    }

    /// The host name (a Pod's name, in a cluster) and a random suffix: a
    /// container restarted in the same Pod is a new candidate, and does not
    /// mistake the Lease its dead predecessor held for its own.
    pub fn default_identity() -> String {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "deckmod".to_string());
        let mut bytes = [0u8; 4];
        let suffix =
            match ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes) {
                Ok(()) => bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                Err(_) => std::process::id().to_string(),
            };
        format!("{host}_{suffix}")
    }

    /// Check that the timing can keep the "never two leaders" promise.
    pub fn validate(&self) -> Result<(), LeaseConfigError> {
        if self.namespace.is_empty() || self.name.is_empty() {
            return Err(LeaseConfigError::NoLease);
        }
        if self.identity.is_empty() {
            return Err(LeaseConfigError::NoIdentity);
        }
        if self.retry_period.is_zero()
            || self.renew_deadline <= self.retry_period
            || self.lease_duration <= self.renew_deadline
        {
            return Err(LeaseConfigError::Timing {
                lease_duration: self.lease_duration,
                renew_deadline: self.renew_deadline,
                retry_period: self.retry_period,
            });
        }
        Ok(())
    }

    /// `leaseDurationSeconds` as written into the Lease.
    fn lease_duration_seconds(&self) -> i32 {
        let secs =
            self.lease_duration.as_secs() + u64::from(self.lease_duration.subsec_nanos() > 0);
        i32::try_from(secs).unwrap_or(i32::MAX)
    }
}

/// A [`LeaseConfig`] that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeaseConfigError {
    /// Namespace or name is empty.
    #[error("leader election: the Lease needs a namespace and a name")]
    NoLease,
    /// The identity is empty.
    #[error("leader election: the identity is empty")]
    NoIdentity,
    /// The durations are out of order.
    #[error(
        "leader election: need lease duration ({lease_duration:?}) > renew deadline ({renew_deadline:?}) > retry period ({retry_period:?}) > 0"
    )]
    Timing {
        /// The lease duration given.
        lease_duration: Duration,
        /// The renew deadline given.
        renew_deadline: Duration,
        /// The retry period given.
        retry_period: Duration,
    },
}

/// How [`LeaderElector::run`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The stop future completed. `released` says whether this elector
    /// held the Lease and cleared its holder (a standby takes over at once).
    Stopped {
        /// The Lease was held and its holder cleared.
        released: bool,
    },
    /// Leadership was lost; "is leader" turned false before this returned.
    /// The process should stop its leader work and exit (or start a new
    /// elector to stand by again).
    Lost(LostReason),
}

/// Why a leader stepped down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LostReason {
    /// The Lease names another holder (`None`: no holder at all).
    TakenBy(Option<String>),
    /// The Lease was deleted.
    Deleted,
    /// No renewal succeeded within the renew deadline; the last error.
    RenewDeadline(String),
}

/// One candidate for a Lease.
pub struct LeaderElector {
    api: Api<Lease>,
    config: LeaseConfig,
    leading: watch::Sender<bool>,
    /// The Lease as this elector last wrote it while leading (its
    /// `resourceVersion` guards the next write).
    held: Option<Lease>,
    /// The Lease's record as last seen by a candidate, and when it was
    /// first seen so (the candidate's clock).
    observed: Option<(LeaseSpec, Instant)>,
}

/// The events of a watch on the Lease.
type LeaseChanges =
    futures::stream::BoxStream<'static, Result<kube::api::WatchEvent<Lease>, kube::Error>>;

/// Wait for the next change of the Lease; `false` when the watch ended or
/// failed (it is then started again), pending for ever without a watch.
async fn next_change(changes: &mut Option<LeaseChanges>) -> bool {
    use futures::StreamExt as _;
    let Some(stream) = changes.as_mut() else {
        return std::future::pending().await;
    };
    match stream.next().await {
        Some(Ok(kube::api::WatchEvent::Error(_))) | Some(Err(_)) | None => false,
        Some(Ok(_)) => true,
    }
}

/// A write of the Lease did not go through.
enum WriteError {
    /// Someone else wrote first (`409`): the current Lease, if any.
    Lost(LostReason),
    /// Any other failure (network, 5xx, 403): worth retrying.
    Other(kube::Error),
}

impl LeaderElector {
    /// A candidate for `config`'s Lease; nothing is sent before
    /// [`LeaderElector::run`].
    pub fn new(
        client: kube::Client,
        config: LeaseConfig,
    ) -> Result<LeaderElector, LeaseConfigError> {
        config.validate()?;
        Ok(LeaderElector {
            api: Api::namespaced(client, &config.namespace),
            config,
            leading: watch::Sender::new(false),
            held: None,
            observed: None,
        })
    }

    /// "Is leader": `true` from the moment the Lease is taken until this
    /// elector steps down or is stopped.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.leading.subscribe()
    }

    /// The configuration.
    pub fn config(&self) -> &LeaseConfig {
        &self.config
    }

    /// Stand by until the Lease is taken, then lead until `stop`
    /// completes (the Lease is then released) or leadership is lost.
    ///
    /// Complete `stop` only once the leader work has stopped: releasing
    /// lets a standby start at once.
    pub async fn run<F>(mut self, stop: F) -> Outcome
    where
        F: Future<Output = ()>,
    {
        tokio::pin!(stop);
        // A standby looks at the Lease every retry period, and also as soon
        // as a watch on it shows a change: it then sees each renewal within
        // moments, not up to a retry period late, so when the holder dies
        // its lease is counted from (almost) its real last renewal and the
        // standby wakes exactly when it expires (the takeover takes the
        // lease duration, not that plus two retry periods). Without the
        // watch (it failed, or ended) polling alone still works. A lasting
        // failure (RBAC, an unreachable server) is logged when it starts
        // or changes, not on every poll.
        let mut changes = None;
        let mut failing = String::new();
        let mut renewed_at = loop {
            let attempt = Instant::now();
            let acquired = tokio::select! {
                biased;
                () = &mut stop => return Outcome::Stopped { released: false },
                r = tokio::time::timeout(self.config.renew_deadline, self.try_acquire()) => r,
            };
            let failure = match acquired {
                Ok(Ok(true)) => break attempt,
                Ok(Ok(false)) => String::new(),
                Ok(Err(e)) => format!("cannot read or take the Lease: {e}"),
                Err(_) => "the API server did not answer within the renew deadline".to_string(),
            };
            if failure != failing {
                if failure.is_empty() {
                    tracing::info!(lease = %self.config.name, "leader election: the Lease can be read again");
                } else {
                    tracing::warn!(lease = %self.config.name, "leader election: {failure}");
                }
                failing = failure;
            }
            if changes.is_none() {
                changes = self.watch_lease().await;
            }
            let wake = self
                .expires_at()
                .map_or(Instant::now() + self.config.retry_period, |at| {
                    at.min(Instant::now() + self.config.retry_period)
                });
            tokio::select! {
                biased;
                () = &mut stop => return Outcome::Stopped { released: false },
                () = tokio::time::sleep_until(wake) => {}
                event = next_change(&mut changes) => {
                    if !event {
                        changes = None;
                    }
                }
            }
        };
        tracing::info!(lease = %self.config.name, identity = %self.config.identity, "leader election: leading");
        self.leading.send_replace(true);

        let mut last_error = String::new();
        loop {
            let deadline = renewed_at + self.config.renew_deadline;
            let next = (Instant::now() + self.config.retry_period).min(deadline);
            tokio::select! {
                biased;
                () = &mut stop => return self.stop_leading().await,
                () = tokio::time::sleep_until(next) => {}
            }
            let attempt = Instant::now();
            let renewed = tokio::select! {
                biased;
                () = &mut stop => return self.stop_leading().await,
                r = tokio::time::timeout_at(deadline, self.renew()) => r,
            };
            match renewed {
                Ok(Ok(())) => {
                    renewed_at = attempt;
                    last_error.clear();
                }
                Ok(Err(WriteError::Lost(reason))) => return self.step_down(reason),
                Ok(Err(WriteError::Other(e))) => {
                    tracing::warn!(lease = %self.config.name, "leader election: renewal failed: {e}");
                    last_error = e.to_string();
                }
                Err(_) => {
                    if last_error.is_empty() {
                        last_error = "the API server did not answer".to_string();
                    }
                    return self.step_down(LostReason::RenewDeadline(last_error));
                }
            }
        }
    }

    /// Report "not leader" (before anything else) and say why.
    fn step_down(&mut self, reason: LostReason) -> Outcome {
        self.leading.send_replace(false);
        self.held = None;
        tracing::warn!(lease = %self.config.name, identity = %self.config.identity, ?reason, "leader election: lost the lease");
        Outcome::Lost(reason)
    }

    /// Report "not leader", then clear the holder so a standby need not
    /// wait for the lease to expire.
    async fn stop_leading(&mut self) -> Outcome {
        self.leading.send_replace(false);
        let released = tokio::time::timeout(self.config.renew_deadline, self.release())
            .await
            .unwrap_or(false);
        tracing::info!(lease = %self.config.name, released, "leader election: stopped");
        Outcome::Stopped { released }
    }

    /// A watch on the Lease (its changes only); `None` when it cannot be
    /// started.
    async fn watch_lease(&self) -> Option<LeaseChanges> {
        use futures::StreamExt as _;
        let params = kube::api::WatchParams::default()
            .fields(&format!("metadata.name={}", self.config.name))
            .timeout(290);
        // From "0": the current Lease comes first (one more look), then
        // its changes.
        match self.api.watch(&params, "0").await {
            Ok(stream) => Some(stream.boxed()),
            Err(e) => {
                tracing::debug!(lease = %self.config.name, "leader election: cannot watch the Lease: {e}");
                None
            }
        }
    }

    /// When the holder's lease expires by this candidate's clock, if it is
    /// held by someone else.
    fn expires_at(&self) -> Option<Instant> {
        let (record, seen_at) = self.observed.as_ref()?;
        holder(record)?;
        // A moment after, so that the look at that instant finds it expired.
        Some(*seen_at + self.held_for(record) + Duration::from_millis(10))
    }

    /// How long a holder keeps `record`'s Lease without renewing: its
    /// `leaseDurationSeconds`, else this elector's own lease duration.
    fn held_for(&self, record: &LeaseSpec) -> Duration {
        record
            .lease_duration_seconds
            .filter(|s| *s > 0)
            .map(|s| Duration::from_secs(s as u64))
            .unwrap_or(self.config.lease_duration)
    }

    /// One look at the Lease as a candidate; `true` when this elector now
    /// holds it.
    async fn try_acquire(&mut self) -> Result<bool, kube::Error> {
        let now = Instant::now();
        let Some(current) = self.api.get_opt(&self.config.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.config.name.clone()),
                    namespace: Some(self.config.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(self.record(None, 0)),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(created) => {
                    self.held = Some(created);
                    Ok(true)
                }
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
                Err(e) => Err(e),
            };
        };
        let record = current.spec.clone().unwrap_or_default();
        let seen_at = match &self.observed {
            Some((seen, at)) if *seen == record => *at,
            _ => {
                if let Some(holder) = holder(&record) {
                    tracing::debug!(lease = %self.config.name, holder, "leader election: the Lease is held");
                }
                self.observed = Some((record.clone(), now));
                now
            }
        };
        if let Some(holder) = holder(&record) {
            if now < seen_at + self.held_for(&record) {
                return Ok(false);
            }
            tracing::info!(lease = %self.config.name, holder, "leader election: the holder's lease expired");
        }
        let transitions = record.lease_transitions.unwrap_or(0)
            + i32::from(holder(&record) != Some(self.config.identity.as_str()));
        let mut lease = current;
        lease.spec = Some(self.record(None, transitions));
        match self
            .api
            .replace(&self.config.name, &PostParams::default(), &lease)
            .await
        {
            Ok(written) => {
                self.held = Some(written);
                self.observed = None;
                Ok(true)
            }
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Renew the held Lease; a conflict is resolved by reading it again:
    /// still ours → write again, someone else's → lost.
    async fn renew(&mut self) -> Result<(), WriteError> {
        loop {
            let Some(mut lease) = self.held.clone() else {
                return Err(WriteError::Lost(LostReason::TakenBy(None)));
            };
            let spec = lease.spec.take().unwrap_or_default();
            lease.spec = Some(self.record(spec.acquire_time, spec.lease_transitions.unwrap_or(0)));
            match self.write(&lease).await? {
                Some(written) => {
                    self.held = Some(written);
                    return Ok(());
                }
                None => continue,
            }
        }
    }

    /// Clear the holder of the held Lease; `true` when done.
    async fn release(&mut self) -> bool {
        loop {
            let Some(mut lease) = self.held.clone() else {
                return false;
            };
            let spec = lease.spec.take().unwrap_or_default();
            let now = Some(MicroTime(Timestamp::now()));
            lease.spec = Some(LeaseSpec {
                holder_identity: None,
                // Whoever reads the released Lease sees no holder and
                // takes it at once; the short duration tells tools the same.
                lease_duration_seconds: Some(1),
                acquire_time: now.clone(),
                renew_time: now,
                lease_transitions: spec.lease_transitions,
                ..LeaseSpec::default()
            });
            match self.write(&lease).await {
                Ok(Some(_)) => {
                    self.held = None;
                    return true;
                }
                Ok(None) => continue,
                Err(WriteError::Lost(_)) => return false,
                Err(WriteError::Other(e)) => {
                    tracing::warn!(lease = %self.config.name, "leader election: cannot release the Lease: {e}");
                    return false;
                }
            }
        }
    }

    /// Replace the Lease; `Ok(None)` when a conflict showed it still ours
    /// (then `held` is the current Lease, to write again).
    async fn write(&mut self, lease: &Lease) -> Result<Option<Lease>, WriteError> {
        match self
            .api
            .replace(&self.config.name, &PostParams::default(), lease)
            .await
        {
            Ok(written) => Ok(Some(written)),
            Err(kube::Error::Api(s)) if s.code == 404 => Err(WriteError::Lost(LostReason::Deleted)),
            Err(kube::Error::Api(s)) if s.code == 409 => {
                match self.api.get_opt(&self.config.name).await {
                    Ok(None) => Err(WriteError::Lost(LostReason::Deleted)),
                    Ok(Some(current)) => {
                        let record = current.spec.clone().unwrap_or_default();
                        if holder(&record) == Some(self.config.identity.as_str()) {
                            self.held = Some(current);
                            Ok(None)
                        } else {
                            Err(WriteError::Lost(LostReason::TakenBy(
                                holder(&record).map(str::to_string),
                            )))
                        }
                    }
                    Err(e) => Err(WriteError::Other(e)),
                }
            }
            Err(e) => Err(WriteError::Other(e)),
        }
    }

    /// The record of this elector holding the Lease, renewed now.
    fn record(&self, acquired: Option<MicroTime>, transitions: i32) -> LeaseSpec {
        let now = MicroTime(Timestamp::now());
        LeaseSpec {
            holder_identity: Some(self.config.identity.clone()),
            lease_duration_seconds: Some(self.config.lease_duration_seconds()),
            acquire_time: Some(acquired.unwrap_or_else(|| now.clone())),
            renew_time: Some(now),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        }
    }
}

/// The holder a Lease record names (an empty name is no holder).
fn holder(record: &LeaseSpec) -> Option<&str> {
    record.holder_identity.as_deref().filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LeaseConfig {
        LeaseConfig {
            namespace: "ns".into(),
            name: "deckmod".into(),
            identity: "a".into(),
            lease_duration: Duration::from_millis(1500),
            renew_deadline: Duration::from_secs(1),
            retry_period: Duration::from_millis(200),
        }
    }

    #[test]
    fn timing_must_be_ordered() {
        assert_eq!(config().validate(), Ok(()));
        for (lease, renew, retry) in [(10, 10, 2), (10, 12, 2), (15, 10, 10), (15, 10, 0)] {
            let c = LeaseConfig {
                lease_duration: Duration::from_secs(lease),
                renew_deadline: Duration::from_secs(renew),
                retry_period: Duration::from_secs(retry),
                ..config()
            };
            assert!(
                matches!(c.validate(), Err(LeaseConfigError::Timing { .. })),
                "{lease} {renew} {retry}"
            );
        }
        let c = LeaseConfig {
            identity: String::new(),
            ..config()
        };
        assert_eq!(c.validate(), Err(LeaseConfigError::NoIdentity));
    }

    #[test]
    fn lease_duration_rounds_up_to_seconds() {
        assert_eq!(config().lease_duration_seconds(), 2);
        let c = LeaseConfig {
            lease_duration: Duration::from_secs(15),
            ..config()
        };
        assert_eq!(c.lease_duration_seconds(), 15);
    }

    #[test]
    fn default_identities_differ() {
        let a = LeaseConfig::default_identity();
        let b = LeaseConfig::default_identity();
        assert_ne!(a, b);
        assert!(a.contains('_'), "{a}");
    }

    #[test]
    fn empty_holder_is_no_holder() {
        let mut r = LeaseSpec::default();
        assert_eq!(holder(&r), None);
        r.holder_identity = Some(String::new());
        assert_eq!(holder(&r), None);
        r.holder_identity = Some("x".into());
        assert_eq!(holder(&r), Some("x"));
    }
}
