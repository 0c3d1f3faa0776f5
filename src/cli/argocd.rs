//! `flink-render argocd`: the `generate` (and `discover`) command of the Argo CD config
//! management plugin, sidecar style (reference ecosystem.md §1.1; `deploy/argocd/plugin.yaml`).
//!
//! The CMP server runs it in a fresh copy of the repository, with the Application's path as the
//! working directory and no stdin. It renders every FlinkDeployment and FlinkSessionJob under
//! that directory and passes the other objects through. stdout carries the YAML stream and
//! nothing else.
//!
//! **Files read.** The directory tree is walked recursively, each directory's entries in
//! byte order of their names. Only `*.yaml`, `*.yml` and `*.json` files are read. Hidden files
//! and directories (`.git`, Argo CD's `.argocd-source-<app>.yaml`) are skipped. So is the
//! defaults file itself. Symlinked files are read, but symlinked directories are not followed,
//! because they could loop. A `kustomization.yaml` is an error: such a directory belongs to
//! Argo CD's kustomize, where `flink-render krm` is the function to use.
//!
//! **Settings.** A plugin parameter (`ARGOCD_APP_PARAMETERS`, or `PARAM_<NAME>` when that is
//! absent) wins over a plugin env entry (`ARGOCD_ENV_<NAME>`):
//! - `namespace` / `NAMESPACE`: the namespace for specs without one. It defaults to the
//!   Application's destination namespace, `ARGOCD_APP_NAMESPACE`.
//! - `defaults` / `DEFAULTS`: an operator-defaults file, given relative to the app directory. It
//!   may point elsewhere in the repository (`../shared/defaults.yaml`) but not outside it, and it
//!   may not be an absolute path.
//!
//! **Failure is never empty.** Argo CD treats empty output as "the app has no resources" and,
//! with auto-prune, deletes everything. So any error exits non-zero with the message on stderr
//! and nothing on stdout. This includes an app with no Flink resources, and one whose Flink
//! resources render to nothing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

use flink_render::parse::document::{Node, parse_stream};
use flink_render::to_yaml;

use super::{CommonArgs, INVALID_INPUT, compile_paths, inputs, io_error, print_text_diagnostics, write_stdout};

/// Options of `flink-render argocd` (everything else comes from the environment).
#[derive(clap::Args)]
pub struct ArgocdArgs {
    /// Only list the files that hold a FlinkDeployment or FlinkSessionJob, then exit 0: the
    /// plugin's `discover` command (the app matches when the list is not empty).
    #[arg(long)]
    discover: bool,
}

/// The parameters (and plugin env entries) the plugin understands.
const PARAMETERS: [&str; 2] = ["namespace", "defaults"];

/// Render the app directory (the working directory) for Argo CD.
pub fn run(args: ArgocdArgs) -> ExitCode {
    let environment: BTreeMap<String, String> = std::env::vars().collect();
    let settings = match Settings::from_environment(&environment) {
        Ok(settings) => settings,
        Err(message) => return invalid(&message),
    };
    let files = match spec_files(Path::new("")) {
        Ok(files) => files,
        Err(message) => return io_error(&message),
    };
    let files: Vec<PathBuf> = files.into_iter().filter(|file| Some(file) != settings.defaults.as_ref()).collect();
    if args.discover {
        return discover(&files);
    }
    for warning in &settings.warnings {
        eprintln!("warning: {warning}");
    }
    if let Some(kustomization) = files.iter().find(|file| is_kustomization(file)) {
        return invalid(&format!(
            "{} makes this a kustomize directory; let Argo CD's kustomize build it and use `flink-render krm` as its function",
            kustomization.display()
        ));
    }
    let common = CommonArgs { paths: files, namespace: settings.namespace, defaults: settings.defaults };
    let run = match compile_paths(&common) {
        Ok(run) => run,
        Err(code) => return code,
    };
    print_text_diagnostics(run.compiled.diagnostics.iter(), &run.sources);
    if run.compiled.diagnostics.has_errors() {
        return ExitCode::from(INVALID_INPUT);
    }
    if !run.sources.iter().any(|(_, text)| holds_flink_resource(text)) {
        return invalid(
            "no FlinkDeployment or FlinkSessionJob in the app directory; refusing to render, since an empty or Flink-less output could make Argo CD prune the app",
        );
    }
    if run.compiled.objects.is_empty() {
        return invalid(
            "the app's Flink resources render to no objects; refusing an empty output, which would make Argo CD prune every resource of the app",
        );
    }
    write_stdout(&to_yaml(&run.compiled.objects))
}

fn invalid(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(INVALID_INPUT)
}

/// `--discover`: print the files holding Flink resources, one per line.
fn discover(files: &[PathBuf]) -> ExitCode {
    let loaded = match inputs::load(files) {
        Ok(loaded) => loaded,
        Err(error) => return io_error(&error.0),
    };
    let matches: String = loaded
        .iter()
        .filter(|input| input.text.as_deref().is_ok_and(holds_flink_resource))
        .map(|input| format!("{}\n", input.name))
        .collect();
    write_stdout(&matches)
}

