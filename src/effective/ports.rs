//! The cluster's ports (FO §4.1), read from the configuration once: single integers only (a
//! Service needs fixed ports), `0` meaning "the fixed port" for the ports Flink would
//! otherwise pick at random. The normalised values are written back, as the descriptor does.

use super::config::EffectiveConfig;
use crate::provenance::{Derivation, Origin};

/// The ports of a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    /// `jobmanager.rpc.port`.
    pub jobmanager_rpc: i32,
    /// `blob.server.port`.
    pub blob_server: i32,
    /// `taskmanager.rpc.port`.
    pub taskmanager_rpc: i32,
    /// `rest.port`.
    pub rest: i32,
    /// `rest.bind-port`.
    pub rest_bind: i32,
}

/// A port option that is not a single port number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortProblem {
    /// The key.
    pub key: &'static str,
    /// Its value.
    pub text: String,
}

/// Read (and write back) the ports; `high_availability` adds the HA JobManager port.
pub(super) fn read(config: &mut EffectiveConfig, high_availability: bool) -> (Ports, Vec<PortProblem>) {
    let mut problems = Vec::new();
    let mut port = |config: &mut EffectiveConfig, key: &'static str, default: i32, fixed_for_zero: i32, write: bool| {
        let value = match config.get(key) {
            None => default,
            Some(text) => match text.trim().parse::<i32>() {
                Ok(value) if (0..=65535).contains(&value) => value,
                _ => {
                    problems.push(PortProblem { key, text });
                    default
                }
            },
        };
        let value = if value == 0 { fixed_for_zero } else { value };
        let unchanged = config.get(key).is_some_and(|text| text == value.to_string());
        if (write || config.contains(key)) && !unchanged {
            let written = config.origin(key).map(|traced| traced.origin.clone());
            config.derive(key, value.to_string(), Origin::rule(Derivation::Ports, written.into_iter().collect()));
        }
        value
    };
    let jobmanager_rpc = port(config, "jobmanager.rpc.port", 6123, 6123, false);
    let blob_server = port(config, "blob.server.port", 0, 6124, true);
    let taskmanager_rpc = port(config, "taskmanager.rpc.port", 0, 6122, true);
    let rest = port(config, "rest.port", 8081, 8081, false);
    let rest_bind =
        if config.contains("rest.bind-port") { port(config, "rest.bind-port", rest, 8081, false) } else { rest };
    if high_availability && config.contains("high-availability.jobmanager.port") {
        port(config, "high-availability.jobmanager.port", jobmanager_rpc, jobmanager_rpc, false);
    }
    (Ports { jobmanager_rpc, blob_server, taskmanager_rpc, rest, rest_bind }, problems)
}
