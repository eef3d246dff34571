//! The Helm 3 release record, byte-compatible with what Helm's `secrets`
//! storage driver writes, so the real `helm list`, `helm history`,
//! `helm get manifest` and `helm get values` read deckmod's releases, and
//! deckmod reads (and takes over) releases Helm installed.
//!
//! A release is stored as a Secret `sh.helm.release.v1.<name>.v<revision>`
//! of type `helm.sh/release.v1` in the release namespace, labelled
//! `name`, `owner=helm`, `status`, `version` (plus the release's own
//! labels), whose `release` key holds base64(gzip(JSON of the release)).
//! The Secret's data is base64 once more, as all Secret data is.
//!
//! Pure: no cluster access here (see `storage` for that).

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};

/// The Secret type Helm 3 stores releases as.
pub const SECRET_TYPE: &str = "helm.sh/release.v1";

/// Helm's `owner` label value.
pub const OWNER: &str = "helm";

/// Largest decompressed release accepted when decoding (a Secret holds at
/// most 1 MiB; gzip of YAML rarely exceeds 1:20).
const MAX_DECODED: u64 = 64 << 20;

/// A release's status, as Helm spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Unknown state.
    Unknown,
    /// The revision in effect.
    Deployed,
    /// Uninstalled (kept with `--keep-history`).
    Uninstalled,
    /// An older revision, replaced by a newer one.
    Superseded,
    /// The install or upgrade failed.
    Failed,
    /// Being uninstalled.
    Uninstalling,
    /// Being installed.
    PendingInstall,
    /// Being upgraded.
    PendingUpgrade,
    /// Being rolled back.
    PendingRollback,
}

impl Status {
    /// Helm's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Deployed => "deployed",
            Status::Uninstalled => "uninstalled",
            Status::Superseded => "superseded",
            Status::Failed => "failed",
            Status::Uninstalling => "uninstalling",
            Status::PendingInstall => "pending-install",
            Status::PendingUpgrade => "pending-upgrade",
            Status::PendingRollback => "pending-rollback",
        }
    }

    /// Parse Helm's spelling; anything else is `Unknown`.
    pub fn parse(s: &str) -> Status {
        match s {
            "deployed" => Status::Deployed,
            "uninstalled" => Status::Uninstalled,
            "superseded" => Status::Superseded,
            "failed" => Status::Failed,
            "uninstalling" => Status::Uninstalling,
            "pending-install" => Status::PendingInstall,
            "pending-upgrade" => Status::PendingUpgrade,
            "pending-rollback" => Status::PendingRollback,
            _ => Status::Unknown,
        }
    }

    /// A `pending-*` status: an operation that did not finish (a crash
    /// mid-upgrade leaves one behind).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::PendingInstall | Status::PendingUpgrade | Status::PendingRollback
        )
    }
}

/// One revision of a release.
#[derive(Clone, Debug, PartialEq)]
pub struct Release {
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Revision, from 1.
    pub version: u32,
    /// Status of this revision.
    pub status: Status,
    /// Human-readable log entry ("Install complete", ...).
    pub description: String,
    /// RFC 3339 time of the first deploy of the release.
    pub first_deployed: String,
    /// RFC 3339 time of this revision's deploy.
    pub last_deployed: String,
    /// Rendered NOTES.txt.
    pub notes: String,
    /// The chart: Helm's JSON form (`metadata`, `templates`, `values`, ...).
    pub chart: Value,
    /// The user-supplied values (`helm get values`).
    pub config: Value,
    /// The rendered manifest, as Helm stores it (`---\n# Source: ...`).
    pub manifest: String,
    /// Helm hooks, in Helm's JSON form.
    pub hooks: Vec<Value>,
    /// Storage labels beyond Helm's four (e.g. `moduleChecksum`).
    pub labels: BTreeMap<String, String>,
}

/// The Secret name of a revision.
pub fn secret_name(release: &str, version: u32) -> String {
    format!("sh.helm.release.v1.{release}.v{version}")
}

/// Why a stored release could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Not base64.
    #[error("release data is not base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// Not gzip, or truncated.
    #[error("release data is not gzip: {0}")]
    Gzip(std::io::Error),
    /// Decompressed beyond the limit.
    #[error("release data decompresses beyond {MAX_DECODED} bytes")]
    TooLarge,
    /// Not the JSON of a release.
    #[error("release data is not a Helm release: {0}")]
    Json(String),
}

