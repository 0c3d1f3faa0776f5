//! The FlinkSessionJob `jarURI` check (`DefaultValidator#validateJarURI`, FO §6 session-job
//! table, FO §9 fact 38): the text must parse as a `java.net.URI`, have a scheme, use a
//! scheme from `kubernetes.operator.user.artifacts.allowed-schemes` (default `[https]`,
//! case-insensitive), and for http(s) have a host that is not a restricted address.
//! Upstream resolves the host through DNS; offline, literal IP addresses (in every form
//! `InetAddress.getByName` reads) and `localhost` are checked, other names pass.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::effective::operator::{ALLOWED_SCHEMES_KEY, DISALLOW_RESTRICTED_HOSTS_KEY, JarUriPolicy};

/// Why a jarURI is rejected, with upstream's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JarUriProblem {
    /// `new URI(text)` throws.
    Invalid(String),
    /// No scheme.
    NoScheme,
    /// Scheme not in the allowlist.
    SchemeNotAllowed(String),
    /// http(s) without a host.
    NoHost,
    /// The host is a restricted address.
    RestrictedHost(String),
}

impl JarUriProblem {
    /// Upstream's message.
    pub fn message(&self, policy: &JarUriPolicy) -> String {
        match self {
            JarUriProblem::Invalid(reason) => format!("jarURI is not a valid URI: {reason}"),
            JarUriProblem::NoScheme => "jarURI must include a scheme".into(),
            JarUriProblem::SchemeNotAllowed(scheme) => format!(
                "jarURI scheme '{scheme}' is not in the allowlist [{}]. Configure '{ALLOWED_SCHEMES_KEY}' to extend the allowlist.",
                policy.allowed_schemes.join(", ")
            ),
            JarUriProblem::NoHost => "jarURI must include a host for http/https schemes".into(),
            JarUriProblem::RestrictedHost(host) => format!("jarURI host '{host}' resolves to a restricted address"),
        }
    }

    /// How to fix it.
    pub fn hint(&self) -> String {
        match self {
            JarUriProblem::Invalid(_) => "percent-encode characters a URI cannot hold (a space is `%20`)".into(),
            JarUriProblem::NoScheme => "write a full URI, e.g. `https://artifacts.example.com/jobs/job.jar`".into(),
            JarUriProblem::SchemeNotAllowed(_) => format!(
                "serve the jar over https, or allow the scheme in the operator settings (`{ALLOWED_SCHEMES_KEY}` in --defaults)"
            ),
            JarUriProblem::NoHost => {
                "write the host after `https://`, e.g. `https://artifacts.example.com/job.jar`".into()
            }
            JarUriProblem::RestrictedHost(_) => format!(
                "loopback, link-local, private, wildcard and multicast addresses are refused; fetch the jar from an artifact host, or set `{DISALLOW_RESTRICTED_HOSTS_KEY}: false` in --defaults"
            ),
        }
    }
}

/// `DefaultValidator#validateJarURI` with the given policy.
pub fn check_jar_uri(text: &str, policy: &JarUriPolicy) -> Result<(), JarUriProblem> {
    let uri = JavaUri::parse(text).map_err(JarUriProblem::Invalid)?;
    let scheme = uri.scheme.ok_or(JarUriProblem::NoScheme)?;
    let lower = scheme.to_lowercase();
    if !policy.allowed_schemes.iter().any(|allowed| allowed.to_lowercase() == lower) {
        return Err(JarUriProblem::SchemeNotAllowed(scheme.to_string()));
    }
    if (lower == "http" || lower == "https") && policy.disallow_restricted_hosts {
        let host = uri.host.filter(|host| !host.is_empty()).ok_or(JarUriProblem::NoHost)?;
        if is_restricted_host(host) {
            return Err(JarUriProblem::RestrictedHost(host.to_string()));
        }
    }
    Ok(())
}

