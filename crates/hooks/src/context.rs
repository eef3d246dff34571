//! Binding contexts: the JSON array a hook reads from
//! `$BINDING_CONTEXT_PATH`, built from an event and the hook's snapshots.
//!
//! Shapes (configVersion v1), as shell-operator and addon-operator write
//! them:
//! - onStartup: `{"binding":"onStartup"}`;
//! - addon-operator lifecycle (`beforeHelm`, ...): `{"binding":"beforeHelm","snapshots":{..every kubernetes binding..}}`;
//! - schedule: `{"binding":NAME,"type":"Schedule"}`;
//! - kubernetes: `{"binding":NAME,"type":"Synchronization","objects":[{object?,filterResult?}]}`
//!   and `{"binding":NAME,"type":"Event","watchEvent":"Added","object"?,"filterResult"?}`;
//! - any schedule/kubernetes binding with a `group`:
//!   `{"binding":NAME,"type":"Group","groupName":G,"snapshots":{..}}` — no objects;
//! - `snapshots` is added when `includeSnapshotsFrom` or `group` is set.
//!
//! Legacy v0 contexts are `{"binding", "resourceEvent", "resourceNamespace",
//! "resourceKind", "resourceName"}`.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{ConfigVersion, LifecycleBinding, LoadedConfig, WatchEventType};
use crate::jq::JqError;

/// One snapshot entry: the object (unless only filter results are kept)
/// and the filter result (only if the binding has a jqFilter).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectAndFilterResult {
    /// The object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<Value>,
    /// The jqFilter result (`null` when the filter printed nothing).
    #[serde(
        rename = "filterResult",
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub filter_result: Option<Value>,
}

/// A present key is `Some` even when its value is `null` (`filterResult:
/// null` means "the filter printed nothing", not "no filter").
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The `type` of a binding context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContextType {
    /// Initial list of a kubernetes binding.
    Synchronization,
    /// One watch event.
    Event,
    /// A schedule fired.
    Schedule,
    /// A grouped binding fired.
    Group,
    /// Validating admission request.
    Validating,
    /// Mutating admission request.
    Mutating,
    /// CRD conversion request.
    Conversion,
}

/// One element of the binding context array (v1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BindingContext {
    /// Binding name, or the binding type for lifecycle bindings.
    pub binding: String,
    /// Context type; absent for onStartup and lifecycle bindings.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub context_type: Option<ContextType>,
    /// Group name (Group contexts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// Watch event (Event contexts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch_event: Option<WatchEventType>,
    /// The object (Event contexts, when objects are kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<Value>,
    /// The filter result (Event contexts with a jqFilter).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub filter_result: Option<Value>,
    /// All objects (Synchronization contexts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects: Option<Vec<ObjectAndFilterResult>>,
    /// Snapshots by kubernetes binding name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshots: Option<BTreeMap<String, Vec<ObjectAndFilterResult>>>,
    /// AdmissionReview or ConversionReview (admission/conversion contexts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Value>,
    /// Conversion source version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_version: Option<String>,
    /// Conversion target version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_version: Option<String>,
}

impl BindingContext {
    fn bare(binding: impl Into<String>) -> Self {
        BindingContext {
            binding: binding.into(),
            context_type: None,
            group_name: None,
            watch_event: None,
            object: None,
            filter_result: None,
            objects: None,
            snapshots: None,
            review: None,
            from_version: None,
            to_version: None,
        }
    }

    /// Read a context written by hand or by another tool (v1 shape).
    pub fn from_json(value: Value) -> Result<Self, ContextError> {
        serde_json::from_value(value).map_err(|e| ContextError::Invalid {
            source: Arc::new(e),
        })
    }

    /// The group this context belongs to, if it is a Group context.
    pub fn group(&self) -> Option<&str> {
        self.group_name.as_deref()
    }
}

