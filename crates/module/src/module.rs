//! A DKP module folder loaded for values and rendering: definition, schemas,
//! static values, and the computation of effective values.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::definition::{self, ModuleDefinition};
use crate::diagnostic::{Finding, Severity};
use crate::globals;
use crate::name;
use crate::schema::{self, Schema, SchemaKind, Violation};
use crate::values;

/// A loaded module.
#[derive(Debug, Clone)]
pub struct Module {
    /// The module folder.
    pub root: PathBuf,
    /// `module.yaml` (a definition with only the name when the file is absent).
    pub definition: ModuleDefinition,
    /// camelCase values key.
    pub values_key: String,
    /// `openapi/config-values.yaml`, prepared.
    pub config_schema: Option<Schema>,
    /// `openapi/values.yaml`, prepared (x-extended, registry injected).
    pub values_schema: Option<Schema>,
    /// The values schema with `x-required-for-helm`.
    pub helm_schema: Option<Schema>,
    /// Static values: the module's section of `<modulesDir>/values.yaml`
    /// with the module's own `values.yaml` (under the values key) over it.
    pub static_values: Value,
    /// The `global:` section of `<modulesDir>/values.yaml`, if there is one
    /// (addon-operator's static global values).
    pub common_global: Option<Value>,
    /// The `registry` values DKP injects into a module with schemas
    /// (`None` for a module without them). A placeholder source after
    /// [`Module::load`]; set the real one with [`Registry::for_source`].
    pub registry: Option<Registry>,
}

/// The `registry` values DKP gives a downloaded module (`.Values.<key>.registry`):
/// where its images are and how to pull them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    /// The module's image repository (`<source repo>/<module>`).
    pub base: String,
    /// Base64 Docker config with the pull credentials.
    pub dockercfg: String,
    /// `http` or `https`.
    pub scheme: String,
    /// The registry's CA certificate (PEM), or empty.
    pub ca: String,
}

impl Registry {
    /// The source's values as DKP injects them: `repo` is the ModuleSource
    /// repository, the module's images under `<repo>/<module>`. An empty
    /// `dockercfg` becomes a config with an empty auth entry for the
    /// registry host, as the platform writes it.
    pub fn for_source(
        repo: &str,
        module: &str,
        dockercfg: &str,
        scheme: &str,
        ca: &str,
    ) -> Registry {
        let repo = repo.trim_end_matches('/');
        let dockercfg = if dockercfg.is_empty() {
            let host = repo.split('/').next().unwrap_or(repo);
            base64_encode(json!({"auths": {host: {}}}).to_string().as_bytes())
        } else {
            dockercfg.to_string()
        };
        Registry {
            base: format!("{repo}/{module}"),
            dockercfg,
            scheme: scheme.to_string(),
            ca: ca.to_string(),
        }
    }

    /// What deckmod assumes without a cluster: `registry.example.com/modules`
    /// over HTTPS, anonymous.
    pub fn placeholder(module: &str) -> Registry {
        Registry::for_source("registry.example.com/modules", module, "", "https", "")
    }

    /// The values object (`{base, dockercfg, scheme, ca}`).
    pub fn to_value(&self) -> Value {
        json!({"base": self.base, "dockercfg": self.dockercfg, "scheme": self.scheme, "ca": self.ca})
    }
}

