//! Installing, upgrading and uninstalling a rendered chart as a Helm 3
//! release: CRDs first, Helm hooks in their phases, the manifests in
//! Helm's install order by server-side apply, prune of what the new
//! revision no longer renders, and a release record Helm itself reads.
//!
//! Recovery: a revision left `pending-*` (the operator was killed in the
//! middle of an upgrade) is marked `failed` and the upgrade goes on, so a
//! release is never stuck (users-voice #6).

pub mod record;
pub mod storage;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};

use crate::cluster::{Cluster, ClusterError, Propagation};
use crate::objects::{self, Object, ObjectKey};
pub use record::{Release, Status};

/// The storage label holding the checksum of what was rendered
/// (addon-operator's `moduleChecksum`).
pub const CHECKSUM_LABEL: &str = "moduleChecksum";

/// Labels and annotations put on every applied object: Helm's ownership
/// marks (so `helm upgrade` can adopt them) and the module, which drift
/// repair watches by.
pub const MODULE_LABEL: &str = "deckmod.io/module";

/// What to release.
pub struct ReleaseRequest<'a> {
    /// Release name (the module name).
    pub name: &'a str,
    /// Release namespace.
    pub namespace: &'a str,
    /// The render.
    pub rendered: &'a chart::Rendered,
    /// Helm's JSON form of the chart (metadata at least).
    pub chart: Value,
    /// The values given (`helm get values`).
    pub config: Value,
    /// How many revisions to keep (`HELM_HISTORY_MAX`).
    pub history_max: usize,
    /// Bound on waiting for a Helm hook Job.
    pub hook_timeout: Duration,
}

/// What an upgrade did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseOutcome {
    /// Nothing changed: same checksum, every object present.
    Unchanged {
        /// The deployed revision.
        revision: u32,
    },
    /// A new revision was deployed.
    Deployed {
        /// Its number.
        revision: u32,
        /// Objects deleted because the new revision no longer renders them.
        pruned: Vec<ObjectKey>,
    },
}

/// A release operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// A manifest is not an object.
    #[error(transparent)]
    Object(#[from] objects::ObjectError),
    /// The cluster refused.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// A Helm hook failed.
    #[error("helm hook {0}")]
    Hook(String),
}

/// The checksum of a render: everything that would be applied (128 bits
/// of SHA-256 in hex, to fit a label value's 63 characters).
pub fn checksum(rendered: &chart::Rendered) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for crd in &rendered.crds {
        ctx.update(crd.path.as_bytes());
        ctx.update(crd.content.as_bytes());
    }
    ctx.update(rendered.release_manifest().as_bytes());
    for h in &rendered.hooks {
        ctx.update(h.path.as_bytes());
        ctx.update(h.manifest.as_bytes());
    }
    let digest = ctx.finish();
    digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now() -> String {
    record::rfc3339(chrono::Utc::now())
}

/// Add Helm's ownership marks and the module label to an object.
pub fn mark_owned(object: &mut Value, release: &str, namespace: &str) {
    let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let labels = meta.entry("labels").or_insert_with(|| json!({}));
    if !labels.is_object() {
        *labels = json!({});
    }
    labels["app.kubernetes.io/managed-by"] = json!("Helm");
    labels[MODULE_LABEL] = json!(release);
    let ann = meta.entry("annotations").or_insert_with(|| json!({}));
    if !ann.is_object() {
        *ann = json!({});
    }
    ann["meta.helm.sh/release-name"] = json!(release);
    ann["meta.helm.sh/release-namespace"] = json!(namespace);
}

/// The objects of a render's plain manifests, in install order.
pub fn rendered_objects(rendered: &chart::Rendered) -> Result<Vec<Object>, objects::ObjectError> {
    let mut out = Vec::new();
    for m in &rendered.manifests {
        out.extend(objects::parse_document(&m.name, &m.content)?);
    }
    Ok(out)
}

/// The revision in effect in `history` (oldest first): the newest
/// `deployed` one.
pub fn deployed_revision(history: &[Release]) -> Option<&Release> {
    history.iter().rev().find(|r| r.status == Status::Deployed)
}