/// The plugin's settings, read from the variables the CMP server sets.
#[derive(Debug, Default, PartialEq)]
struct Settings {
    namespace: Option<String>,
    /// The defaults file, relative to the app directory and normalised.
    defaults: Option<PathBuf>,
    warnings: Vec<String>,
}

impl Settings {
    fn from_environment(environment: &BTreeMap<String, String>) -> Result<Settings, String> {
        let parameters = parameters(environment)?;
        let setting = |name: &str| {
            parameters
                .get(name)
                .or_else(|| environment.get(&format!("ARGOCD_ENV_{}", name.to_uppercase())))
                .filter(|value| !value.is_empty())
                .cloned()
        };
        let namespace = setting("namespace")
            .or_else(|| environment.get("ARGOCD_APP_NAMESPACE").filter(|ns| !ns.is_empty()).cloned());
        let app_depth = environment.get("ARGOCD_APP_SOURCE_PATH").map_or(0, |path| depth(Path::new(path)));
        let defaults = setting("defaults").map(|path| defaults_path(&path, app_depth)).transpose()?;
        let warnings = environment
            .keys()
            .filter_map(|key| key.strip_prefix("ARGOCD_ENV_"))
            .filter(|name| !PARAMETERS.iter().any(|known| known.to_uppercase() == *name))
            .map(|name| {
                format!(
                    "plugin env entry {name} (ARGOCD_ENV_{name}) is not a flink-render setting; the settings are {}",
                    PARAMETERS.map(str::to_uppercase).join(", ")
                )
            })
            .collect();
        Ok(Settings { namespace, defaults, warnings })
    }
}

/// The Application's plugin parameters by name. `ARGOCD_APP_PARAMETERS` (JSON) is read when
/// set; otherwise the `PARAM_<NAME>` variables (set by hand, or by an older Argo CD).
fn parameters(environment: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, String> {
    let Some(json) = environment.get("ARGOCD_APP_PARAMETERS") else {
        return Ok(PARAMETERS
            .iter()
            .filter_map(|name| {
                let value = environment.get(&format!("PARAM_{}", name.to_uppercase()))?;
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
        let Some(value) = parameter.get("string").and_then(Value::as_str) else {
            return Err(format!("plugin parameter `{name}` must be a string (not an array or a map)"));
        };
        parameters.insert(name.to_string(), value.to_string());
    }
    Ok(parameters)
}

/// Check and normalise the defaults path. `..` may climb at most `app_depth` levels: up to
/// the repository root that Argo CD copied, never into the plugin's own filesystem.
fn defaults_path(path: &str, app_depth: usize) -> Result<PathBuf, String> {
    let given = Path::new(path);
    if given.is_absolute() {
        return Err(format!("the defaults file `{path}` must be relative to the app directory, not an absolute path"));
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
                    return Err(format!("the defaults file `{path}` lies outside the repository"));
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

/// Every `*.yaml`, `*.yml` and `*.json` under `dir`, recursively, in the order documented above.
fn spec_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let shown = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let read = |error: std::io::Error| format!("cannot read directory {}: {error}", shown.display());
    let mut entries = fs::read_dir(shown).map_err(read)?.collect::<Result<Vec<_>, _>>().map_err(read)?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = dir.join(&name);
        let file_type = entry.file_type().map_err(read)?;
        if file_type.is_dir() {
            walk(&path, files)?;
        } else if (file_type.is_file() || (file_type.is_symlink() && path.is_file()))
            && (is_spec_file(&path) || is_kustomization(&path))
        {
            files.push(path);
        }
    }
    Ok(())
}

fn is_spec_file(path: &Path) -> bool {
    matches!(path.extension().and_then(|extension| extension.to_str()), Some("yaml" | "yml" | "json"))
}

fn is_kustomization(path: &Path) -> bool {
    matches!(
        path.file_name().and_then(|name| name.to_str()),
        Some("kustomization.yaml" | "kustomization.yml" | "Kustomization")
    )
}

/// Whether a text holds a FlinkDeployment or FlinkSessionJob document. Text that does not
/// parse counts as Flink-less here; compiling it reports the syntax error.
fn holds_flink_resource(text: &str) -> bool {
    parse_stream(text).is_ok_and(|documents| {
        documents.iter().any(|document| {
            matches!(document.get("kind").and_then(Node::as_str), Some("FlinkDeployment" | "FlinkSessionJob"))
        })
    })
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
    fn unknown_env_entries_are_warnings() {
        let settings = Settings::from_environment(&environment(&[("ARGOCD_ENV_NAMESPCE", "x")])).unwrap();
        assert_eq!(settings.warnings.len(), 1);
        assert!(settings.warnings[0].contains("NAMESPCE"));
    }

    #[test]
    fn defaults_path_stays_inside_the_repository() {
        assert_eq!(defaults_path("../shared/d.yaml", 2).unwrap(), PathBuf::from("../shared/d.yaml"));
        assert_eq!(defaults_path("conf/../d.yaml", 0).unwrap(), PathBuf::from("d.yaml"));
        assert!(defaults_path("../../../etc/passwd", 2).unwrap_err().contains("outside the repository"));
        assert!(defaults_path("../d.yaml", 0).is_err());
        assert!(defaults_path("/etc/passwd", 5).unwrap_err().contains("absolute"));
    }
}
