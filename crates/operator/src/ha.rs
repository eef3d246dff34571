//! The operator with leader election: only the leader runs hooks and
//! applies. A standby serves `/healthz` (alive) and `/readyz` (not ready:
//! standing by) until it leads; the leader stops its work before its
//! Lease is released (graceful stop), or as soon as it loses the Lease —
//! then the process should exit and be restarted as a standby.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::leader::{LeaderElector, LeaseConfig, LeaseConfigError, Outcome};
use crate::operator::{Operator, Options, StartError};

/// How a run with leader election ended.
#[derive(Debug)]
pub enum HaOutcome {
    /// Stopped on request (as leader or standby).
    Stopped,
    /// Leadership was lost: the work stopped; exit non-zero.
    Lost(crate::leader::LostReason),
}

/// The run could not start or the operator failed to start as leader.
#[derive(Debug, thiserror::Error)]
pub enum HaError {
    /// The Lease settings are wrong.
    #[error(transparent)]
    Lease(#[from] LeaseConfigError),
    /// The operator did not start.
    #[error(transparent)]
    Start(#[from] StartError),
}

/// Run `opts` as the leader of `lease` until `stop` completes; stand by
/// until then. `grace` bounds how long the leader's work may take to stop
/// (keep it under lease duration − renew deadline).
pub async fn run_with_leader_election(
    client: kube::Client,
    opts: Options,
    lease: LeaseConfig,
    grace: Duration,
    stop: impl Future<Output = ()>,
) -> Result<HaOutcome, HaError> {
    let elector = LeaderElector::new(client.clone(), lease)?;
    let mut leading = elector.subscribe();
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    let election = tokio::spawn(elector.run(async move {
        let _ = release_rx.await;
    }));
    tokio::pin!(stop);

    // Standing by: health yes, readiness no.
    let standby = match opts.listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| StartError::Listen(addr, e))?;
            let state = Arc::new(crate::http::HttpState {
                metrics: Arc::new(crate::metrics::Metrics::new(&opts.metrics_prefix)),
                ready: Arc::new(AtomicBool::new(false)),
            });
            Some(tokio::spawn(crate::http::serve(listener, state)))
        }
        None => None,
    };
    tracing::info!("standing by for the Lease");
    let became_leader = tokio::select! {
        r = leading.wait_for(|l| *l) => r.is_ok(),
        _ = &mut stop => false,
    };
    if let Some(s) = standby {
        s.abort();
        let _ = s.await;
    }
    if !became_leader {
        let _ = release_tx.send(());
        let _ = election.await;
        return Ok(HaOutcome::Stopped);
    }
    tracing::info!("leading: starting the operator");
    let op = match Operator::start(client, opts).await {
        Ok(op) => op,
        Err(e) => {
            let _ = release_tx.send(());
            let _ = election.await;
            return Err(e.into());
        }
    };
    let lost = tokio::select! {
        _ = &mut stop => false,
        _ = leading.wait_for(|l| !*l) => true,
    };
    op.shutdown(grace).await;
    // Only now: the work has stopped, the Lease may go to a standby.
    let _ = release_tx.send(());
    match election.await {
        Ok(Outcome::Lost(reason)) => Ok(HaOutcome::Lost(reason)),
        _ if lost => Ok(HaOutcome::Lost(crate::leader::LostReason::RenewDeadline(
            "leadership lost".into(),
        ))),
        _ => Ok(HaOutcome::Stopped),
    }
}