/// What happened: the trigger of one hook run.
#[derive(Clone, Debug, PartialEq)]
pub enum HookEvent {
    /// A lifecycle binding (onStartup, beforeHelm, ...).
    Lifecycle(LifecycleBinding),
    /// A schedule binding fired.
    Schedule {
        /// Binding name.
        binding: String,
    },
    /// Initial list of a kubernetes binding (the objects are in the
    /// snapshot store).
    Synchronization {
        /// Binding name.
        binding: String,
    },
    /// A watch event of a kubernetes binding.
    Event {
        /// Binding name.
        binding: String,
        /// Event type.
        event: WatchEventType,
        /// The object at event time.
        object: Value,
    },
    /// An admission request (validating or mutating binding).
    Admission {
        /// Binding name.
        binding: String,
        /// The AdmissionReview.
        review: Value,
    },
    /// A conversion request.
    Conversion {
        /// Binding name.
        binding: String,
        /// The ConversionReview.
        review: Value,
        /// Version converted from.
        from_version: String,
        /// Version converted to.
        to_version: String,
    },
}

impl HookEvent {
    /// The binding name this event is for.
    pub fn binding(&self) -> &str {
        match self {
            HookEvent::Lifecycle(b) => b.as_str(),
            HookEvent::Schedule { binding }
            | HookEvent::Synchronization { binding }
            | HookEvent::Event { binding, .. }
            | HookEvent::Admission { binding, .. }
            | HookEvent::Conversion { binding, .. } => binding,
        }
    }
}

/// The current objects of each kubernetes binding of one hook, with their
/// filter results computed once on insert.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SnapshotStore {
    items: BTreeMap<String, Vec<ObjectAndFilterResult>>,
}

/// A context could not be built.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ContextError {
    /// The hook has no binding of that kind and name.
    #[error("no {kind} binding named {binding:?}")]
    NoBinding {
        /// `kubernetes`, `schedule`, `admission` or `conversion`.
        kind: &'static str,
        /// The binding name asked for.
        binding: String,
    },
    /// The hook has no such lifecycle binding (`onStartup`, ...).
    #[error("the hook has no {0} binding")]
    NoLifecycleBinding(LifecycleBinding),
    /// A binding's jqFilter failed on an object.
    #[error("binding {binding:?}: jqFilter failed on an object: {source}")]
    Filter {
        /// The binding name.
        binding: String,
        /// The filter's error.
        source: JqError,
    },
    /// A hand-written context does not decode.
    #[error("invalid binding context: {source}")]
    Invalid {
        /// The decoder's error.
        source: Arc<serde_json::Error>,
    },
}

impl SnapshotStore {
    /// Replace a binding's objects, applying its jqFilter to each.
    pub fn set_objects(
        &mut self,
        hook: &LoadedConfig,
        binding: &str,
        objects: Vec<Value>,
    ) -> Result<(), ContextError> {
        let items = objects
            .into_iter()
            .map(|o| make_item(hook, binding, o))
            .collect::<Result<Vec<_>, _>>()?;
        self.items.insert(binding.to_string(), items);
        Ok(())
    }

    /// Replace a binding's items with ones already filtered (the operator
    /// keeps filter results as objects arrive).
    pub fn set_items(&mut self, binding: &str, items: Vec<ObjectAndFilterResult>) {
        self.items.insert(binding.to_string(), items);
    }

