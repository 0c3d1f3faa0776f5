//! Argo CD config management plugin settings (reference ecosystem.md §1.1), resolved from
//! the variables the CMP server sets, as a pure function of that environment. A plugin
//! parameter (`ARGOCD_APP_PARAMETERS`, or `PARAM_<NAME>` when that is absent) wins over a
//! plugin env entry (`ARGOCD_ENV_<NAME>`):
//! - `namespace` / `NAMESPACE`: the namespace for specs without one. It defaults to the
//!   Application's destination namespace, `ARGOCD_APP_NAMESPACE`.
//! - `defaults` / `DEFAULTS`: an operator-defaults file, given relative to the app directory. It
//!   may point elsewhere in the repository (`../shared/defaults.yaml`) but not outside it, and it
//!   may not be an absolute path.
//! - `references` / `REFERENCES`: the specs of session clusters rendered elsewhere (another
//!   Application), comma-separated (or a parameter of type array), each a file or directory
//!   given as `defaults` is: read and checked so that session jobs find their cluster, never
//!   rendered.
//! - `omitted-mode` / `OMITTED_MODE`: how a FlinkDeployment without `spec.mode` is rendered,
//!   `native` (the default, as the operator deploys it) or `standalone` (every pod declared).
//!
//! `flink-render argocd` is the shell that reads the environment and the app directory; it
//! refuses any file (a spec, or the defaults file) whose real path, symlinks resolved, lies
//! outside the repository.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::effective::DeploymentMode;

/// The parameters (and plugin env entries) the plugin understands.
pub const PARAMETERS: [&str; 4] = ["namespace", "defaults", "references", "omitted-mode"];

/// A parameter's name as a variable name (`PARAM_<NAME>`, `ARGOCD_ENV_<NAME>`).
fn variable(name: &str) -> String {
    name.to_uppercase().replace('-', "_")
}

/// The plugin's settings, read from the variables the CMP server sets.
#[derive(Debug, Default, PartialEq)]
pub struct Settings {
    /// The namespace for specs without one.
    pub namespace: Option<String>,
    /// The defaults file, relative to the app directory and normalised.
    pub defaults: Option<PathBuf>,
    /// Reference specs (files or directories), relative to the app directory and normalised.
    pub references: Vec<PathBuf>,
    /// How a FlinkDeployment without `spec.mode` is rendered, when set.
    pub omitted_mode: Option<DeploymentMode>,
    /// Problems worth a warning (unknown env entries).
    pub warnings: Vec<String>,
    /// How many directories the app directory lies below the repository root
    /// (`ARGOCD_APP_SOURCE_PATH`): what is read must resolve inside that root.
    pub app_depth: usize,
}

impl Settings {
    /// Resolve the settings from the environment variables the CMP server sets.
    pub fn from_environment(environment: &BTreeMap<String, String>) -> Result<Settings, String> {
        let parameters = parameters(environment)?;
        let setting = |name: &str| {
            parameters
                .get(name)
                .or_else(|| environment.get(&format!("ARGOCD_ENV_{}", variable(name))))
                .filter(|value| !value.is_empty())
                .cloned()
        };
        let namespace = setting("namespace")
            .or_else(|| environment.get("ARGOCD_APP_NAMESPACE").filter(|ns| !ns.is_empty()).cloned());
        let app_depth = environment.get("ARGOCD_APP_SOURCE_PATH").map_or(0, |path| depth(Path::new(path)));
        let defaults =
            setting("defaults").map(|path| repository_path("defaults file", &path, app_depth)).transpose()?;
        let references = setting("references")
            .iter()
            .flat_map(|list| list.split(',').map(str::trim).filter(|path| !path.is_empty()))
            .map(|path| repository_path("reference", path, app_depth))
            .collect::<Result<_, _>>()?;
        let omitted_mode = setting("omitted-mode")
            .map(|mode| {
                DeploymentMode::parse(&mode)
                    .ok_or_else(|| format!("omitted-mode must be `native` or `standalone`, not `{mode}`"))
            })
            .transpose()?;
        let warnings = environment
            .keys()
            .filter_map(|key| key.strip_prefix("ARGOCD_ENV_"))
            .filter(|name| !PARAMETERS.iter().any(|known| variable(known) == *name))
            .map(|name| {
                format!(
                    "plugin env entry {name} (ARGOCD_ENV_{name}) is not a flink-render setting; the settings are {}",
                    PARAMETERS.map(variable).join(", ")
                )
            })
            .collect();
        Ok(Settings { namespace, defaults, references, omitted_mode, warnings, app_depth })
    }
}