impl Release {
    /// Helm's JSON form of the release (Go struct field order, `omitempty`).
    pub fn to_json(&self) -> Value {
        let mut info = Map::new();
        if !self.first_deployed.is_empty() {
            info.insert("first_deployed".into(), json!(self.first_deployed));
        }
        if !self.last_deployed.is_empty() {
            info.insert("last_deployed".into(), json!(self.last_deployed));
        }
        // `deleted` has no omitempty: a zero time is "" in Helm's time type.
        info.insert("deleted".into(), json!(""));
        if !self.description.is_empty() {
            info.insert("description".into(), json!(self.description));
        }
        info.insert("status".into(), json!(self.status.as_str()));
        if !self.notes.is_empty() {
            info.insert("notes".into(), json!(self.notes));
        }
        let mut r = Map::new();
        r.insert("name".into(), json!(self.name));
        r.insert("info".into(), Value::Object(info));
        r.insert("chart".into(), self.chart.clone());
        if self.config.as_object().is_some_and(|o| !o.is_empty()) {
            r.insert("config".into(), self.config.clone());
        }
        if !self.manifest.is_empty() {
            r.insert("manifest".into(), json!(self.manifest));
        }
        if !self.hooks.is_empty() {
            r.insert("hooks".into(), Value::Array(self.hooks.clone()));
        }
        r.insert("version".into(), json!(self.version));
        r.insert("namespace".into(), json!(self.namespace));
        Value::Object(r)
    }

    /// Read Helm's JSON form; `labels` come from the storage object.
    pub fn from_json(v: &Value, labels: BTreeMap<String, String>) -> Result<Release, DecodeError> {
        let s = |p: &str| {
            v.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let name = s("/name");
        if name.is_empty() {
            return Err(DecodeError::Json("no release name".into()));
        }
        let version = v
            .get("version")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| DecodeError::Json("no release version".into()))?;
        Ok(Release {
            name,
            namespace: s("/namespace"),
            version,
            status: Status::parse(&s("/info/status")),
            description: s("/info/description"),
            first_deployed: s("/info/first_deployed"),
            last_deployed: s("/info/last_deployed"),
            notes: s("/info/notes"),
            chart: v.get("chart").cloned().unwrap_or(Value::Null),
            config: v.get("config").cloned().unwrap_or_else(|| json!({})),
            manifest: s("/manifest"),
            hooks: v
                .get("hooks")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            labels,
        })
    }

    /// The `release` value Helm stores: base64(gzip(JSON)), gzip at best
    /// compression as Helm writes it.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(&self.to_json()).expect("a JSON value serializes");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&json).expect("writing to a Vec cannot fail");
        B64.encode(gz.finish().expect("writing to a Vec cannot fail"))
    }

    /// Read a stored `release` value (base64 of gzip, or of plain JSON as
    /// very old Helm 3 versions wrote it).
    pub fn decode(data: &str, labels: BTreeMap<String, String>) -> Result<Release, DecodeError> {
        let raw = B64.decode(data.trim())?;
        let json = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(raw.as_slice())
                .take(MAX_DECODED + 1)
                .read_to_end(&mut out)
                .map_err(DecodeError::Gzip)?;
            if out.len() as u64 > MAX_DECODED {
                return Err(DecodeError::TooLarge);
            }
            out
        } else {
            raw
        };
        let v: Value =
            serde_json::from_slice(&json).map_err(|e| DecodeError::Json(e.to_string()))?;
        Release::from_json(&v, labels)
    }

    /// The storage labels Helm writes: the release's own, then `name`,
    /// `owner`, `status`, `version` (which win).
    pub fn storage_labels(&self) -> BTreeMap<String, String> {
        let mut l = self.labels.clone();
        l.insert("name".into(), self.name.clone());
        l.insert("owner".into(), OWNER.into());
        l.insert("status".into(), self.status.as_str().into());
        l.insert("version".into(), self.version.to_string());
        l
    }

    /// The Secret this revision is stored as (JSON, ready to create).
    pub fn to_secret(&self) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": secret_name(&self.name, self.version),
                "namespace": self.namespace,
                "labels": self.storage_labels(),
            },
            "type": SECRET_TYPE,
            "data": {"release": B64.encode(self.encode())},
        })
    }

    /// Read a revision from its Secret (as JSON).
    pub fn from_secret(secret: &Value) -> Result<Release, DecodeError> {
        let data = secret
            .pointer("/data/release")
            .and_then(Value::as_str)
            .ok_or_else(|| DecodeError::Json("the Secret has no `release` key".into()))?;
        let inner = B64.decode(data.trim())?;
        let inner = String::from_utf8(inner)
            .map_err(|_| DecodeError::Json("the `release` key is not text".into()))?;
        let mut labels: BTreeMap<String, String> = secret
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        for k in ["name", "owner", "status", "version"] {
            labels.remove(k);
        }
        Release::decode(&inner, labels)
    }
}