/// Standard base64 with padding.
fn base64_encode(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Why effective values could not be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuesError {
    /// Which layer failed: `config` (user settings) or `values` (effective values).
    pub stage: &'static str,
    /// What was wrong, by JSON pointer relative to the module's values.
    pub violations: Vec<Violation>,
}

impl fmt::Display for ValuesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.stage {
            "config" => "settings do not match openapi/config-values.yaml",
            "helm" => "values miss fields required for Helm (x-required-for-helm)",
            _ => "effective values do not match openapi/values.yaml",
        };
        writeln!(f, "{what}:")?;
        for v in &self.violations {
            writeln!(f, "  {v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValuesError {}

impl Module {
    /// Load the module in `root`. Errors are findings (file, position, rule).
    pub fn load(root: &Path) -> Result<Module, Vec<Finding>> {
        let def_path = root.join("module.yaml");
        let definition = if def_path.exists() {
            let loaded = definition::load(&def_path);
            match loaded.definition {
                Some(d)
                    if !loaded.findings.iter().any(|f| {
                        f.severity == Severity::Error && f.pointer.as_deref() == Some("/name")
                    }) =>
                {
                    d
                }
                _ => {
                    return Err(loaded
                        .findings
                        .into_iter()
                        .filter(|f| f.severity == Severity::Error)
                        .collect());
                }
            }
        } else {
            // Bundled modules may lack module.yaml: the folder name (minus its
            // order prefix) is the module name.
            let dir = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
            let dir_name = dir
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let (_, name) = name::split_dir_name(&dir_name);
            if let Err(e) = name::check_module_name(name) {
                return Err(vec![Finding::error(
                    definition::RULE,
                    &def_path,
                    format!(
                        "file not found: expected {} (and the folder name is no module name: {e})",
                        def_path.display()
                    ),
                )]);
            }
            ModuleDefinition {
                name: name.to_string(),
                ..Default::default()
            }
        };
        let values_key = name::values_key(&definition.name);
        let openapi = root.join("openapi");
        let read = |file: &str| -> Result<Option<Value>, Finding> {
            let path = openapi.join(file);
            schema::read_raw(&path).map_err(|e| {
                Finding::error(
                    "openapi/schema",
                    &path,
                    format!("invalid YAML: {}", e.message),
                )
                .at(e.pos)
            })
        };
        let mut findings = Vec::new();
        let config_raw = read("config-values.yaml").unwrap_or_else(|f| {
            findings.push(f);
            None
        });
        let values_raw = read("values.yaml").unwrap_or_else(|f| {
            findings.push(f);
            None
        });
        // addon-operator validates nothing it has no schema for: a module
        // without openapi/ schemas takes its values unchecked.
        let has_schemas = config_raw.is_some() || values_raw.is_some();
        let compile = |raw: &Value, parent: Option<&Value>, kind: SchemaKind, file: &str| {
            Schema::compile(schema::prepare(raw, parent, kind))
                .map_err(|e| Finding::error("openapi/schema", openapi.join(file), e))
        };
        let mut config_schema = None;
        if let Some(raw) = &config_raw {
            match compile(raw, None, SchemaKind::Config, "config-values.yaml") {
                Ok(s) => config_schema = Some(s),
                Err(f) => findings.push(f),
            }
        }
        let (mut values_schema, mut helm_schema) = (None, None);
        if has_schemas {
            // External modules get `registry` injected into their values schema by DKP.
            let mut values_raw = values_raw.unwrap_or_else(
                || json!({"type": "object", "x-extend": {"schema": "config-values.yaml"}}),
            );
            inject_registry(&mut values_raw, &Registry::placeholder(&definition.name));
            match compile(
                &values_raw,
                config_raw.as_ref(),
                SchemaKind::Values,
                "values.yaml",
            ) {
                Ok(s) => values_schema = Some(s),
                Err(f) => findings.push(f),
            }
            match compile(
                &values_raw,
                config_raw.as_ref(),
                SchemaKind::Helm,
                "values.yaml",
            ) {
                Ok(s) => helm_schema = Some(s),
                Err(f) => findings.push(f),
            }
        }
        // Static values as addon-operator layers them: the module's section
        // of `<modulesDir>/values.yaml`, then the module's own values.yaml.
        let common = read_common_values(root).unwrap_or_else(|f| {
            findings.push(f);
            Value::Object(Map::new())
        });
        let mut static_values = common
            .get(&values_key)
            .filter(|v| v.is_object())
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()));
        match read_static_values(root, &values_key) {
            Ok(own) => values::merge(&mut static_values, own),
            Err(f) => findings.push(f),
        }
        let common_global = common.get("global").filter(|v| v.is_object()).cloned();
        if !findings.is_empty() {
            return Err(findings);
        }
        let registry = has_schemas.then(|| Registry::placeholder(&definition.name));
        Ok(Module {
            root: root.to_path_buf(),
            definition,
            values_key,
            config_schema,
            values_schema,
            helm_schema,
            static_values,
            common_global,
            registry,
        })
    }

    /// Whether the module has OpenAPI schemas (`openapi/config-values.yaml`
    /// or `openapi/values.yaml`). Without them it is taken as addon-operator
    /// takes such a module: values unchecked, no registry injection.
    pub fn has_schemas(&self) -> bool {
        self.values_schema.is_some() || self.config_schema.is_some()
    }

    /// The module name.
    pub fn name(&self) -> &str {
        &self.definition.name
    }

    /// User settings with the config schema's defaults applied, validated.
    pub fn config_values(&self, settings: &Value) -> Result<Value, ValuesError> {
        let mut config = settings.clone();
        if config.is_null() {
            config = Value::Object(Map::new());
        }
        if let Some(s) = &self.config_schema {
            s.apply_defaults(&mut config);
            let violations = s.validate(&config);
            if !violations.is_empty() {
                return Err(ValuesError {
                    stage: "config",
                    violations,
                });
            }
        }
        Ok(config)
    }

    /// The module's effective values: defaults ⊕ static ⊕ validated
    /// settings ⊕ internal, validated against the values schema (and, when
    /// `for_helm`, the `x-required-for-helm` fields).
    pub fn module_values(
        &self,
        settings: &Value,
        internal: Option<&Value>,
        for_helm: bool,
    ) -> Result<Value, ValuesError> {
        let config = self.config_values(settings)?;
        let mut v = self.static_values.clone();
        if !v.is_object() {
            v = Value::Object(Map::new());
        }
        values::merge(&mut v, config);
        if let Some(i) = internal {
            values::merge(&mut v, i.clone());
        }
        if let Some(s) = &self.values_schema {
            s.apply_defaults(&mut v);
            // The platform's registry values win over whatever the module's
            // own schema default or static values say.
            if let (Some(r), Some(obj)) = (&self.registry, v.as_object_mut()) {
                obj.insert("registry".into(), r.to_value());
            }
            let violations = s.validate(&v);
            if !violations.is_empty() {
                return Err(ValuesError {
                    stage: "values",
                    violations,
                });
            }
        }
        if for_helm && let Some(s) = &self.helm_schema {
            let violations = s.validate(&v);
            if !violations.is_empty() {
                return Err(ValuesError {
                    stage: "helm",
                    violations,
                });
            }
        }
        Ok(v)
    }

    /// Values as templates see them: `{"global": {...}, "<valuesKey>": {...}}`.
    /// `global` is the documented DKP defaults with `global_overrides` merged in.
    pub fn template_values(
        &self,
        settings: &Value,
        internal: Option<&Value>,
        global_overrides: Option<&Value>,
        for_helm: bool,
    ) -> Result<Value, ValuesError> {
        let module = self.module_values(settings, internal, for_helm)?;
        Ok(self.values_document(self.global_values(global_overrides), module))
    }

    /// The global values this module's templates see: the documented DKP
    /// defaults, `overrides` merged in, and a digest for each of the
    /// module's images.
    pub fn global_values(&self, overrides: Option<&Value>) -> Value {
        let mut global = globals::default_globals();
        if let Some(g) = &self.common_global {
            values::merge(&mut global, g.clone());
        }
        if let Some(g) = overrides {
            values::merge(&mut global, g.clone());
        }
        self.add_image_digests(&mut global);
        global
    }

    /// `{"global": global, "<valuesKey>": module}`.
    pub fn values_document(&self, global: Value, module: Value) -> Value {
        let mut root = Map::new();
        root.insert("global".into(), global);
        root.insert(self.values_key.clone(), module);
        Value::Object(root)
    }

    /// Check module values changed after [`Module::module_values`] (by
    /// hooks' patches) against the values schema and, when `for_helm`, the
    /// `x-required-for-helm` fields.
    pub fn check_values(&self, values: &Value, for_helm: bool) -> Result<(), ValuesError> {
        let stages = [("values", &self.values_schema), ("helm", &self.helm_schema)];
        for (stage, schema) in stages.into_iter().take(if for_helm { 2 } else { 1 }) {
            if let Some(s) = schema {
                let violations = s.validate(values);
                if !violations.is_empty() {
                    return Err(ValuesError { stage, violations });
                }
            }
        }
        Ok(())
    }

    /// The module's static enabled flag, as addon-operator's `Static`
    /// extender reads it: `<valuesKey>Enabled` in `<modulesDir>/values.yaml`,
    /// then in the module's `values.yaml` (the later file wins); `None`
    /// when neither says.
    pub fn static_enabled(&self) -> Option<bool> {
        let key = format!("{}Enabled", self.values_key);
        let read = |path: &Path| -> Option<bool> {
            let text = std::fs::read_to_string(path).ok()?;
            goyaml::from_str(&text).ok()?.get(&key)?.as_bool()
        };
        let in_dir = self
            .root
            .parent()
            .and_then(|dir| read(&dir.join("values.yaml")));
        read(&self.root.join("values.yaml")).or(in_dir)
    }
}

impl Module {
    /// Without a build there are no image digests: give each `images/<dir>`
    /// a placeholder digest under `global.modulesImages.digests.<valuesKey>`
    /// (unless the user set one), so lib-helm's image helpers render.
    fn add_image_digests(&self, global: &mut Value) {
        let mut images: Vec<String> = std::fs::read_dir(self.root.join("images"))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter(|e| e.path().is_dir())
                    .map(|e| name::image_name(&e.file_name().to_string_lossy()))
                    .collect()
            })
            .unwrap_or_default();
        // Modules shipped without images/ (as in a source snapshot) still name
        // their images where templates call lib-helm: `(list . "name")`.
        let templates = self.root.join("templates");
        images.extend(referenced_images(&templates, "helm_lib_module_image"));
        images.sort();
        images.dedup();
        let mut wanted: Vec<(String, String)> = images
            .into_iter()
            .map(|i| (self.values_key.clone(), i))
            .collect();
        // The platform's common images the templates name literally; one
        // named through a variable is reported by the render, with the key.
        for helper in [
            "helm_lib_module_common_image",
            "helm_lib_module_common_image_no_fail",
        ] {
            wanted.extend(
                referenced_images(&templates, helper)
                    .into_iter()
                    .map(|i| ("common".to_string(), i)),
            );
        }
        for (owner, image) in wanted {
            let ptr = format!("/modulesImages/digests/{owner}/{image}");
            if global.pointer(&ptr).is_none() {
                let mut entry =
                    json!({"modulesImages": {"digests": {owner: {image: PLACEHOLDER_DIGEST}}}});
                values::merge(&mut entry, global.clone());
                *global = entry;
            }
        }
    }
}

