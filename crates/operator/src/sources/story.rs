//! A module's story at a glance (what `deckmod status` prints): which source offers it,
//! the policy and the version on its channel, what is deployed, what waits and for what,
//! the last error its source reported, and a pull override when one is in place. Read from
//! the distribution resources only.

use std::collections::BTreeMap;
use std::fmt;

use kube::api::{Api, DynamicObject, ListParams};
use serde::Serialize;
use serde_json::Value;

use super::model::{LABEL_POLICY, ReleaseObject};
use crate::crds;

/// One release of a module.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ReleaseLine {
    /// `metadata.name`.
    pub name: String,
    /// `v<version>`.
    pub version: String,
    /// `status.phase`.
    pub phase: String,
    /// `status.message`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// A module's pull override.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OverrideLine {
    /// `spec.imageTag`.
    pub image_tag: String,
    /// `status.imageDigest`.
    pub digest: String,
    /// `status.message`.
    pub message: String,
}

/// What `deckmod status` prints for one module.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ModuleStory {
    /// Module name.
    pub module: String,
    /// Sources that list it.
    pub sources: Vec<String>,
    /// `ModuleConfig.spec.enabled`.
    pub enabled: Option<bool>,
    /// The update policy in effect ("" = the embedded one).
    pub policy: String,
    /// The version on its channel, as its source last read it.
    pub channel_version: Option<String>,
    /// The deployed version.
    pub deployed: Option<String>,
    /// Every release, oldest first.
    pub releases: Vec<ReleaseLine>,
    /// The error its source reported, if any.
    pub error: Option<String>,
    /// The pull override, if any.
    pub overridden: Option<OverrideLine>,
}

async fn list(
    client: &kube::Client,
    r: &kube::core::ApiResource,
) -> Result<Vec<DynamicObject>, kube::Error> {
    Ok(Api::<DynamicObject>::all_with(client.clone(), r)
        .list(&ListParams::default())
        .await?
        .items)
}

fn s(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The stories of every module the distribution resources know (or of `only`).
pub async fn stories(
    client: &kube::Client,
    only: Option<&str>,
) -> Result<Vec<ModuleStory>, kube::Error> {
    let mut by_module: BTreeMap<String, ModuleStory> = BTreeMap::new();
    let story = |m: &str, map: &mut BTreeMap<String, ModuleStory>| -> bool {
        if only.is_some_and(|o| o != m) {
            return false;
        }
        map.entry(m.to_string()).or_insert_with(|| ModuleStory {
            module: m.to_string(),
            sources: Vec::new(),
            enabled: None,
            policy: String::new(),
            channel_version: None,
            deployed: None,
            releases: Vec::new(),
            error: None,
            overridden: None,
        });
        true
    };
    for o in list(client, &crds::module_source_resource()).await? {
        let source = o.metadata.name.clone().unwrap_or_default();
        let modules = o
            .data
            .pointer("/status/modules")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for entry in modules {
            let m = s(&entry, "/name");
            if !story(&m, &mut by_module) {
                continue;
            }
            let st = by_module.get_mut(&m).expect("inserted");
            st.sources.push(source.clone());
            st.policy = s(&entry, "/policy");
            let version = s(&entry, "/version");
            if !version.is_empty() && version != "unknown" {
                st.channel_version = Some(version);
            }
            let error = s(&entry, "/error");
            if !error.is_empty() {
                st.error = Some(format!("{source}: {error}"));
            }
        }
    }
    let mut releases: Vec<ReleaseObject> = list(client, &crds::module_release_resource())
        .await?
        .iter()
        .filter_map(|o| ReleaseObject::from_object(o).ok())
        .collect();
    releases.sort_by(|a, b| a.version.cmp(&b.version));
    for r in releases {
        if !story(&r.module, &mut by_module) {
            continue;
        }
        let st = by_module.get_mut(&r.module).expect("inserted");
        if r.phase == super::policy::Phase::Deployed {
            st.deployed = Some(format!("v{}", r.version));
        }
        if st.policy.is_empty() {
            st.policy = r.labels.get(LABEL_POLICY).cloned().unwrap_or_default();
        }
        st.releases.push(ReleaseLine {
            name: r.name.clone(),
            version: format!("v{}", r.version),
            phase: r.phase.as_str().to_string(),
            message: r.message.clone(),
        });
    }
    for o in list(client, &crds::module_pull_override_resource()).await? {
        let m = o.metadata.name.clone().unwrap_or_default();
        if !story(&m, &mut by_module) {
            continue;
        }
        let v = serde_json::to_value(&o).unwrap_or(Value::Null);
        by_module.get_mut(&m).expect("inserted").overridden = Some(OverrideLine {
            image_tag: s(&v, "/spec/imageTag"),
            digest: s(&v, "/status/imageDigest"),
            message: s(&v, "/status/message"),
        });
    }
    for o in list(client, &crds::module_config_resource()).await? {
        let m = o.metadata.name.clone().unwrap_or_default();
        if let Some(st) = by_module.get_mut(&m) {
            st.enabled = o.data.pointer("/spec/enabled").and_then(Value::as_bool);
        }
    }
    Ok(by_module.into_values().collect())
}

impl fmt::Display for ModuleStory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or = |v: &Option<String>, none: &str| v.clone().unwrap_or_else(|| none.to_string());
        writeln!(f, "module {}", self.module)?;
        writeln!(
            f,
            "  source    {}",
            if self.sources.is_empty() {
                "-".to_string()
            } else {
                self.sources.join(", ")
            }
        )?;
        writeln!(
            f,
            "  enabled   {}",
            match self.enabled {
                Some(true) => "yes",
                Some(false) => "no",
                None => "not set",
            }
        )?;
        writeln!(
            f,
            "  policy    {}",
            if self.policy.is_empty() {
                "(embedded)"
            } else {
                &self.policy
            }
        )?;
        writeln!(f, "  channel   {}", or(&self.channel_version, "-"))?;
        writeln!(f, "  deployed  {}", or(&self.deployed, "-"))?;
        for r in self.releases.iter().filter(|r| r.phase == "Pending") {
            if r.message.is_empty() {
                writeln!(f, "  pending   {}", r.version)?;
            } else {
                writeln!(f, "  pending   {}: {}", r.version, r.message)?;
            }
        }
        if let Some(o) = &self.overridden {
            writeln!(f, "  override  {} {} {}", o.image_tag, o.digest, o.message)?;
        }
        if let Some(e) = &self.error {
            writeln!(f, "  error     {e}")?;
        }
        Ok(())
    }
}