/// Helm's JSON form of a chart that carries only its metadata (what
/// `helm list` shows as CHART and APP VERSION).
pub fn chart_json(name: &str, version: &str, app_version: Option<&str>) -> Value {
    let mut meta = Map::new();
    meta.insert("name".into(), json!(name));
    meta.insert("version".into(), json!(version));
    if let Some(a) = app_version.filter(|a| !a.is_empty()) {
        meta.insert("appVersion".into(), json!(a));
    }
    meta.insert("apiVersion".into(), json!("v2"));
    json!({"metadata": meta, "lock": null, "templates": [], "values": {}, "schema": null, "files": []})
}

/// Go's RFC 3339 form of a time, as Helm's time type marshals it.
pub fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Release {
        Release {
            name: "echo".into(),
            namespace: "d8-echo".into(),
            version: 3,
            status: Status::Deployed,
            description: "Upgrade complete".into(),
            first_deployed: "2026-12-01T10:00:00Z".into(),
            last_deployed: "2026-12-02T10:00:00.5Z".into(),
            notes: String::new(),
            chart: chart_json("echo", "0.0.1", None),
            config: json!({"echo": {"replicas": 2}}),
            manifest: "---\n# Source: echo/templates/cm.yaml\nkind: ConfigMap\n".into(),
            hooks: vec![],
            labels: BTreeMap::from([("moduleChecksum".into(), "abc".into())]),
        }
    }

    #[test]
    fn a_release_survives_its_secret() {
        let r = sample();
        let secret = r.to_secret();
        assert_eq!(secret["metadata"]["name"], "sh.helm.release.v1.echo.v3");
        assert_eq!(secret["type"], SECRET_TYPE);
        let labels = &secret["metadata"]["labels"];
        assert_eq!(labels["owner"], "helm");
        assert_eq!(labels["status"], "deployed");
        assert_eq!(labels["version"], "3");
        assert_eq!(labels["moduleChecksum"], "abc");
        assert_eq!(Release::from_secret(&secret).unwrap(), r);
    }

    #[test]
    fn the_stored_form_is_base64_of_gzip_of_json() {
        let enc = sample().encode();
        let gz = B64.decode(&enc).unwrap();
        assert_eq!(&gz[..2], &[0x1f, 0x8b]);
        let mut json = String::new();
        flate2::read::GzDecoder::new(gz.as_slice())
            .read_to_string(&mut json)
            .unwrap();
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["info"]["status"], "deployed");
        assert_eq!(v["info"]["deleted"], "");
        assert_eq!(v["version"], 3);
        assert!(v.get("labels").is_none(), "labels live on the Secret only");
    }

    #[test]
    fn bad_data_is_an_error_not_a_panic() {
        assert!(Release::decode("not base64!", BTreeMap::new()).is_err());
        assert!(Release::decode(&B64.encode([0x1f, 0x8b, 1, 2]), BTreeMap::new()).is_err());
        assert!(Release::decode(&B64.encode(b"{\"name\":\"x\"}"), BTreeMap::new()).is_err());
        assert!(Release::from_secret(&json!({"data": {}})).is_err());
    }

    #[test]
    fn statuses_round_trip_and_pending_is_recognized() {
        for s in [
            Status::Deployed,
            Status::Uninstalled,
            Status::Superseded,
            Status::Failed,
            Status::Uninstalling,
            Status::PendingInstall,
            Status::PendingUpgrade,
            Status::PendingRollback,
        ] {
            assert_eq!(Status::parse(s.as_str()), s);
        }
        assert!(Status::PendingUpgrade.is_pending());
        assert!(!Status::Deployed.is_pending());
    }
}
