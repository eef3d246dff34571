//! The snapshot of one kubernetes binding of one hook, fed by shared
//! watches: what the binding holds (the jqFilter result and, unless
//! `keepFullObjectsInMemory: false`, the object), and which changes make
//! the hook run.
//!
//! A binding may follow several watches (one per namespace it names);
//! each is tracked on its own. The first complete list of all of them is
//! the binding's Synchronization. A later relist (a restarted watch) is
//! compared with what the binding holds and reported as the events it
//! implies. `Modified` is reported only when the checksum of what the
//! binding keeps (the filter result, else the object) changed.

use std::collections::BTreeMap;
use std::hash::{Hash as _, Hasher as _};
use std::sync::Arc;

use hooks::config::{LoadedConfig, WatchEventType};
use hooks::context::{ContextError, ObjectAndFilterResult, make_item};
use serde_json::Value;

use crate::watch::WatchEvent;

/// What a watch event means for the hook.
#[derive(Clone, Debug, PartialEq)]
pub enum BindingChange {
    /// Every watch of the binding has listed once.
    Synchronized,
    /// An object entered, changed in what the binding keeps, or left.
    Event(WatchEventType, Arc<Value>),
}

/// What a relist collected for one object: checksum, item, the object.
type Relisted = (u64, ObjectAndFilterResult, Arc<Value>);

#[derive(Default)]
struct Part {
    items: BTreeMap<String, (u64, ObjectAndFilterResult)>,
    relist: Option<BTreeMap<String, Relisted>>,
    listed_once: bool,
}

/// One binding's state.
pub struct BindingState {
    /// The binding name.
    pub binding: String,
    /// Only these object names, when the binding names several.
    names: Option<Vec<String>>,
    parts: Vec<Part>,
    synchronized: bool,
}

fn object_id(obj: &Value) -> String {
    let s = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or_default();
    format!("{}/{}", s("/metadata/namespace"), s("/metadata/name"))
}

fn checksum(item: &ObjectAndFilterResult) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let kept = match (&item.filter_result, &item.object) {
        (Some(f), _) => f,
        (None, Some(o)) => o,
        (None, None) => &Value::Null,
    };
    serde_json::to_string(kept).unwrap_or_default().hash(&mut h);
    h.finish()
}

impl BindingState {
    /// A binding following `watches` watches, keeping only objects named
    /// in `names` when given.
    pub fn new(binding: &str, watches: usize, names: Option<Vec<String>>) -> BindingState {
        BindingState {
            binding: binding.to_string(),
            names,
            parts: (0..watches.max(1)).map(|_| Part::default()).collect(),
            synchronized: false,
        }
    }

    /// Whether the first Synchronization has happened.
    pub fn is_synchronized(&self) -> bool {
        self.synchronized
    }
}

/// Whether `obj` is one of `names` (every object when there are none).
fn wanted(names: &Option<Vec<String>>, obj: &Value) -> bool {
    names.as_ref().is_none_or(|names| {
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        names.iter().any(|n| n == name)
    })
}

impl BindingState {
    /// Take one event of watch number `part`.
    pub fn on_event(
        &mut self,
        hook: &LoadedConfig,
        part: usize,
        event: WatchEvent,
    ) -> Result<Vec<BindingChange>, ContextError> {
        let binding = self.binding.clone();
        let item_of = |obj: &Value| -> Result<(u64, ObjectAndFilterResult), ContextError> {
            let item = make_item(hook, &binding, obj.clone())?;
            Ok((checksum(&item), item))
        };
        let mut out = Vec::new();
        let names = self.names.clone();
        let wanted = |o: &Value| wanted(&names, o);
        let Some(p) = self.parts.get_mut(part) else {
            return Ok(out);
        };
        match event {
            WatchEvent::ListStart => p.relist = Some(BTreeMap::new()),
            WatchEvent::Listed(obj) => {
                if wanted(&obj)
                    && let Some(relist) = &mut p.relist
                {
                    let (sum, item) = item_of(&obj)?;
                    relist.insert(object_id(&obj), (sum, item, obj));
                }
            }
            WatchEvent::ListDone => {
                let relist = p.relist.take().unwrap_or_default();
                if p.listed_once {
                    for (id, (sum, _)) in &p.items {
                        if !relist.contains_key(id) {
                            let gone = p.items.get(id).and_then(|(_, i)| i.object.clone());
                            let obj = gone.unwrap_or_else(|| id_object(id));
                            out.push(BindingChange::Event(WatchEventType::Deleted, Arc::new(obj)));
                        }
                        let _ = sum;
                    }
                    for (id, (sum, _, obj)) in &relist {
                        match p.items.get(id) {
                            None => {
                                out.push(BindingChange::Event(WatchEventType::Added, obj.clone()))
                            }
                            Some((old, _)) if old != sum => out
                                .push(BindingChange::Event(WatchEventType::Modified, obj.clone())),
                            _ => {}
                        }
                    }
                }
                p.items = relist
                    .into_iter()
                    .map(|(id, (s, i, _))| (id, (s, i)))
                    .collect();
                p.listed_once = true;
                if !self.synchronized && self.parts.iter().all(|p| p.listed_once) {
                    self.synchronized = true;
                    out.push(BindingChange::Synchronized);
                }
            }
            WatchEvent::Applied(obj) => {
                if !wanted(&obj) {
                    return Ok(out);
                }
                let (sum, item) = item_of(&obj)?;
                let id = object_id(&obj);
                if let Some(relist) = &mut p.relist {
                    relist.insert(id, (sum, item, obj));
                    return Ok(out);
                }
                let change = match p.items.get(&id) {
                    None => Some(WatchEventType::Added),
                    Some((old, _)) if *old != sum => Some(WatchEventType::Modified),
                    _ => None,
                };
                p.items.insert(id, (sum, item));
                if let Some(c) = change
                    && self.synchronized
                {
                    out.push(BindingChange::Event(c, obj));
                }
            }
            WatchEvent::Deleted(obj) => {
                let id = object_id(&obj);
                if let Some(relist) = &mut p.relist {
                    relist.remove(&id);
                    return Ok(out);
                }
                if p.items.remove(&id).is_some() && self.synchronized {
                    out.push(BindingChange::Event(WatchEventType::Deleted, obj));
                }
            }
        }
        Ok(out)
    }

    /// The binding's snapshot, ordered by namespace and name.
    pub fn items(&self) -> Vec<ObjectAndFilterResult> {
        let mut all: Vec<(&String, &ObjectAndFilterResult)> = self
            .parts
            .iter()
            .flat_map(|p| p.items.iter().map(|(id, (_, i))| (id, i)))
            .collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all.into_iter().map(|(_, i)| i.clone()).collect()
    }

    /// How many objects the binding holds.
    pub fn len(&self) -> usize {
        self.parts.iter().map(|p| p.items.len()).sum()
    }

    /// Whether the binding holds no objects.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A minimal object naming `id` (for a Deleted event whose object was not
/// kept in memory).
fn id_object(id: &str) -> Value {
    let (ns, name) = id.split_once('/').unwrap_or(("", id));
    let mut meta = serde_json::Map::new();
    meta.insert("name".into(), Value::String(name.into()));
    if !ns.is_empty() {
        meta.insert("namespace".into(), Value::String(ns.into()));
    }
    serde_json::json!({"metadata": meta})
}
