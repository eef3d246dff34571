//! Shared watches: one kube-rs watcher per distinct (resource, namespace,
//! label selector, field selector), whatever number of hook bindings ask
//! for it. The watch keeps no objects itself: it forwards each listed or
//! changed object to its subscribers, which keep only what their binding
//! needs (the jqFilter result when `keepFullObjectsInMemory: false`).
//!
//! A new subscriber restarts the shared watch (a fresh list), so it gets
//! the full current state; the others see the relist and, having the same
//! objects already, report nothing.
//!
//! Each subscriber's channel is bounded ([`SUBSCRIBER_BUFFER`]): the watch
//! reads from the API server only as fast as its subscribers take the
//! objects, so a list of many large objects is never all in memory at
//! once (a subscriber filters each object and drops it). The price: a
//! subscriber that stops reading holds up the others of its watch, so
//! subscribers hand work off instead of doing it in line. kube's watcher resumes a dropped watch
//! from its last resourceVersion and relists only on `410 Gone`; errors
//! are counted, logged, and retried with backoff.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt as _;
use kube::api::DynamicObject;
use kube::runtime::{WatchStreamExt as _, watcher};
use serde_json::Value;
use tokio::sync::{Notify, mpsc};

use crate::cluster::Cluster;
use crate::resources::ResourceInfo;

/// A distinct watch.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WatchKey {
    /// `apiVersion` of the resource.
    pub api_version: String,
    /// Plural resource name.
    pub resource: String,
    /// Namespace; `None` for all namespaces (or a cluster-scoped kind).
    pub namespace: Option<String>,
    /// Label selector (`a=b,c in (d)`), empty for none.
    pub labels: String,
    /// Field selector (`metadata.name=x`), empty for none.
    pub fields: String,
}

/// What a watch tells its subscribers.
#[derive(Clone, Debug)]
pub enum WatchEvent {
    /// A (re)list begins: the objects that follow until `ListDone` are the
    /// complete current state.
    ListStart,
    /// An object of the list.
    Listed(Arc<Value>),
    /// The list is complete.
    ListDone,
    /// An object was added or changed.
    Applied(Arc<Value>),
    /// An object was deleted (or left the selector).
    Deleted(Arc<Value>),
}

/// Objects per list page. kube-runtime's default, 500, holds a page of
/// 500 objects twice (the response and its decoded objects) while the
/// subscribers filter it: with 10 KiB ConfigMaps the operator peaked at
/// 84 MiB, against 52 MiB with 100 per page, for 0.5 s more to list
/// 10,000 (BENCHMARKS.md, "Operator").
pub const LIST_PAGE_SIZE: u32 = 100;

/// Events buffered per subscriber before the watch waits for it.
pub const SUBSCRIBER_BUFFER: usize = 64;

type Subscribers = Arc<Mutex<Vec<(u64, mpsc::Sender<WatchEvent>)>>>;

struct Entry {
    subscribers: Subscribers,
    restart: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

/// The shared watches of the process.
#[derive(Clone)]
pub struct WatchHub {
    cluster: Cluster,
    entries: Arc<Mutex<HashMap<WatchKey, Entry>>>,
    next_id: Arc<AtomicU64>,
    metrics: Arc<crate::metrics::Metrics>,
}

/// A binding's subscription to a shared watch; dropping it does not end
/// the subscription (call [`WatchHub::unsubscribe`]).
pub struct Subscription {
    /// The watch.
    pub key: WatchKey,
    /// This subscriber's id.
    pub id: u64,
    /// Its events.
    pub events: mpsc::Receiver<WatchEvent>,
}

impl WatchHub {
    /// A hub over `cluster`, counting watch errors in `metrics`.
    pub fn new(cluster: Cluster, metrics: Arc<crate::metrics::Metrics>) -> WatchHub {
        WatchHub {
            cluster,
            entries: Arc::default(),
            next_id: Arc::new(AtomicU64::new(1)),
            metrics,
        }
    }

    /// Subscribe to the watch `key` of `info`, starting it if it is new.
    pub fn subscribe(&self, key: WatchKey, info: &ResourceInfo) -> Subscription {
        let (tx, rx) = mpsc::channel(SUBSCRIBER_BUFFER);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut entries = self.entries.lock().expect("watch table lock");
        match entries.get(&key) {
            Some(entry) => {
                entry
                    .subscribers
                    .lock()
                    .expect("subscribers lock")
                    .push((id, tx));
                entry.restart.notify_one();
            }
            None => {
                let subscribers: Subscribers = Arc::new(Mutex::new(vec![(id, tx)]));
                let restart = Arc::new(Notify::new());
                let task = tokio::spawn(run_watch(
                    self.cluster.clone(),
                    info.clone(),
                    key.clone(),
                    subscribers.clone(),
                    restart.clone(),
                    self.metrics.clone(),
                ));
                entries.insert(
                    key.clone(),
                    Entry {
                        subscribers,
                        restart,
                        task,
                    },
                );
            }
        }
        Subscription {
            key,
            id,
            events: rx,
        }
    }