/// Image names passed to the lib-helm image helper `helper` in templates.
fn referenced_images(dir: &Path, helper: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            out.extend(referenced_images(&p, helper));
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let quoted = format!("\"{helper}\"");
        for (i, _) in text.match_indices(&quoted) {
            let rest = &text[i..text[i..].find('\n').map_or(text.len(), |n| i + n)];
            if let Some(l) = rest.find("(list .") {
                let after = &rest[l + 7..];
                if let Some(q) = after.find('"')
                    && let Some(end) = after[q + 1..].find('"')
                {
                    out.push(after[q + 1..q + 1 + end].to_string());
                }
            }
        }
    }
    out
}

/// The digest deckmod assumes for images it has not built.
pub const PLACEHOLDER_DIGEST: &str =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// DKP's registry injection for downloaded modules (module-layout §5.3):
/// `properties.registry` with defaults `base`, `dockercfg`, `scheme`, `ca`,
/// replacing whatever the module's schema says of `registry`.
fn inject_registry(values_schema: &mut Value, registry: &Registry) {
    let Some(obj) = values_schema.as_object_mut() else {
        return;
    };
    let props = obj
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(p) = props.as_object_mut() {
        p.insert(
            "registry".into(),
            json!({
                "type": "object",
                "default": {},
                "properties": {
                    "base": {"type": "string", "default": registry.base},
                    "dockercfg": {"type": "string", "default": registry.dockercfg},
                    "scheme": {"type": "string", "default": registry.scheme},
                    "ca": {"type": "string", "default": registry.ca}
                }
            }),
        );
    }
}