/// The deployed revision, and whether its objects all exist.
async fn deployed_and_present(cluster: &Cluster, deployed: &Release) -> Result<bool, ReleaseError> {
    for obj in objects::parse_manifest(&deployed.manifest)? {
        let (key, _) = match cluster.key_of(&obj.value, &deployed.namespace).await {
            Ok(k) => k,
            Err(_) => return Ok(false),
        };
        if cluster.get(&key).await?.is_none() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Install or upgrade (`helm upgrade --install` semantics).
pub async fn upgrade_install(
    cluster: &Cluster,
    req: &ReleaseRequest<'_>,
) -> Result<ReleaseOutcome, ReleaseError> {
    let sum = checksum(req.rendered);
    let mut history = storage::history(cluster, req.namespace, req.name).await?;
    // Recover revisions left pending by an operation that never finished.
    for r in history.iter_mut().filter(|r| r.status.is_pending()) {
        tracing::warn!(
            release = req.name,
            revision = r.version,
            status = r.status.as_str(),
            "marking a revision left pending by an interrupted operation as failed"
        );
        r.status = Status::Failed;
        r.description = format!(
            "deckmod: the operation was interrupted ({}); marked failed on recovery",
            r.description
        );
        storage::update(cluster, r).await?;
    }
    let deployed = deployed_revision(&history).cloned();
    if let Some(d) = &deployed
        && d.labels.get(CHECKSUM_LABEL) == Some(&sum)
        && deployed_and_present(cluster, d).await?
    {
        return Ok(ReleaseOutcome::Unchanged {
            revision: d.version,
        });
    }
    let revision = history.last().map_or(1, |r| r.version + 1);
    let is_upgrade = deployed.is_some();
    let first_deployed = history
        .first()
        .map(|r| r.first_deployed.clone())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(now);
    let mut release = Release {
        name: req.name.into(),
        namespace: req.namespace.into(),
        version: revision,
        status: if is_upgrade {
            Status::PendingUpgrade
        } else {
            Status::PendingInstall
        },
        description: if is_upgrade {
            "Preparing upgrade".into()
        } else {
            "Initial install underway".into()
        },
        first_deployed,
        last_deployed: now(),
        notes: req.rendered.notes.clone(),
        chart: req.chart.clone(),
        config: req.config.clone(),
        manifest: req.rendered.release_manifest(),
        hooks: Vec::new(),
        labels: BTreeMap::from([(CHECKSUM_LABEL.to_string(), sum)]),
    };
    storage::create(cluster, &release).await?;

    let result = deploy(cluster, req, deployed.as_ref(), is_upgrade, &mut release).await;
    match result {
        Ok(pruned) => {
            if let Some(mut d) = deployed {
                d.status = Status::Superseded;
                storage::update(cluster, &d).await?;
            }
            release.status = Status::Deployed;
            release.description = if is_upgrade {
                "Upgrade complete".into()
            } else {
                "Install complete".into()
            };
            storage::update(cluster, &release).await?;
            trim_history(cluster, req, revision).await;
            Ok(ReleaseOutcome::Deployed { revision, pruned })
        }
        Err(e) => {
            release.status = Status::Failed;
            release.description = format!(
                "{} \"{}\" failed: {e}",
                if is_upgrade { "Upgrade" } else { "Release" },
                req.name
            );
            if let Err(e2) = storage::update(cluster, &release).await {
                tracing::error!(
                    release = req.name,
                    "cannot record the failed revision: {e2}"
                );
            }
            Err(e)
        }
    }
}

/// Keep at most `history_max` revisions (the newest), as Helm does.
async fn trim_history(cluster: &Cluster, req: &ReleaseRequest<'_>, newest: u32) {
    if req.history_max == 0 {
        return;
    }
    let Ok(history) = storage::history(cluster, req.namespace, req.name).await else {
        return;
    };
    let excess = history.len().saturating_sub(req.history_max);
    for r in history.iter().take(excess).filter(|r| r.version != newest) {
        if let Err(e) = storage::delete(cluster, req.namespace, req.name, r.version).await {
            tracing::warn!(release = req.name, "cannot trim release history: {e}");
        }
    }
}

async fn deploy(
    cluster: &Cluster,
    req: &ReleaseRequest<'_>,
    previous: Option<&Release>,
    is_upgrade: bool,
    release: &mut Release,
) -> Result<Vec<ObjectKey>, ReleaseError> {
    // CRDs first, each established before anything uses it.
    for crd in &req.rendered.crds {
        for obj in objects::parse_document(&crd.path, &crd.content)? {
            let (key, _) = cluster.apply(&obj.value, req.namespace).await?;
            cluster
                .wait_crd_established(&key.name, Duration::from_secs(60))
                .await?;
        }
    }
    let pre = if is_upgrade {
        "pre-upgrade"
    } else {
        "pre-install"
    };
    let post = if is_upgrade {
        "post-upgrade"
    } else {
        "post-install"
    };
    run_hooks(cluster, req, pre, release).await?;
    let mut current = BTreeSet::new();
    for obj in rendered_objects(req.rendered)? {
        let mut value = obj.value.clone();
        mark_owned(&mut value, req.name, req.namespace);
        let (key, _) = cluster.apply(&value, req.namespace).await?;
        current.insert(key);
    }
    let mut pruned = Vec::new();
    if let Some(prev) = previous {
        let mut before = Vec::new();
        for obj in objects::parse_manifest(&prev.manifest)? {
            if let Ok((key, _)) = cluster.key_of(&obj.value, req.namespace).await {
                before.push((key, obj.keep_on_delete()));
            }
        }
        for key in objects::to_prune(&before, &current) {
            cluster.delete(&key, Propagation::Background).await?;
            pruned.push(key);
        }
    }
    run_hooks(cluster, req, post, release).await?;
    Ok(pruned)
}

/// Run the Helm hooks of one event, by weight then name, as Helm does:
/// delete a previous copy (`before-hook-creation`, the default), create,
/// wait for a Job or Pod to finish, then apply `hook-succeeded` /
/// `hook-failed`.
async fn run_hooks(
    cluster: &Cluster,
    req: &ReleaseRequest<'_>,
    event: &str,
    release: &mut Release,
) -> Result<(), ReleaseError> {
    let mut hooks: Vec<&chart::manifest::Hook> = req
        .rendered
        .hooks
        .iter()
        .filter(|h| h.events.iter().any(|e| e == event))
        .collect();
    hooks.sort_by(|a, b| a.weight.cmp(&b.weight).then_with(|| a.name.cmp(&b.name)));
    for hook in hooks {
        for obj in objects::parse_document(&hook.path, &hook.manifest)? {
            let policies: Vec<String> = obj
                .value
                .pointer("/metadata/annotations/helm.sh~1hook-delete-policy")
                .and_then(Value::as_str)
                .map(|s| {
                    s.split(',')
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty())
                        .collect()
                })
                .unwrap_or_else(|| vec!["before-hook-creation".to_string()]);
            let (key, _) = cluster.key_of(&obj.value, req.namespace).await?;
            if policies.iter().any(|p| p == "before-hook-creation") {
                cluster.delete(&key, Propagation::Background).await?;
                wait_gone(cluster, &key, req.hook_timeout).await?;
            }
            let started = now();
            let mut value = obj.value.clone();
            mark_owned(&mut value, req.name, req.namespace);
            cluster.create(&value, req.namespace).await?;
            let outcome = wait_hook(cluster, &key, req.hook_timeout).await;
            let phase = if outcome.is_ok() {
                "Succeeded"
            } else {
                "Failed"
            };
            release.hooks.push(json!({
                "name": hook.name,
                "kind": hook.kind,
                "path": hook.path,
                "manifest": hook.manifest,
                "events": hook.events,
                "last_run": {"started_at": started, "completed_at": now(), "phase": phase},
                "weight": hook.weight,
                "delete_policies": policies,
            }));
            let policy = if outcome.is_ok() {
                "hook-succeeded"
            } else {
                "hook-failed"
            };
            if policies.iter().any(|p| p == policy) {
                cluster.delete(&key, Propagation::Background).await?;
            }
            outcome?;
        }
    }
    Ok(())
}

async fn wait_gone(
    cluster: &Cluster,
    key: &ObjectKey,
    timeout: Duration,
) -> Result<(), ReleaseError> {
    let deadline = tokio::time::Instant::now() + timeout;
    while cluster.get(key).await?.is_some() {
        if tokio::time::Instant::now() >= deadline {
            return Err(ReleaseError::Hook(format!(
                "{key}: the previous copy was not deleted in time"
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

/// A Job hook must complete and a Pod hook succeed; other kinds are done
/// once created (Helm's hook readiness).
async fn wait_hook(
    cluster: &Cluster,
    key: &ObjectKey,
    timeout: Duration,
) -> Result<(), ReleaseError> {
    if key.kind != "Job" && key.kind != "Pod" {
        return Ok(());
    }
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(obj) = cluster.get(key).await? {
            let status = &obj.data["status"];
            let done = match key.kind.as_str() {
                "Job" => {
                    let cond = |t: &str| {
                        status["conditions"].as_array().is_some_and(|cs| {
                            cs.iter().any(|c| c["type"] == t && c["status"] == "True")
                        })
                    };
                    if cond("Failed") {
                        return Err(ReleaseError::Hook(format!("{key} failed")));
                    }
                    cond("Complete")
                }
                _ => match status["phase"].as_str() {
                    Some("Succeeded") => true,
                    Some("Failed") => return Err(ReleaseError::Hook(format!("{key} failed"))),
                    _ => false,
                },
            };
            if done {
                return Ok(());
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ReleaseError::Hook(format!(
                "{key}: timed out waiting for completion"
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Uninstall: delete the deployed revision's objects (not those marked
/// `keep`), in reverse install order, then every stored revision.
/// `Ok(false)` when there was no release.
pub async fn uninstall(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
) -> Result<bool, ReleaseError> {
    let history = storage::history(cluster, namespace, name).await?;
    let Some(last) = deployed_revision(&history).or(history.last()) else {
        return Ok(false);
    };
    let objs = objects::parse_manifest(&last.manifest)?;
    for obj in objs.iter().rev().filter(|o| !o.keep_on_delete()) {
        if let Ok((key, _)) = cluster.key_of(&obj.value, namespace).await {
            cluster.delete(&key, Propagation::Background).await?;
        }
    }
    for r in &history {
        storage::delete(cluster, namespace, name, r.version).await?;
    }
    Ok(true)
}