    /// Make the watch `key` list again (its subscribers see the complete
    /// state once more; those that filter by something that changed, such
    /// as a namespace selector, find their differences in it).
    pub fn relist(&self, key: &WatchKey) {
        if let Some(e) = self.entries.lock().expect("watch table lock").get(key) {
            e.restart.notify_one();
        }
    }

    /// End a subscription; the watch stops with its last subscriber.
    pub fn unsubscribe(&self, key: &WatchKey, id: u64) {
        let mut entries = self.entries.lock().expect("watch table lock");
        let empty = entries.get(key).is_some_and(|e| {
            let mut subs = e.subscribers.lock().expect("subscribers lock");
            subs.retain(|(i, _)| *i != id);
            subs.is_empty()
        });
        if empty && let Some(e) = entries.remove(key) {
            e.task.abort();
        }
    }

    /// The running watches.
    pub fn keys(&self) -> Vec<WatchKey> {
        let mut keys: Vec<_> = self
            .entries
            .lock()
            .expect("watch table lock")
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    /// Stop every watch.
    pub fn shutdown(&self) {
        for (_, e) in self.entries.lock().expect("watch table lock").drain() {
            e.task.abort();
        }
    }
}

/// Give `event` to every subscriber, waiting for room in each one's
/// buffer; subscribers that went away are dropped.
async fn send(subscribers: &Subscribers, event: WatchEvent) {
    let targets: Vec<(u64, mpsc::Sender<WatchEvent>)> = subscribers
        .lock()
        .expect("subscribers lock")
        .iter()
        .map(|(id, tx)| (*id, tx.clone()))
        .collect();
    let mut gone = Vec::new();
    for (id, tx) in targets {
        if tx.send(event.clone()).await.is_err() {
            gone.push(id);
        }
    }
    if !gone.is_empty() {
        subscribers
            .lock()
            .expect("subscribers lock")
            .retain(|(id, _)| !gone.contains(id));
    }
}

/// The `error_type` label of a watch error.
fn watch_error_type(e: &watcher::Error) -> &'static str {
    match e {
        watcher::Error::InitialListFailed(_) => "list",
        watcher::Error::WatchStartFailed(_) => "watch-start",
        watcher::Error::WatchError(_) => "watch",
        watcher::Error::WatchFailed(_) => "watch-failed",
        _ => "other",
    }
}

fn to_value(obj: DynamicObject) -> Arc<Value> {
    Arc::new(serde_json::to_value(obj).unwrap_or(Value::Null))
}

async fn run_watch(
    cluster: Cluster,
    info: ResourceInfo,
    key: WatchKey,
    subscribers: Subscribers,
    restart: Arc<Notify>,
    metrics: Arc<crate::metrics::Metrics>,
) {
    let api = cluster.api(&info, key.namespace.as_deref());
    loop {
        let mut config = watcher::Config::default().page_size(LIST_PAGE_SIZE);
        if !key.labels.is_empty() {
            config = config.labels(&key.labels);
        }
        if !key.fields.is_empty() {
            config = config.fields(&key.fields);
        }
        let mut stream = watcher(api.clone(), config).default_backoff().boxed();
        loop {
            tokio::select! {
                _ = restart.notified() => break,
                next = stream.next() => match next {
                    None => break,
                    Some(Err(e)) => {
                        metrics.watch_error(watch_error_type(&e));
                        tracing::warn!(watch = ?key, "watch error (retrying): {e}");
                    }
                    Some(Ok(ev)) => send(&subscribers, match ev {
                        watcher::Event::Init => WatchEvent::ListStart,
                        watcher::Event::InitApply(o) => WatchEvent::Listed(to_value(o)),
                        watcher::Event::InitDone => WatchEvent::ListDone,
                        watcher::Event::Apply(o) => WatchEvent::Applied(to_value(o)),
                        watcher::Event::Delete(o) => WatchEvent::Deleted(to_value(o)),
                    }).await,
                },
            }
        }
    }
}
