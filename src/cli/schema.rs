//! `flink-render schema`: prints the JSON Schema of the accepted input, or with `--crd` a
//! CustomResourceDefinition, for one kind. The schemas themselves are the library's
//! ([`flink_render::schema`]); this only picks and prints.

use std::process::ExitCode;

use clap::ValueEnum;

use flink_render::schema::{Kind, crd, json_schema};

/// `schema` arguments.
#[derive(clap::Args)]
pub struct SchemaArgs {
    /// The resource kind.
    #[arg(long, value_enum, default_value = "FlinkDeployment")]
    kind: KindArg,
    /// Print a CustomResourceDefinition (YAML) with a structural openAPIV3Schema instead.
    #[arg(long)]
    crd: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    #[value(name = "FlinkDeployment")]
    FlinkDeployment,
    #[value(name = "FlinkSessionJob")]
    FlinkSessionJob,
}

/// Run `schema`.
pub fn run(args: SchemaArgs) -> ExitCode {
    let kind = match args.kind {
        KindArg::FlinkDeployment => Kind::FlinkDeployment,
        KindArg::FlinkSessionJob => Kind::FlinkSessionJob,
    };
    let text = if args.crd {
        flink_render::emit::yaml::to_yaml_document(&crd(kind))
    } else {
        serde_json::to_string_pretty(&json_schema(kind)).expect("JSON values serialize") + "\n"
    };
    super::write_stdout(&text)
}
