//! `ConfigMap <owner>-scripts-<hash>`: the lifecycle scripts as files (DESIGN §5), one
//! ConfigMap per application cluster (its hand-over and its savepoint Job) and one per session
//! job (its Jobs), mounted read-only at [`DIR`] wherever a script runs. A pod spec or hook then
//! holds one short line (the step's settings and the file it runs), not pages of bash.
//!
//! Each file is a script of `scripts/` without its comment lines and blank lines (the commented
//! files are in the repository; the scripts hold no here-documents or multi-line strings a
//! dropped line could belong to); a step first sources `common.sh` and the library its
//! `# library:` line names, which are files of the same ConfigMap. The content depends on
//! nothing but the build, and the name carries a hash of it: scripts that change (a new
//! flink-render) name another ConfigMap, so the pod templates that mount it change, the pods
//! roll, the revision changes ([`crate::emit::revision`]) and so do the lifecycle Jobs' names,
//! while the pods of the old revision keep the scripts they started with through the
//! hand-over. It is immutable, as a ConfigMap named by its content can be; the one an earlier
//! flink-render wrote is left for the tool that applies to prune (Argo CD, Helm and
//! `kubectl apply --prune` do; plain `kubectl apply` leaves it, as it does kustomize's hashed
//! ConfigMaps).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::digest::fnv1a_hex;
use crate::emit::common::{common_labels, metadata};
use crate::resolve::model::Cluster;

/// The volume's name in every pod that runs a script.
pub const VOLUME: &str = "flink-render-scripts";
/// Where it is mounted.
pub const DIR: &str = "/flink-render/scripts";

/// How a script runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Sourced by the steps (`common.sh`, and `steps.sh` or `revision.sh`).
    Library,
    /// A step: runs after `common.sh` and the library it names.
    Step,
    /// Runs by itself (the JobManager's start wrapper, which only reads the hand-over's result).
    Alone,
}

/// A lifecycle script: its file name and its text in the repository.
#[derive(Clone, Copy)]
pub struct Script {
    /// The file name, in `scripts/` and in the ConfigMap.
    pub file: &'static str,
    text: &'static str,
    role: Role,
}

/// A [`Script`] of `scripts/<file>` with its role.
macro_rules! script {
    ($file:literal, $role:ident) => {
        Script { file: $file, text: include_str!(concat!("scripts/", $file)), role: Role::$role }
    };
}

/// Shared by every step.
pub const COMMON: Script = script!("common.sh", Library);
/// The library of the JobManager's hand-over and the lifecycle Jobs.
pub const STEPS: Script = script!("steps.sh", Library);
/// The library of the TaskManagers' side of the hand-over.
pub const REVISION: Script = script!("revision.sh", Library);
/// The JobManager's init container.
pub const HANDOFF: Script = script!("handoff.sh", Step);
/// The JobManager's start wrapper.
pub const START: Script = script!("start.sh", Alone);
/// The TaskManager's init container.
pub const AWAIT: Script = script!("await.sh", Step);
/// The TaskManager's wrapper.
pub const SERVE: Script = script!("serve.sh", Step);
/// The TaskManager's preStop hook.
pub const RELEASE: Script = script!("release.sh", Step);
/// The savepoint Job.
pub const SAVEPOINT: Script = script!("savepoint.sh", Step);
/// A session job's submit Job.
pub const SUBMIT: Script = script!("submit.sh", Step);
/// A session job's stop Job.
pub const STOP: Script = script!("stop.sh", Step);

/// The libraries a step may name.
const LIBRARIES: [Script; 2] = [STEPS, REVISION];

/// The files of an application cluster's ConfigMap.
const CLUSTER_FILES: [Script; 9] = [COMMON, STEPS, REVISION, HANDOFF, START, AWAIT, SERVE, RELEASE, SAVEPOINT];
/// The files of a session job's ConfigMap.
const SESSION_JOB_FILES: [Script; 5] = [COMMON, STEPS, SUBMIT, SAVEPOINT, STOP];

/// Whose scripts a ConfigMap holds.
#[derive(Clone, Copy)]
pub enum Owner {
    /// An application cluster's.
    Cluster,
    /// A session job's.
    SessionJob,
}

/// A ConfigMap's files by name, and the hash its name carries.
struct Files {
    data: BTreeMap<String, String>,
    hash: String,
}