/// `InetAddress#isLoopbackAddress`, `isLinkLocalAddress`, `isSiteLocalAddress`,
/// `isAnyLocalAddress` or `isMulticastAddress`, for what can be known offline: literal
/// addresses (`[v6]`, dotted quads, a single 32-bit number) and `localhost`.
pub fn is_restricted_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    let literal = match host.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
        Some(v6) => v6.split('%').next().and_then(|address| address.parse::<Ipv6Addr>().ok()).map(IpAddr::V6),
        None if host.bytes().all(|b| b.is_ascii_digit()) => {
            host.parse::<u32>().ok().map(|n| IpAddr::V4(Ipv4Addr::from(n)))
        }
        None => host.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
    };
    match literal {
        Some(IpAddr::V4(address)) => restricted_v4(address),
        Some(IpAddr::V6(address)) => match address.to_ipv4_mapped() {
            Some(mapped) => restricted_v4(mapped),
            None => {
                let first = address.segments()[0];
                address.is_loopback()
                    || address.is_unspecified()
                    || address.is_multicast()
                    || first & 0xffc0 == 0xfe80
                    || first & 0xffc0 == 0xfec0
            }
        },
        None => false,
    }
}

/// Java's Inet4Address checks: 127/8, 169.254/16, 10/8, 172.16/12, 192.168/16, 0.0.0.0, 224/4.
fn restricted_v4(address: Ipv4Addr) -> bool {
    address.is_loopback()
        || address.is_link_local()
        || address.is_private()
        || address.is_unspecified()
        || address.is_multicast()
}

/// The parts of a `java.net.URI` the check reads.
#[derive(Debug, Clone, PartialEq, Eq)]
struct JavaUri<'a> {
    scheme: Option<&'a str>,
    host: Option<&'a str>,
}

/// Character classes of RFC 2396 as `java.net.URI` uses them.
const MARK: &str = "-_.!~*'()";
const RESERVED: &str = ";/?:@&=+$,[]";

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || MARK.contains(c)
}

/// `java.net.URI.Parser`, reduced to what decides validity, the scheme and the host. Errors
/// read like Java's: `Illegal character in path at index 8: https://a b`.
impl<'a> JavaUri<'a> {
    fn parse(input: &'a str) -> Result<JavaUri<'a>, String> {
        let fail = |reason: &str, index: usize| Err(format!("{reason} at index {}: {input}", char_index(input, index)));
        let mut uri = JavaUri { scheme: None, host: None };
        let stop = input.find(['/', '?', '#', ':']);
        let mut position = 0;
        if let Some(colon) = stop.filter(|&index| input[index..].starts_with(':')) {
            if colon == 0 {
                return fail("Expected scheme name", 0);
            }
            let scheme = &input[..colon];
            if !scheme.starts_with(|c: char| c.is_ascii_alphabetic()) {
                return fail("Illegal character in scheme name", 0);
            }
            if let Some(bad) = scheme.find(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c))) {
                return fail("Illegal character in scheme name", bad);
            }
            uri.scheme = Some(scheme);
            position = colon + 1;
            if !input[position..].starts_with('/') {
                let end = input[position..].find('#').map_or(input.len(), |index| position + index);
                if end <= position {
                    return fail("Expected scheme-specific part", position);
                }
                check(input, position, end, "opaque part", |c| is_unreserved(c) || RESERVED.contains(c))?;
                position = end;
            }
        }
        if uri.scheme.is_none() || input[position..].starts_with('/') {
            position = uri.parse_hierarchical(input, position)?;
        }
        if input[position..].starts_with('#') {
            check(input, position + 1, input.len(), "fragment", |c| is_unreserved(c) || RESERVED.contains(c))?;
        }
        Ok(uri)
    }

    fn parse_hierarchical(&mut self, input: &'a str, start: usize) -> Result<usize, String> {
        let mut position = start;
        if input[position..].starts_with("//") {
            position += 2;
            let end = input[position..].find(['/', '?', '#']).map_or(input.len(), |index| position + index);
            if end > position {
                self.host = parse_authority(input, position, end)?;
            } else if end >= input.len() {
                return Err(format!("Expected authority at index {}: {input}", char_index(input, position)));
            }
            position = end;
        }
        let end = input[position..].find(['?', '#']).map_or(input.len(), |index| position + index);
        check(input, position, end, "path", |c| is_unreserved(c) || ";/:@&=+$,".contains(c))?;
        position = end;
        if input[position..].starts_with('?') {
            let end = input[position..].find('#').map_or(input.len(), |index| position + index);
            check(input, position + 1, end, "query", |c| is_unreserved(c) || RESERVED.contains(c))?;
            position = end;
        }
        Ok(position)
    }
}