    /// The items of one binding (empty if none were set).
    pub fn get(&self, binding: &str) -> &[ObjectAndFilterResult] {
        self.items.get(binding).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Build a snapshot item for `object` as `binding` stores it.
pub fn make_item(
    hook: &LoadedConfig,
    binding: &str,
    object: Value,
) -> Result<ObjectAndFilterResult, ContextError> {
    let (keeps, filter_result) = filter_object(hook, binding, &object)?;
    Ok(ObjectAndFilterResult {
        object: keeps.then_some(object),
        filter_result,
    })
}

/// [`make_item`] from a borrowed object: the object is copied only when
/// the binding keeps full objects (`keepFullObjectsInMemory`), so a
/// long-running caller filtering many large objects copies none of them.
pub fn make_item_of(
    hook: &LoadedConfig,
    binding: &str,
    object: &Value,
) -> Result<ObjectAndFilterResult, ContextError> {
    let (keeps, filter_result) = filter_object(hook, binding, object)?;
    Ok(ObjectAndFilterResult {
        object: keeps.then(|| object.clone()),
        filter_result,
    })
}

/// Whether `binding` keeps full objects, and its jqFilter's result for
/// `object` (`None` without a filter).
fn filter_object(
    hook: &LoadedConfig,
    binding: &str,
    object: &Value,
) -> Result<(bool, Option<Value>), ContextError> {
    let index = hook
        .config
        .kubernetes
        .iter()
        .position(|k| k.name == binding)
        .ok_or_else(|| ContextError::NoBinding {
            kind: "kubernetes",
            binding: binding.to_string(),
        })?;
    let filter_result = match &hook.filters[index] {
        Some(filter) => Some(
            filter
                .apply(object)
                .map_err(|source| ContextError::Filter {
                    binding: binding.to_string(),
                    source,
                })?,
        ),
        None => None,
    };
    Ok((hook.config.kubernetes[index].keeps_objects(), filter_result))
}

/// Build the binding context for `event`, with snapshots taken from
/// `snapshots` at this moment (state at run time).
pub fn build_context(
    hook: &LoadedConfig,
    event: &HookEvent,
    snapshots: &SnapshotStore,
) -> Result<BindingContext, ContextError> {
    let config = &hook.config;
    let snapshot_map = |names: &mut dyn Iterator<Item = &String>| {
        names
            .map(|n| (n.clone(), snapshots.get(n).to_vec()))
            .collect::<BTreeMap<_, _>>()
    };
    // Snapshots for a binding: everything in its group plus
    // includeSnapshotsFrom.
    let grouped = |group: &Option<String>, include: &[String]| {
        let mut names: Vec<&String> = include.iter().collect();
        if let Some(g) = group {
            names.extend(
                config
                    .kubernetes
                    .iter()
                    .filter(|k| k.group.as_ref() == Some(g))
                    .map(|k| &k.name),
            );
        }
        (group.is_some() || !include.is_empty()).then(|| snapshot_map(&mut names.into_iter()))
    };
    let mut ctx = match event {
        HookEvent::Lifecycle(b) => {
            if config.order_of(*b).is_none() {
                return Err(ContextError::NoLifecycleBinding(*b));
            }
            let mut ctx = BindingContext::bare(b.as_str());
            if b.has_snapshots() {
                ctx.snapshots = Some(snapshot_map(&mut config.kubernetes.iter().map(|k| &k.name)));
            }
            ctx
        }
        HookEvent::Schedule { binding } => {
            let s = config
                .schedule
                .iter()
                .find(|s| &s.name == binding)
                .ok_or_else(|| ContextError::NoBinding {
                    kind: "schedule",
                    binding: binding.to_string(),
                })?;
            let mut ctx = BindingContext::bare(binding.clone());
            ctx.context_type = Some(ContextType::Schedule);
            ctx.snapshots = grouped(&s.group, &s.include_snapshots_from);
            if let Some(g) = &s.group {
                ctx.context_type = Some(ContextType::Group);
                ctx.group_name = Some(g.clone());
            }
            ctx
        }
        HookEvent::Synchronization { binding } | HookEvent::Event { binding, .. } => {
            let k = config
                .kubernetes
                .iter()
                .find(|k| &k.name == binding)
                .ok_or_else(|| ContextError::NoBinding {
                    kind: "kubernetes",
                    binding: binding.to_string(),
                })?;
            let mut ctx = BindingContext::bare(binding.clone());
            ctx.snapshots = grouped(&k.group, &k.include_snapshots_from);
            if let Some(g) = &k.group {
                ctx.context_type = Some(ContextType::Group);
                ctx.group_name = Some(g.clone());
            } else if let HookEvent::Event { event, object, .. } = event {
                let item = make_item(hook, binding, object.clone())?;
                ctx.context_type = Some(ContextType::Event);
                ctx.watch_event = Some(*event);
                ctx.object = item.object;
                ctx.filter_result = item.filter_result;
            } else {
                ctx.context_type = Some(ContextType::Synchronization);
                ctx.objects = Some(snapshots.get(binding).to_vec());
            }
            ctx
        }
        HookEvent::Admission { binding, review } => {
            let (b, context_type) = match config
                .kubernetes_validating
                .iter()
                .find(|b| &b.name == binding)
            {
                Some(b) => (b, ContextType::Validating),
                None => (
                    config
                        .kubernetes_mutating
                        .iter()
                        .find(|b| &b.name == binding)
                        .ok_or_else(|| ContextError::NoBinding {
                            kind: "admission",
                            binding: binding.to_string(),
                        })?,
                    ContextType::Mutating,
                ),
            };
            let mut ctx = BindingContext::bare(binding.clone());
            ctx.context_type = Some(context_type);
            ctx.snapshots = grouped(&b.group, &b.include_snapshots_from);
            ctx.review = Some(review.clone());
            ctx
        }
        HookEvent::Conversion {
            binding,
            review,
            from_version,
            to_version,
        } => {
            let c = config
                .kubernetes_custom_resource_conversion
                .iter()
                .find(|c| &c.name == binding)
                .ok_or_else(|| ContextError::NoBinding {
                    kind: "conversion",
                    binding: binding.to_string(),
                })?;
            let mut ctx = BindingContext::bare(binding.clone());
            ctx.context_type = Some(ContextType::Conversion);
            ctx.snapshots = grouped(&c.group, &c.include_snapshots_from);
            ctx.review = Some(review.clone());
            ctx.from_version = Some(from_version.clone());
            ctx.to_version = Some(to_version.clone());
            ctx
        }
    };
    if config.config_version == ConfigVersion::V0 {
        ctx.snapshots = None;
    }
    Ok(ctx)
}

/// Serialize contexts for `$BINDING_CONTEXT_PATH`: v1 as is, v0 in the
/// legacy flat shape.
pub fn to_json(version: ConfigVersion, contexts: &[BindingContext]) -> Value {
    match version {
        ConfigVersion::V1 => serde_json::to_value(contexts).unwrap_or(Value::Null),
        ConfigVersion::V0 => Value::Array(contexts.iter().map(to_v0).collect()),
    }
}

fn to_v0(ctx: &BindingContext) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("binding".into(), Value::String(ctx.binding.clone()));
    if let (Some(event), Some(object)) = (ctx.watch_event, &ctx.object) {
        let resource_event = match event {
            WatchEventType::Added => "add",
            WatchEventType::Modified => "update",
            WatchEventType::Deleted => "delete",
        };
        let field = |p: &str| {
            object
                .pointer(p)
                .cloned()
                .unwrap_or(Value::String(String::new()))
        };
        out.insert("resourceEvent".into(), Value::String(resource_event.into()));
        out.insert("resourceNamespace".into(), field("/metadata/namespace"));
        out.insert("resourceKind".into(), field("/kind"));
        out.insert("resourceName".into(), field("/metadata/name"));
    }
    Value::Object(out)
}

/// Collapse adjacent contexts of the same group into the last one (the
/// snapshots of the last are the freshest and a hook run on a group only
/// needs them once).
pub fn collapse_groups(contexts: Vec<BindingContext>) -> Vec<BindingContext> {
    let mut out: Vec<BindingContext> = Vec::with_capacity(contexts.len());
    for ctx in contexts {
        if let (Some(last), Some(group)) = (out.last(), ctx.group())
            && last.group() == Some(group)
        {
            out.pop();
        }
        out.push(ctx);
    }
    out
}
