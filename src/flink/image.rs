//! Flink's official container images (`flink`, `apache/flink`): what they ship decides which
//! settings work without a custom image (filesystem plugins are in `/opt/flink/opt`, logging
//! is log4j2), and where the standalone entrypoints look for user jars.

/// The user-lib directory: the standalone entrypoints put every jar under it on the user
/// classpath (`$FLINK_HOME/usrlib`, FO §4.4).
pub const USER_LIB_DIR: &str = "/opt/flink/usrlib";

/// Whether `path` is under [`USER_LIB_DIR`], where the entrypoint finds a jar by itself.
pub fn in_user_lib(path: &str) -> bool {
    path.strip_prefix(USER_LIB_DIR).is_some_and(|rest| rest.starts_with('/'))
}

/// Whether the image is the official one: `flink` or `apache/flink`, optionally under
/// `docker.io/` (and `library/`), with any tag or digest.
pub fn is_official_image(image: &str) -> bool {
    let repository = image.split(['@']).next().unwrap_or(image);
    let repository = match repository.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => name,
        _ => repository,
    };
    let repository = repository.trim_start_matches("docker.io/").trim_start_matches("library/");
    repository == "flink" || repository == "apache/flink"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_lib_holds_jars_below_it() {
        assert!(in_user_lib("/opt/flink/usrlib/job.jar") && in_user_lib("/opt/flink/usrlib/lib/dep.jar"));
        assert!(!in_user_lib("/opt/flink/usrlibx/job.jar") && !in_user_lib("/opt/flink/examples/job.jar"));
    }

    #[test]
    fn official_images_are_recognised() {
        for image in
            ["flink:1.20", "flink", "apache/flink:2.0-java17", "docker.io/library/flink:1.19", "flink@sha256:abc"]
        {
            assert!(is_official_image(image), "{image}");
        }
        for image in ["ghcr.io/acme/flink-jobs:1.0", "registry:5000/flink-custom:1", "myflink:1.20"] {
            assert!(!is_official_image(image), "{image}");
        }
    }
}