/// The character index of byte offset `index` (Java counts UTF-16 units; the inputs that
/// reach here are almost always ASCII, where both agree).
fn char_index(input: &str, index: usize) -> usize {
    input[..index].chars().count()
}

/// `checkChars`: every character in `start..end` is allowed, is an escape `%XX`, or is a
/// non-ASCII character that is neither a space nor a control character.
fn check(input: &str, start: usize, end: usize, what: &str, allowed: impl Fn(char) -> bool) -> Result<(), String> {
    match first_bad(input, start, end, &allowed) {
        None => Ok(()),
        Some((index, true)) => Err(format!("Malformed escape pair at index {}: {input}", char_index(input, index))),
        Some((index, false)) => {
            Err(format!("Illegal character in {what} at index {}: {input}", char_index(input, index)))
        }
    }
}

/// The first disallowed character in `start..end`, and whether it is a bad escape.
fn first_bad(input: &str, start: usize, end: usize, allowed: &dyn Fn(char) -> bool) -> Option<(usize, bool)> {
    let bytes = input.as_bytes();
    let mut chars = input[start..end].char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        let index = start + offset;
        if allowed(c) || (c as u32 > 128 && !c.is_whitespace() && !c.is_control()) {
            continue;
        }
        if c == '%' {
            let hex = |at: usize| at < end && bytes[at].is_ascii_hexdigit();
            if hex(index + 1) && hex(index + 2) {
                chars.next();
                chars.next();
                continue;
            }
            return Some((index, true));
        }
        return Some((index, false));
    }
    None
}

/// `parseAuthority`: a server authority (`[userinfo@]host[:port]`) gives a host; an
/// authority that is only valid as a registry name gives none; anything else is illegal.
fn parse_authority(input: &str, start: usize, end: usize) -> Result<Option<&str>, String> {
    let authority = &input[start..end];
    let userinfo = |c: char| is_unreserved(c) || ";:&=+$,".contains(c);
    let server_chars = first_bad(input, start, end, &|c| userinfo(c) || "@[]".contains(c));
    let registry_chars = first_bad(input, start, end, &|c| is_unreserved(c) || "$,;:@&=+".contains(c));
    if let Some((index, true)) = server_chars.or(registry_chars) {
        return Err(format!("Malformed escape pair at index {}: {input}", char_index(input, index)));
    }
    if server_chars.is_none() {
        match parse_server(authority) {
            Ok(host) => return Ok(Some(host)),
            Err((reason, offset)) if registry_chars.is_some() => {
                return Err(format!("{reason} at index {}: {input}", char_index(input, start + offset)));
            }
            Err(_) => {}
        }
    }
    if registry_chars.is_none() {
        return Ok(None);
    }
    Err(format!("Illegal character in authority at index {}: {input}", char_index(input, start)))
}