/// The files of `owner`'s ConfigMap, built once per process.
fn files(owner: Owner) -> &'static Files {
    static CLUSTER: OnceLock<Files> = OnceLock::new();
    static SESSION_JOB: OnceLock<Files> = OnceLock::new();
    let (cell, scripts) = match owner {
        Owner::Cluster => (&CLUSTER, &CLUSTER_FILES[..]),
        Owner::SessionJob => (&SESSION_JOB, &SESSION_JOB_FILES[..]),
    };
    cell.get_or_init(|| {
        let data: BTreeMap<String, String> =
            scripts.iter().map(|script| (script.file.to_string(), file_text(*script))).collect();
        let hash = content_hash(&data);
        Files { data, hash }
    })
}

/// The hash a scripts ConfigMap's name carries: 10 hex digits of FNV-1a over its files.
pub fn content_hash(data: &BTreeMap<String, String>) -> String {
    let mut parts = vec!["flink-render/scripts/v1"];
    parts.extend(data.iter().flat_map(|(file, text)| [file.as_str(), text.as_str()]));
    fnv1a_hex(&parts)[..10].to_string()
}

/// A script as its file in the ConfigMap: a line that names its source, the files a step
/// sources first, then its commands.
fn file_text(script: Script) -> String {
    let mut text = format!("# flink-render: src/emit/lifecycle/scripts/{} without its comments\n", script.file);
    if script.role == Role::Step {
        text.push_str(&format!(". {DIR}/{}\n", COMMON.file));
        if let Some(library) = library(script.text) {
            text.push_str(&format!(". {DIR}/{}\n", library.file));
        }
    }
    text.push_str(&compact(script.text));
    text
}

/// The library a script names in its `# library:` line, if any.
fn library(text: &str) -> Option<Script> {
    let name = text.lines().find_map(|line| line.strip_prefix("# library: "))?.split_whitespace().next()?;
    LIBRARIES.into_iter().find(|library| library.file == name)
}

/// A script without its comment lines and blank lines.
fn compact(text: &str) -> String {
    let mut code = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            code.push_str(line);
            code.push('\n');
        }
    }
    code
}

/// `<owner name>-scripts-<10 hex of the content>`, within the 253 characters of a name.
pub fn name(owner_name: &str, owner: Owner) -> String {
    let hash = &files(owner).hash;
    let kept: String = owner_name.chars().take(253 - "-scripts-".len() - hash.len()).collect();
    format!("{}-scripts-{hash}", kept.trim_end_matches(['-', '.']))
}

/// The volume of the ConfigMap `config_map`, named [`VOLUME`].
pub fn volume(config_map: &str) -> Value {
    json!({ "name": VOLUME, "configMap": { "name": config_map } })
}

/// Its mount, read-only at [`DIR`].
pub fn mount() -> Value {
    json!({ "name": VOLUME, "mountPath": DIR, "readOnly": true })
}

/// Where a script is in a pod.
pub fn path(script: Script) -> String {
    format!("{DIR}/{}", script.file)
}

/// The command that runs a script whose settings are all in the container's environment.
pub fn command(script: Script) -> Vec<String> {
    vec!["/bin/bash".to_string(), path(script)]
}

/// One line of shell for `bash -c`: `settings` as shell variables (not exported: a wrapper's
/// settings stay out of the Flink process it starts), then the script, sourced so that it
/// keeps the positional arguments (the entrypoint and its arguments, for a wrapper).
pub fn source_line(script: Script, settings: &[(&str, String)]) -> String {
    let assignments: Vec<String> =
        settings.iter().map(|(name, value)| format!("{name}='{}'", value.replace('\'', r"'\''"))).collect();
    if assignments.is_empty() {
        format!(". {}", path(script))
    } else {
        format!("{}; . {}", assignments.join(" "), path(script))
    }
}

/// The ConfigMap object of `owner`'s scripts.
fn config_map(owner: Owner, metadata: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "immutable": true,
        "data": files(owner).data,
    })
}

/// An application cluster's scripts; none for a session cluster, which runs none.
pub fn emit(cluster: &Cluster) -> Vec<Value> {
    if cluster.application.is_none() {
        return Vec::new();
    }
    let mut labels = common_labels(cluster);
    labels.insert("component".into(), "lifecycle".into());
    vec![config_map(Owner::Cluster, metadata(cluster, name(&cluster.name, Owner::Cluster), &labels))]
}