/// The Application's plugin parameters by name. `ARGOCD_APP_PARAMETERS` (JSON) is read when
/// set; otherwise the `PARAM_<NAME>` variables (set by hand, or by an older Argo CD).
fn parameters(environment: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, String> {
    let Some(json) = environment.get("ARGOCD_APP_PARAMETERS") else {
        return Ok(PARAMETERS
            .iter()
            .filter_map(|name| {
                let value = environment.get(&format!("PARAM_{}", variable(name)))?;
                Some((name.to_string(), value.clone()))
            })
            .collect());
    };
    let parsed: Value =
        serde_json::from_str(json).map_err(|error| format!("ARGOCD_APP_PARAMETERS is not JSON: {error}"))?;
    let mut parameters = BTreeMap::new();
    for parameter in parsed.as_array().map(Vec::as_slice).unwrap_or_default() {
        let name = parameter.get("name").and_then(Value::as_str).unwrap_or_default();
        if !PARAMETERS.contains(&name) {
            return Err(format!(
                "unknown plugin parameter `{name}`; flink-render's parameters are {}",
                PARAMETERS.join(", ")
            ));
        }
        let value = match (parameter.get("string").and_then(Value::as_str), parameter.get("array")) {
            (Some(value), _) => value.to_string(),
            (None, Some(Value::Array(values))) if name == "references" && values.iter().all(Value::is_string) => {
                values.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")
            }
            _ if name == "references" => {
                return Err(format!("plugin parameter `{name}` must be a string or an array of strings"));
            }
            _ => return Err(format!("plugin parameter `{name}` must be a string (not an array or a map)")),
        };
        parameters.insert(name.to_string(), value);
    }
    Ok(parameters)
}

/// Check and normalise the path of a file the settings name (`what`). `..` may climb at most
/// `app_depth` levels: up to the repository root that Argo CD copied, never into the plugin's
/// own filesystem.
fn repository_path(what: &str, path: &str, app_depth: usize) -> Result<PathBuf, String> {
    let given = Path::new(path);
    if given.is_absolute() {
        return Err(format!("the {what} `{path}` must be relative to the app directory, not an absolute path"));
    }
    let mut normalised = PathBuf::new();
    let mut climbed = 0;
    for component in given.components() {
        match component {
            Component::ParentDir if normalised.file_name().is_some() && !normalised.ends_with("..") => {
                normalised.pop();
            }
            Component::ParentDir => {
                climbed += 1;
                if climbed > app_depth {
                    return Err(format!("the {what} `{path}` lies outside the repository"));
                }
                normalised.push("..");
            }
            Component::Normal(part) => normalised.push(part),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Ok(normalised)
}

/// Number of directory levels in the app's path inside the repository (`apps/flink` → 2).
fn depth(path: &Path) -> usize {
    path.components().filter(|component| matches!(component, Component::Normal(_))).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environment(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect()
    }

    #[test]
    fn namespace_defaults_to_the_destination_namespace() {
        let settings = Settings::from_environment(&environment(&[("ARGOCD_APP_NAMESPACE", "streaming")])).unwrap();
        assert_eq!(settings.namespace.as_deref(), Some("streaming"));
    }

    #[test]
    fn parameter_wins_over_env_entry_wins_over_destination() {
        let both = environment(&[
            ("ARGOCD_APP_NAMESPACE", "destination"),
            ("ARGOCD_ENV_NAMESPACE", "from-env"),
            ("ARGOCD_APP_PARAMETERS", r#"[{"name":"namespace","string":"from-parameter"}]"#),
        ]);
        assert_eq!(Settings::from_environment(&both).unwrap().namespace.as_deref(), Some("from-parameter"));
        let env_only = environment(&[("ARGOCD_APP_NAMESPACE", "destination"), ("ARGOCD_ENV_NAMESPACE", "from-env")]);
        assert_eq!(Settings::from_environment(&env_only).unwrap().namespace.as_deref(), Some("from-env"));
    }

    #[test]
    fn param_variables_are_read_when_the_json_is_absent() {
        let settings = Settings::from_environment(&environment(&[("PARAM_DEFAULTS", "./d.yaml")])).unwrap();
        assert_eq!(settings.defaults, Some(PathBuf::from("d.yaml")));
    }

    #[test]
    fn null_parameters_mean_none() {
        let settings = Settings::from_environment(&environment(&[("ARGOCD_APP_PARAMETERS", "null")])).unwrap();
        assert_eq!(settings, Settings::default());
    }

    #[test]
    fn unknown_or_non_string_parameters_are_errors() {
        let unknown = environment(&[("ARGOCD_APP_PARAMETERS", r#"[{"name":"namespac","string":"x"}]"#)]);
        assert!(Settings::from_environment(&unknown).unwrap_err().contains("unknown plugin parameter `namespac`"));
        let map = environment(&[("ARGOCD_APP_PARAMETERS", r#"[{"map":{"a":"b"},"name":"defaults"}]"#)]);
        assert!(Settings::from_environment(&map).unwrap_err().contains("must be a string"));
    }

    #[test]
    fn omitted_mode_from_a_parameter_or_an_env_entry() {
        let parameter = environment(&[("ARGOCD_APP_PARAMETERS", r#"[{"name":"omitted-mode","string":"standalone"}]"#)]);
        assert_eq!(Settings::from_environment(&parameter).unwrap().omitted_mode, Some(DeploymentMode::Standalone));
        let entry = environment(&[("ARGOCD_ENV_OMITTED_MODE", "native")]);
        let settings = Settings::from_environment(&entry).unwrap();
        assert_eq!((settings.omitted_mode, settings.warnings.len()), (Some(DeploymentMode::Native), 0));
        let param = environment(&[("PARAM_OMITTED_MODE", "standalone")]);
        assert_eq!(Settings::from_environment(&param).unwrap().omitted_mode, Some(DeploymentMode::Standalone));
        let bad = environment(&[("ARGOCD_ENV_OMITTED_MODE", "Native")]);
        assert!(Settings::from_environment(&bad).unwrap_err().contains("`native` or `standalone`, not `Native`"));
    }

    #[test]
    fn unknown_env_entries_are_warnings() {
        let settings = Settings::from_environment(&environment(&[("ARGOCD_ENV_NAMESPCE", "x")])).unwrap();
        assert_eq!(settings.warnings.len(), 1);
        assert!(settings.warnings[0].contains("NAMESPCE"));
    }

    #[test]
    fn references_are_a_list_inside_the_repository() {
        let settings = Settings::from_environment(&environment(&[
            ("ARGOCD_APP_SOURCE_PATH", "apps/jobs"),
            ("ARGOCD_ENV_REFERENCES", "../cluster/flinkdeployment.yaml, ../other/"),
        ]))
        .unwrap();
        assert_eq!(settings.references, [PathBuf::from("../cluster/flinkdeployment.yaml"), PathBuf::from("../other")]);
        let array = environment(&[
            ("ARGOCD_APP_SOURCE_PATH", "apps/jobs"),
            ("ARGOCD_APP_PARAMETERS", r#"[{"name":"references","array":["../cluster/a.yaml","../cluster/b.yaml"]}]"#),
        ]);
        assert_eq!(Settings::from_environment(&array).unwrap().references.len(), 2);
        let outside =
            environment(&[("ARGOCD_APP_SOURCE_PATH", "jobs"), ("ARGOCD_ENV_REFERENCES", "../../cluster.yaml")]);
        assert!(
            Settings::from_environment(&outside)
                .unwrap_err()
                .contains("the reference `../../cluster.yaml` lies outside")
        );
    }

    #[test]
    fn defaults_path_stays_inside_the_repository() {
        assert_eq!(repository_path("defaults file", "../shared/d.yaml", 2).unwrap(), PathBuf::from("../shared/d.yaml"));
        assert_eq!(repository_path("defaults file", "conf/../d.yaml", 0).unwrap(), PathBuf::from("d.yaml"));
        assert!(
            repository_path("defaults file", "../../../etc/passwd", 2).unwrap_err().contains("outside the repository")
        );
        assert!(repository_path("defaults file", "../d.yaml", 0).is_err());
        assert!(repository_path("defaults file", "/etc/passwd", 5).unwrap_err().contains("absolute"));
    }
}