/// `parseServer`: userinfo, then an IPv6 literal, a dotted quad or a hostname, then a port.
/// Errors carry Java's reason and the byte offset in the authority.
fn parse_server(authority: &str) -> Result<&str, (&'static str, usize)> {
    let host_start = match authority.find('@') {
        Some(at) if authority[..at].chars().all(|c| is_unreserved(c) || ";:&=+$,%".contains(c)) => at + 1,
        Some(at) => return Err(("Illegal character in user info", at)),
        None => 0,
    };
    let rest = &authority[host_start..];
    let (host, port_start) = if let Some(literal) = rest.strip_prefix('[') {
        let close = literal.find(']').ok_or(("Expected closing bracket for IPv6 address", authority.len()))?;
        if literal[..close].split('%').next().and_then(|address| address.parse::<Ipv6Addr>().ok()).is_none() {
            return Err(("Malformed IPv6 address", host_start + 1));
        }
        (&rest[..close + 2], host_start + close + 2)
    } else {
        let end = rest.find(':').unwrap_or(rest.len());
        let host = &rest[..end];
        if host.parse::<Ipv4Addr>().is_err() && !is_hostname(host) {
            return Err(("Illegal character in hostname", host_start));
        }
        (host, host_start + end)
    };
    let port = &authority[port_start..];
    match port.strip_prefix(':') {
        None if port.is_empty() => Ok(host),
        Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => Ok(host),
        _ => Err(("Expected end of authority", port_start)),
    }
}

