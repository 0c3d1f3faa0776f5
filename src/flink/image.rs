//! Flink's official container images (`flink`, `apache/flink`): what they ship decides which
//! settings work without a custom image (filesystem plugins are in `/opt/flink/opt`, logging
//! is log4j2).

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