/// `<modulesDir>/values.yaml`, addon-operator's common static values
/// (`global:` and a section per module); empty when the file is absent.
fn read_common_values(root: &Path) -> Result<Value, Finding> {
    let dir = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let Some(path) = dir.parent().map(|p| p.join("values.yaml")) else {
        return Ok(Value::Object(Map::new()));
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Value::Object(Map::new())),
        Err(e) => {
            return Err(Finding::error(
                "module/values",
                &path,
                format!("cannot read: {e}"),
            ));
        }
    };
    match goyaml::from_str(&text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Ok(Value::Object(Map::new())),
        Err(e) => Err(Finding::error(
            "module/values",
            &path,
            format!("invalid YAML: {}", e.message),
        )
        .at(e.pos)),
    }
}

/// The module's static `values.yaml` (addon-operator style: the module's
/// values under its values key; a file without that key is taken whole).
fn read_static_values(root: &Path, key: &str) -> Result<Value, Finding> {
    let path = root.join("values.yaml");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Value::Object(Map::new())),
        Err(e) => {
            return Err(Finding::error(
                "module/values",
                &path,
                format!("cannot read: {e}"),
            ));
        }
    };
    let v = goyaml::from_str(&text).map_err(|e| {
        Finding::error(
            "module/values",
            &path,
            format!("invalid YAML: {}", e.message),
        )
        .at(e.pos)
    })?;
    Ok(match v {
        Value::Null => Value::Object(Map::new()),
        Value::Object(mut m) if m.contains_key(key) => m.remove(key).unwrap_or_default(),
        other @ Value::Object(_) => other,
        other => {
            return Err(Finding::error(
                "module/values",
                &path,
                format!(
                    "expected a mapping of values, found {}",
                    serde_json::to_string(&other).unwrap_or_default()
                ),
            ));
        }
    })
}

#[cfg(test)]
mod registry_tests {
    use super::Registry;

    #[test]
    fn an_anonymous_source_gets_an_empty_auth_entry_for_its_host() {
        let r = Registry::for_source("reg.corp:5000/dkp/modules/", "echo", "", "http", "");
        assert_eq!(r.base, "reg.corp:5000/dkp/modules/echo");
        use base64::Engine as _;
        let cfg = base64::engine::general_purpose::STANDARD
            .decode(&r.dockercfg)
            .unwrap();
        assert_eq!(
            String::from_utf8(cfg).unwrap(),
            r#"{"auths":{"reg.corp:5000":{}}}"#
        );
        let given = Registry::for_source("reg.corp/m", "echo", "e30=", "https", "CA");
        assert_eq!(
            (given.dockercfg.as_str(), given.ca.as_str()),
            ("e30=", "CA")
        );
    }
}