/// `parseHostname`: dot-separated labels of letters, digits and inner `-`; with more than one
/// label, the last starts with a letter. A trailing dot is allowed.
fn is_hostname(host: &str) -> bool {
    let trimmed = host.strip_suffix('.').unwrap_or(host);
    let labels: Vec<&str> = trimmed.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.starts_with(|c: char| c.is_ascii_alphanumeric())
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    labels.iter().all(label_ok)
        && (labels.len() == 1 || labels.last().is_some_and(|last| last.starts_with(|c: char| c.is_ascii_alphabetic())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_default(text: &str) -> Result<(), JarUriProblem> {
        check_jar_uri(text, &JarUriPolicy::default())
    }

    /// FO §9 fact 38: https with a public host is accepted.
    #[test]
    fn fo9_fact38_https_jar_is_accepted() {
        assert_eq!(check_default("https://example.com/path/to/job.jar"), Ok(()));
    }

    /// FO §9 fact 38: http, file, s3 and local are not in the default allowlist.
    #[test]
    fn fo9_fact38_schemes_outside_the_allowlist_are_rejected() {
        for (uri, scheme) in [
            ("http://example.com/job.jar", "http"),
            ("file:///opt/job.jar", "file"),
            ("s3://bucket/job.jar", "s3"),
            ("local:///opt/flink/job.jar", "local"),
        ] {
            let problem = check_default(uri).unwrap_err();
            assert_eq!(problem, JarUriProblem::SchemeNotAllowed(scheme.into()));
            assert!(problem.message(&JarUriPolicy::default()).starts_with(&format!("jarURI scheme '{scheme}' is not in the allowlist [https]. Configure 'kubernetes.operator.user.artifacts.allowed-schemes'")));
        }
    }

    /// FO §9 fact 38: a path without a scheme.
    #[test]
    fn fo9_fact38_jar_without_scheme() {
        let problem = check_default("/no/scheme/job.jar").unwrap_err();
        assert_eq!(problem.message(&JarUriPolicy::default()), "jarURI must include a scheme");
    }

    /// FO §9 fact 38: `S3://` passes with the allowlist `[https, s3]` (case-insensitive).
    #[test]
    fn fo9_fact38_scheme_match_is_case_insensitive() {
        let policy =
            JarUriPolicy { allowed_schemes: vec!["https".into(), "s3".into()], disallow_restricted_hosts: true };
        assert_eq!(check_jar_uri("S3://bucket/job.jar", &policy), Ok(()));
        assert_eq!(check_jar_uri("HTTPS://example.com/job.jar", &JarUriPolicy::default()), Ok(()));
    }

    /// FO §9 fact 38: metadata, loopback, localhost and private addresses are restricted,
    /// unless the restriction is turned off.
    #[test]
    fn fo9_fact38_restricted_hosts() {
        for host in ["169.254.169.254", "127.0.0.1", "localhost", "10.0.0.1", "192.168.1.1"] {
            let uri = format!("https://{host}/job.jar");
            let problem = check_default(&uri).unwrap_err();
            assert_eq!(
                problem.message(&JarUriPolicy::default()),
                format!("jarURI host '{host}' resolves to a restricted address")
            );
            let open = JarUriPolicy { disallow_restricted_hosts: false, ..JarUriPolicy::default() };
            assert_eq!(check_jar_uri(&uri, &open), Ok(()));
        }
    }

    #[test]
    fn other_literal_forms_are_restricted_too() {
        for host in [
            "[::1]",
            "[::]",
            "[fe80::1]",
            "[fec0::1]",
            "[ff02::1]",
            "[::ffff:127.0.0.1]",
            "0.0.0.0",
            "224.0.0.1",
            "172.16.5.4",
            "2130706433",
            "LOCALHOST",
        ] {
            assert!(
                matches!(check_default(&format!("https://{host}/job.jar")), Err(JarUriProblem::RestrictedHost(_))),
                "{host}"
            );
        }
        for host in ["8.8.8.8", "[2001:db8::1]", "172.32.0.1", "example.com", "[fc00::1]"] {
            assert_eq!(check_default(&format!("https://{host}/job.jar")), Ok(()), "{host}");
        }
        assert_eq!(
            check_default("https://user@127.0.0.1:8443/job.jar"),
            Err(JarUriProblem::RestrictedHost("127.0.0.1".into()))
        );
    }

    #[test]
    fn http_without_a_host() {
        assert_eq!(check_default("https:///job.jar"), Err(JarUriProblem::NoHost));
        assert_eq!(check_default("https://bad_host/job.jar"), Err(JarUriProblem::NoHost));
        assert_eq!(check_default("https://host:port/job.jar"), Err(JarUriProblem::NoHost));
    }

    #[test]
    fn invalid_uris_read_like_java() {
        let message = |text: &str| check_default(text).unwrap_err().message(&JarUriPolicy::default());
        assert_eq!(
            message("https://example.com/my job.jar"),
            "jarURI is not a valid URI: Illegal character in path at index 22: https://example.com/my job.jar"
        );
        assert_eq!(
            message("https://exa mple.com/job.jar"),
            "jarURI is not a valid URI: Illegal character in authority at index 8: https://exa mple.com/job.jar"
        );
        assert_eq!(
            message("https://example.com/%zz.jar"),
            "jarURI is not a valid URI: Malformed escape pair at index 20: https://example.com/%zz.jar"
        );
        assert_eq!(message("://x"), "jarURI is not a valid URI: Expected scheme name at index 0: ://x");
        assert_eq!(
            message("1https://x"),
            "jarURI is not a valid URI: Illegal character in scheme name at index 0: 1https://x"
        );
        assert_eq!(message("https:"), "jarURI is not a valid URI: Expected scheme-specific part at index 6: https:");
        assert_eq!(
            message("https://example.com/a.jar#frag ment"),
            "jarURI is not a valid URI: Illegal character in fragment at index 30: https://example.com/a.jar#frag ment"
        );
        assert_eq!(
            message("https://[::1/job.jar"),
            "jarURI is not a valid URI: Expected closing bracket for IPv6 address at index 12: https://[::1/job.jar"
        );
        assert_eq!(
            message("https://[zz]/job.jar"),
            "jarURI is not a valid URI: Malformed IPv6 address at index 9: https://[zz]/job.jar"
        );
        assert!(check_default("https://example.com/%C3%BCber/job.jar?x=1#y").is_ok());
        assert!(check_default("https://example.com/über.jar").is_ok());
    }
}
