//! `--output-dir`: one file per object, named `<kind>_<name>.yaml` or
//! `<namespace>_<kind>_<name>.yaml` (Kubernetes names cannot contain `_`, so the names are
//! unambiguous), each written atomically (temporary file, then rename).

use std::fs;
use std::path::Path;

use serde_json::Value;

use flink_render::objects::ObjectKey;

/// Create `dir` when missing.
pub fn create(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|error| format!("cannot create {}: {error}", dir.display()))
}

/// Write one object into `dir` (which [`create`] made).
pub fn write_one(dir: &Path, object: &Value) -> Result<(), String> {
    let name = ObjectKey::of(object).file_name();
    let target = dir.join(&name);
    let temporary = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let text = flink_render::emit::yaml::to_yaml_document(object);
    fs::write(&temporary, text).map_err(|error| format!("cannot write {}: {error}", temporary.display()))?;
    fs::rename(&temporary, &target).map_err(|error| {
        let _ = fs::remove_file(&temporary);
        format!("cannot write {}: {error}", target.display())
    })
}