/// A session job's scripts, in `namespace` with `labels` (its Jobs').
pub fn emit_for_session_job(job_name: &str, namespace: Option<&str>, labels: &BTreeMap<String, String>) -> Value {
    let mut meta = json!({ "name": name(job_name, Owner::SessionJob), "labels": labels });
    if let Some(namespace) = namespace {
        meta["namespace"] = json!(namespace);
    }
    config_map(Owner::SessionJob, meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every script in the repository, with its path.
    fn scripts() -> Vec<(std::path::PathBuf, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/emit/lifecycle/scripts");
        let entries = std::fs::read_dir(dir).expect("the scripts");
        let paths = entries.map(|entry| entry.expect("an entry").path());
        paths.map(|path| (path.clone(), std::fs::read_to_string(&path).expect("a script"))).collect()
    }

    #[test]
    fn every_script_in_the_repository_is_a_file_of_a_config_map() {
        let mut files: Vec<&str> = CLUSTER_FILES.iter().chain(&SESSION_JOB_FILES).map(|script| script.file).collect();
        files.sort_unstable();
        files.dedup();
        let mut in_repository: Vec<String> =
            scripts().into_iter().map(|(path, _)| path.file_name().unwrap().to_string_lossy().into_owned()).collect();
        in_repository.sort_unstable();
        assert_eq!(files, in_repository);
        for set in [&CLUSTER_FILES[..], &SESSION_JOB_FILES[..]] {
            let names: std::collections::BTreeSet<&str> = set.iter().map(|script| script.file).collect();
            assert_eq!(names.len(), set.len(), "a file listed twice");
        }
    }

    #[test]
    fn a_step_sources_common_and_its_library_then_keeps_every_command_without_comments() {
        let text = file_text(SUBMIT);
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("# flink-render: src/emit/lifecycle/scripts/submit.sh without its comments"));
        assert_eq!(lines.next(), Some(". /flink-render/scripts/common.sh"));
        assert_eq!(lines.next(), Some(". /flink-render/scripts/steps.sh"));
        assert!(text.contains("\nwait_for_rest\n"));
        assert!(lines.all(|line| !line.trim_start().starts_with('#') && !line.trim().is_empty()));
        let commands =
            |text: &str| text.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).count();
        assert_eq!(text.lines().count(), 3 + commands(SUBMIT.text));
        assert!(
            file_text(START).lines().nth(1).is_some_and(|line| !line.starts_with(". ")),
            "the start wrapper runs alone"
        );
        assert!(file_text(COMMON).lines().nth(1).is_some_and(|line| !line.starts_with(". ")));
        assert!(file_text(SERVE).contains(". /flink-render/scripts/revision.sh\n"));
    }

    #[test]
    fn every_step_names_a_library_of_its_config_map() {
        for (path, text) in scripts() {
            if let Some(line) = text.lines().find(|line| line.starts_with("# library: ")) {
                let library = library(&text).unwrap_or_else(|| panic!("{}: unknown {line}", path.display()));
                let file = path.file_name().unwrap().to_string_lossy();
                for set in [&CLUSTER_FILES[..], &SESSION_JOB_FILES[..]] {
                    if set.iter().any(|script| script.file == file) {
                        assert!(set.iter().any(|script| script.file == library.file), "{file} needs {}", library.file);
                    }
                }
            }
        }
        assert_eq!(library(SUBMIT.text).map(|library| library.file), Some("steps.sh"));
        assert!(library(COMMON.text).is_none());
    }

    #[test]
    fn files_are_ascii() {
        // the YAML emitter writes an ASCII literal block itself and hands anything else to
        // serde-saphyr, several times slower (a `µ` in a script once cost a fifth of a render)
        for (path, text) in scripts() {
            for line in text.lines().filter(|line| !line.trim_start().starts_with('#')) {
                assert!(line.is_ascii(), "{}: {line}", path.display());
            }
        }
    }

    #[test]
    fn a_config_map_is_named_by_a_hash_of_its_files_so_a_changed_script_renames_it() {
        let cluster = name("app", Owner::Cluster);
        assert!(cluster.starts_with("app-scripts-") && cluster.len() == "app-scripts-".len() + 10, "{cluster}");
        let files = files(Owner::Cluster);
        assert_eq!(cluster, format!("app-scripts-{}", content_hash(&files.data)));
        let mut changed = files.data.clone();
        changed.get_mut("serve.sh").expect("serve.sh").push_str("true\n");
        assert_ne!(cluster, format!("app-scripts-{}", content_hash(&changed)));
        assert_ne!(name("app", Owner::SessionJob), cluster, "a session job of the cluster's name has its own");
        assert_eq!(name(&"a".repeat(300), Owner::Cluster).len(), 253);
    }

    #[test]
    fn a_source_line_quotes_every_setting_and_keeps_them_unexported() {
        let line = source_line(SERVE, &[("JOBMANAGER", "app".into()), ("ODD", "it's".into())]);
        assert_eq!(line, r"JOBMANAGER='app' ODD='it'\''s'; . /flink-render/scripts/serve.sh");
        assert_eq!(source_line(START, &[]), ". /flink-render/scripts/start.sh");
    }
}
