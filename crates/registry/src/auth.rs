//! Registry credentials from a docker `config.json` (`{"auths":{"<host>":{"auth":"..."}}}`),
//! the same format as `ModuleSource.spec.registry.dockerCfg`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oci_client::secrets::RegistryAuth;
use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

/// Credentials per registry host.
#[derive(Clone, Debug, Default)]
pub struct DockerConfig {
    by_host: BTreeMap<String, RegistryAuth>,
}

impl DockerConfig {
    /// Parses the JSON of a docker config. `origin` names it in error messages.
    pub fn from_json(bytes: &[u8], origin: &str) -> Result<DockerConfig> {
        let file: ConfigFile = serde_json::from_slice(bytes)
            .map_err(|e| Error::metadata(origin, format!("invalid docker config JSON: {e}")))?;
        let mut by_host = BTreeMap::new();
        for (key, entry) in file.auths {
            let host = normalise_host(&key);
            let auth = entry_auth(&entry)
                .map_err(|why| Error::metadata(origin, format!("/auths/{key}: {why}")))?;
            if let Some(auth) = auth {
                by_host.insert(host, auth);
            }
        }
        Ok(DockerConfig { by_host })
    }

    /// Parses `ModuleSource.spec.registry.dockerCfg`: base64 of a docker config JSON.
    /// Empty means anonymous access.
    pub fn from_base64(encoded: &str) -> Result<DockerConfig> {
        if encoded.trim().is_empty() {
            return Ok(DockerConfig::default());
        }
        let json = STANDARD
            .decode(encoded.trim())
            .map_err(|e| Error::metadata("spec.registry.dockerCfg", format!("not base64: {e}")))?;
        DockerConfig::from_json(&json, "spec.registry.dockerCfg")
    }

    /// Loads the docker config at `path` (a `config.json` or a directory holding one), or
    /// when `None`: `$DOCKER_CONFIG/config.json`, then `~/.docker/config.json`; a missing
    /// default file means anonymous access.
    pub fn load(path: Option<&Path>) -> Result<DockerConfig> {
        let (file, required) = match path {
            Some(p) if p.is_dir() => (p.join("config.json"), true),
            Some(p) => (p.to_path_buf(), true),
            None => match default_config_path() {
                Some(p) => (p, false),
                None => return Ok(DockerConfig::default()),
            },
        };
        match fs::read(&file) {
            Ok(bytes) => DockerConfig::from_json(&bytes, &file.display().to_string()),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                Ok(DockerConfig::default())
            }
            Err(e) => Err(Error::io(&file, e)),
        }
    }

    /// The credentials for `registry` (host with port), anonymous when none are configured.
    pub fn auth_for(&self, registry: &str) -> RegistryAuth {
        self.by_host
            .get(registry)
            .cloned()
            .unwrap_or(RegistryAuth::Anonymous)
    }
}

fn default_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker").join("config.json"))
}

/// `https://host/v1/` and `host` name the same registry in docker configs.
fn normalise_host(key: &str) -> String {
    let without_scheme = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    without_scheme
        .split('/')
        .next()
        .unwrap_or(without_scheme)
        .to_string()
}

fn entry_auth(entry: &AuthEntry) -> Result<Option<RegistryAuth>, String> {
    if let Some(token) = entry.registrytoken.as_deref().filter(|t| !t.is_empty()) {
        return Ok(Some(RegistryAuth::Bearer(token.to_string())));
    }
    if let Some(encoded) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let decoded = STANDARD
            .decode(encoded.trim())
            .map_err(|e| format!("`auth` is not base64: {e}"))?;
        let text = String::from_utf8(decoded).map_err(|_| "`auth` is not UTF-8".to_string())?;
        let (user, password) = text
            .split_once(':')
            .ok_or_else(|| "`auth` must encode \"user:password\"".to_string())?;
        return Ok(Some(RegistryAuth::Basic(
            user.to_string(),
            password.to_string(),
        )));
    }
    match (&entry.username, &entry.password) {
        (Some(user), Some(password)) => {
            Ok(Some(RegistryAuth::Basic(user.clone(), password.clone())))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_auth_and_username_password_and_normalises_hosts() {
        let json = br#"{"auths":{
            "https://r.example:5000/v1/":{"auth":"dXNlcjpwYXNz"},
            "other.example":{"username":"u","password":"p"}
        }}"#;
        let config = DockerConfig::from_json(json, "test").unwrap();
        assert!(matches!(
            config.auth_for("r.example:5000"),
            RegistryAuth::Basic(u, p) if u == "user" && p == "pass"
        ));
        assert!(matches!(
            config.auth_for("other.example"),
            RegistryAuth::Basic(..)
        ));
        assert!(matches!(
            config.auth_for("none.example"),
            RegistryAuth::Anonymous
        ));
    }

    #[test]
    fn decodes_module_source_docker_cfg() {
        let json = br#"{"auths":{"r.example":{"auth":"dXNlcjpwYXNz"}}}"#;
        let config = DockerConfig::from_base64(&STANDARD.encode(json)).unwrap();
        assert!(matches!(
            config.auth_for("r.example"),
            RegistryAuth::Basic(..)
        ));
        assert!(matches!(
            DockerConfig::from_base64("").unwrap().auth_for("r.example"),
            RegistryAuth::Anonymous
        ));
        assert!(DockerConfig::from_base64("***").is_err());
    }

    #[test]
    fn malformed_auth_names_the_entry() {
        let err = DockerConfig::from_json(br#"{"auths":{"h":{"auth":"%%%"}}}"#, "cfg.json")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cfg.json") && err.contains("/auths/h"),
            "{err}"
        );
    }
}
