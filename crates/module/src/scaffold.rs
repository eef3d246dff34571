//! `deckmod init`: a complete DKP module that passes the linter as created.

use std::path::{Path, PathBuf};

use crate::name;

/// One file of the scaffold.
struct ScaffoldFile {
    path: &'static str,
    contents: String,
    executable: bool,
}

/// Write a new module called `module_name` into `dir` (which must not exist
/// or be empty). Returns the files written.
pub fn create(module_name: &str, dir: &Path) -> Result<Vec<PathBuf>, String> {
    name::check_module_name(module_name)?;
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .next()
            .is_some()
    {
        return Err(format!("{} exists and is not empty", dir.display()));
    }
    let mut written = Vec::new();
    for f in files(module_name) {
        let path = dir.join(f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &f.contents).map_err(|e| format!("{}: {e}", path.display()))?;
        #[cfg(unix)]
        if f.executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        written.push(path);
    }
    Ok(written)
}

fn files(n: &str) -> Vec<ScaffoldFile> {
    let key = name::values_key(n);
    let f = |path, contents: String| ScaffoldFile {
        path,
        contents,
        executable: false,
    };
    vec![
        f(
            "module.yaml",
            format!(
                "name: {n}\nstage: Experimental\nnamespace: d8-{n}\nsubsystems:\n  - demo\ndescriptions:\n  en: The {n} module.\n  ru: Модуль {n}.\nrequirements:\n  deckhouse: \">= 1.68\"\n"
            ),
        ),
        f("Chart.yaml", format!("apiVersion: v2\nname: {n}\nversion: 0.0.1\n")),
        f(
            ".helmignore",
            "crds\ndocs\nenabled\nhooks\nimages\nlib\nopenapi\n*.md\nwerf*.yaml\noss.yaml\n".to_string(),
        ),
        f("oss.yaml", "[]\n".to_string()),
        f(
            "openapi/config-values.yaml",
            "type: object\nproperties:\n  replicas:\n    type: integer\n    minimum: 1\n    default: 1\n    description: How many replicas of the server to run.\n    x-examples: [1, 3]\n  message:\n    type: string\n    default: Hello from deckmod\n    description: What the server answers.\n".to_string(),
        ),
        f(
            "openapi/values.yaml",
            "x-extend:\n  schema: config-values.yaml\ntype: object\nproperties:\n  internal:\n    type: object\n    default: {}\n    properties:\n      startedAt:\n        type: string\n".to_string(),
        ),
        f(
            "templates/deployment.yaml",
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {n}\n  namespace: d8-{n}\n  labels:\n    app: {n}\n    module: {n}\n    heritage: deckhouse\nspec:\n  replicas: {{{{ .Values.{key}.replicas }}}}\n  revisionHistoryLimit: 2\n  selector:\n    matchLabels:\n      app: {n}\n  template:\n    metadata:\n      labels:\n        app: {n}\n    spec:\n      priorityClassName: cluster-low\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 64535\n        runAsGroup: 64535\n        seccompProfile:\n          type: RuntimeDefault\n      containers:\n        - name: server\n          # The image built from images/server, by digest, as lib-helm's helm_lib_module_image writes it.\n          image: {{{{ .Values.{key}.registry.base }}}}@{{{{ .Values.global.modulesImages.digests.{key}.server }}}}\n          args: [\"-text={{{{ .Values.{key}.message }}}}\"]\n          ports:\n            - name: http\n              containerPort: 5678\n          securityContext:\n            readOnlyRootFilesystem: true\n            allowPrivilegeEscalation: false\n            capabilities:\n              drop: [ALL]\n          resources:\n            requests:\n              cpu: 10m\n              memory: 16Mi\n              ephemeral-storage: 10Mi\n          livenessProbe:\n            httpGet: {{path: /, port: http}}\n          readinessProbe:\n            httpGet: {{path: /, port: http}}\n"
            ),
        ),
        f(
            "images/server/Dockerfile",
            "ARG BASE_DISTROLESS\nFROM $BASE_DISTROLESS\nCOPY http-echo /http-echo\nENTRYPOINT [\"/http-echo\"]\n".to_string(),
        ),
        ScaffoldFile {
            path: "hooks/startup.sh",
            contents: format!(
                "#!/usr/bin/env bash\n# Runs once when the module starts: records the start time in internal values.\nset -euo pipefail\nif [ \"${{1:-}}\" = \"--config\" ]; then\n  echo '{{\"configVersion\":\"v1\",\"onStartup\":10}}'\n  exit 0\nfi\nprintf '[{{\"op\":\"add\",\"path\":\"/{key}/internal/startedAt\",\"value\":\"%s\"}}]\\n' \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\" >\"$VALUES_JSON_PATCH_PATH\"\n"
            ),
            executable: true,
        },
        f("docs/README.md", format!("# {n}\n\nThe {n} module. Settings: `replicas`, `message` (see openapi/config-values.yaml).\n")),
        f("docs/README.ru.md", format!("# {n}\n\nМодуль {n}. Параметры: `replicas`, `message`.\n")),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn scaffold_lints_clean_and_has_values() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("demo");
        super::create("demo", &root).unwrap();
        let report = crate::lint::lint_module(&root);
        assert!(report.findings.is_empty(), "{:#?}", report.findings);
        let m = crate::Module::load(&root).unwrap();
        let v = m
            .template_values(&serde_json::json!({}), None, None, true)
            .unwrap();
        assert_eq!(v["demo"]["replicas"], 1);
        assert_eq!(v["demo"]["internal"], serde_json::json!({}));
        assert!(
            super::create("demo", &root)
                .unwrap_err()
                .contains("not empty")
        );
        assert!(super::create("Bad_Name", &dir.path().join("x")).is_err());
    }
}
