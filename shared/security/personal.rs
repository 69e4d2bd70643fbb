//! Personal data, which only the egress tier removes: e-mail addresses, user names in home
//! directories, host names that are not well-known public sites, and IP addresses that are not
//! loopback, unspecified or documentation ones.
//!
//! None of these is a credential, so capture keeps them (the local evidence should say where work
//! happened); but a trace leaving the machine (`share`, a capsule, a dataset row) should not tell a
//! stranger who did it, on which host, in which network. Each detector is a regex for candidates
//! and a function that drops the public ones; precision matters less than in capture, because
//! egress findings are reviewed.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::Regex;

/// The kinds [`find`] reports, in priority order (an e-mail address outranks the host in it).
pub(super) const KINDS: [&str; 4] = ["email_address", "home_path_user", "hostname", "ip_address"];

/// A candidate detector: its kind (index into [`KINDS`]), the regex, the group that is redacted
/// (0 for the whole match), and the check that keeps a candidate given the text and its byte range.
struct Detector {
    kind: usize,
    regex: Regex,
    group: usize,
    keep: fn(&str, usize, usize) -> bool,
}

static DETECTORS: LazyLock<[Detector; 5]> = LazyLock::new(|| {
    let regex = |pattern: &str| Regex::new(pattern).expect("built-in detector compiles");
    [
        Detector {
            kind: 0,
            regex: regex(
                r"(?-u:\b)[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}(?-u:\b)",
            ),
            group: 0,
            keep: is_private_email,
        },
        Detector {
            kind: 1,
            regex: regex(
                r#"(?:(?:^|[^A-Za-z0-9_.~/-])(?:/home/|/Users/)|(?-u:\b)[A-Za-z]:(?:\\\\|\\|/)(?i:users)(?:\\\\|\\|/))([^/\\\s"'<>:*?|\[\]$%{}.][^/\\\s"'<>:*?|\[\]$%{}]{0,63})"#,
            ),
            group: 1,
            keep: is_personal_user,
        },
        Detector {
            kind: 2,
            regex: regex(r"(?-u:\b)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?-u:\b)"),
            group: 0,
            keep: is_private_host,
        },
        Detector {
            kind: 3,
            regex: regex(r"(?-u:\b)[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?-u:\b)"),
            group: 0,
            keep: is_private_ipv4,
        },
        Detector {
            kind: 3,
            regex: regex(r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"),
            group: 0,
            keep: is_private_ipv6,
        },
    ]
});

/// `(start, end, index into KINDS)` of the personal data in `text`, in no particular order.
pub(super) fn find(text: &str) -> Vec<(usize, usize, usize)> {
    let mut found = Vec::new();
    for detector in DETECTORS.iter() {
        for caps in detector.regex.captures_iter(text) {
            let Some(m) = caps.get(detector.group) else {
                continue;
            };
            if (detector.keep)(text, m.start(), m.end()) {
                found.push((m.start(), m.end(), detector.kind));
            }
        }
    }
    found
}

/// Domains whose sites and addresses identify no one: the reserved documentation and test names
/// (RFC 2606, RFC 6761) and the public services transcripts mention all the time.
const PUBLIC_DOMAINS: &[&str] = &[
    "example.com",
    "example.net",
    "example.org",
    "github.com",
    "githubusercontent.com",
    "github.io",
    "githubassets.com",
    "ghcr.io",
    "gitlab.com",
    "bitbucket.org",
    "google.com",
    "googleapis.com",
    "gstatic.com",
    "googlesource.com",
    "golang.org",
    "go.dev",
    "youtube.com",
    "microsoft.com",
    "visualstudio.com",
    "azure.com",
    "apple.com",
    "amazon.com",
    "amazonaws.com",
    "cloudflare.com",
    "mozilla.org",
    "python.org",
    "pypi.org",
    "pythonhosted.org",
    "npmjs.com",
    "npmjs.org",
    "yarnpkg.com",
    "nodejs.org",
    "rust-lang.org",
    "crates.io",
    "docs.rs",
    "stackoverflow.com",
    "stackexchange.com",
    "wikipedia.org",
    "w3.org",
    "openai.com",
    "anthropic.com",
    "claude.ai",
    "claude.com",
    "chatgpt.com",
    "docker.com",
    "docker.io",
    "kubernetes.io",
    "k8s.io",
    "readthedocs.io",
    "readthedocs.org",
    "debian.org",
    "ubuntu.com",
    "archlinux.org",
    "fedoraproject.org",
    "apache.org",
    "gnu.org",
    "kernel.org",
    "sourceforge.net",
    "jsdelivr.net",
    "unpkg.com",
    "cdnjs.com",
    "shields.io",
    "codecov.io",
    "circleci.com",
    "huggingface.co",
    "stripe.com",
    "slack.com",
    "atlassian.com",
    "schema.org",
    "json-schema.org",
    "opensource.org",
    "creativecommons.org",
    "letsencrypt.org",
    "git-scm.com",
    "mit.edu",
    "nixos.org",
    "brew.sh",
    "twitter.com",
    "x.com",
    "linkedin.com",
    "facebook.com",
    "ietf.org",
    "rfc-editor.org",
    "iana.org",
    "unicode.org",
    "sqlite.org",
    "postgresql.org",
    "mysql.com",
    "redis.io",
    "nginx.org",
    "jetbrains.com",
];

/// Top-level domains that mark an internal or local host whatever its other labels (`arpa` only as
/// `home.arpa`, the residential zone; the rest of it is reverse DNS).
const INTERNAL_TLDS: &[&str] = &[
    "internal",
    "corp",
    "local",
    "lan",
    "intranet",
    "localdomain",
    "arpa",
];

/// Top-level domains a host name is recognised by. Those that are also common file extensions
/// (`.rs`, `.py`, `.md`, `.sh`, `.pl`, `.in`, `.cc`, `.so`, `.ts`) are left out: file names are
/// far more frequent in transcripts than hosts under them.
const PUBLIC_TLDS: &[&str] = &[
    "com", "net", "org", "edu", "gov", "mil", "io", "dev", "app", "co", "ai", "cloud", "info",
    "biz", "tech", "xyz", "site", "online", "us", "uk", "de", "fr", "nl", "eu", "ca", "au", "jp",
    "cn", "ru", "br", "ch", "se", "no", "fi", "dk", "at", "be", "nz", "kr", "me", "email",
];

/// TLDs that name a host on their own only in a URL or an address: as two labels, `socket.io` or
/// `this.app` is as likely code as a host.
const STRONG_TLDS: &[&str] = &["com", "net", "org", "edu", "gov"];

/// An e-mail address that names a person: not at a documentation domain, not GitHub's no-reply
/// addresses, not `git@host` (an SSH remote), and under a TLD of [`PUBLIC_TLDS`] or
/// [`INTERNAL_TLDS`], so a retina image (`icon@2x.png`) or a package (`pkg@1.2.x`) is no address.
fn is_private_email(text: &str, start: usize, end: usize) -> bool {
    let address = &text[start..end];
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let domain = domain.to_ascii_lowercase();
    let tld = domain.rsplit('.').next().unwrap_or_default();
    local != "git"
        && !domain.ends_with("noreply.github.com")
        && !is_documentation_domain(&domain)
        && (PUBLIC_TLDS.contains(&tld) || INTERNAL_TLDS.contains(&tld))
}

/// A user name in a home path that is a person's, not a CI or container account's. (The regex
/// already wants the path to start at `/home/`, `/Users/` or a drive's `Users`, so a `home`
/// directory inside another path is no home, and a name starting with `.` is a dotfile.)
fn is_personal_user(text: &str, start: usize, end: usize) -> bool {
    const SHARED: &[&str] = &[
        "user",
        "username",
        "runner",
        "ubuntu",
        "vagrant",
        "ec2-user",
        "admin",
        "root",
        "shared",
        "public",
        "default",
        "guest",
        "me",
        "you",
        "linuxbrew",
        "node",
        "app",
        "builder",
        "jenkins",
        "circleci",
        "travis",
        "codespace",
        "vscode",
        "coder",
        "docker",
        "all users",
        "default user",
        "appdata",
        "runneradmin",
        "...",
        "*",
    ];
    let user = text[start..end].to_ascii_lowercase();
    !SHARED.contains(&user.as_str()) && !user.starts_with('<')
}

/// A host name that is neither a well-known public site nor a documentation name: any name under
/// an internal TLD (`*.internal`, `*.corp`, `*.local`), or a lower-case name under a common TLD
/// with three labels or more, or two in a URL, an address or under `.com`/`.net`/`.org`.
fn is_private_host(text: &str, start: usize, end: usize) -> bool {
    let host = &text[start..end];
    let next = text.as_bytes().get(end).copied();
    let before = text.as_bytes()[..start].last().copied();
    if matches!(next, Some(b'(' | b'@')) || matches!(before, Some(b'.' | b'@' | b'$' | b'-')) {
        return false;
    }
    let labels: Vec<&str> = host.split('.').collect();
    if CODE_ROOTS.contains(&labels[0]) {
        return false;
    }
    let tld = labels[labels.len() - 1];
    if INTERNAL_TLDS.contains(&tld) {
        return tld != "arpa" || host.ends_with("home.arpa");
    }
    if !PUBLIC_TLDS.contains(&tld) || is_documentation_domain(host) || is_public_domain(host) {
        return false;
    }
    labels.len() >= 3 || STRONG_TLDS.contains(&tld) || text[..start].ends_with("://")
}

/// Names that start attribute chains in code (`self.config.net`, `req.app.io`), never hosts.
const CODE_ROOTS: &[&str] = &[
    "self",
    "this",
    "cls",
    "super",
    "ctx",
    "window",
    "document",
    "module",
    "exports",
    "process",
    "os",
    "sys",
    "req",
    "res",
    "request",
    "response",
    "config",
    "settings",
    "props",
    "state",
    "std",
    "core",
    "threading",
];

/// Whether `domain` is, or is under, one of [`PUBLIC_DOMAINS`].
fn is_public_domain(domain: &str) -> bool {
    PUBLIC_DOMAINS.iter().any(|public| {
        domain == *public
            || domain
                .strip_suffix(public)
                .is_some_and(|head| head.ends_with('.'))
    })
}

/// The names reserved for documentation and tests: `example.com`/`.net`/`.org` and the `.example`,
/// `.test`, `.invalid` and `.localhost` TLDs.
fn is_documentation_domain(domain: &str) -> bool {
    let tld = domain.rsplit('.').next().unwrap_or_default();
    matches!(tld, "example" | "test" | "invalid" | "localhost")
        || ["example.com", "example.net", "example.org"]
            .iter()
            .any(|doc| {
                domain == *doc
                    || domain
                        .strip_suffix(doc)
                        .is_some_and(|head| head.ends_with('.'))
            })
}

/// An IPv4 address that is not loopback, unspecified, broadcast or in a documentation range
/// (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24), and not part of a longer dotted version such
/// as `1.2.3.4.5`, `v1.2.3.4` or `section-7.1.1.1`.
fn is_private_ipv4(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let dotted_before = start >= 2 && bytes[start - 1] == b'.' && bytes[start - 2].is_ascii_digit();
    let dotted_after =
        bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
    let glued = start > 0 && matches!(bytes[start - 1], b'-' | b'_' | b'v' | b'V');
    if dotted_before || dotted_after || glued {
        return false;
    }
    let Ok(address) = text[start..end].parse::<Ipv4Addr>() else {
        return false;
    };
    !(address.is_loopback()
        || address.is_unspecified()
        || address.is_broadcast()
        || address.is_documentation())
}

/// An IPv6 address that is not loopback, unspecified or documentation (2001:db8::/32). The
/// candidate must stand alone (not inside a longer hex-and-colon run), parse, and hold a digit and
/// three groups: `d::f` parses too, and Rust paths are full of those.
fn is_private_ipv6(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let word = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
    if start > 0 && (word(bytes.get(start - 1)) || bytes[start - 1] == b':') {
        return false;
    }
    if word(bytes.get(end)) {
        return false;
    }
    let candidate = &text[start..end];
    let groups = candidate
        .split(':')
        .filter(|group| !group.is_empty())
        .count();
    if groups < 3 || !candidate.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    let Ok(address) = candidate.parse::<Ipv6Addr>() else {
        return false;
    };
    let documentation = address.segments()[..2] == [0x2001, 0x0db8];
    !(address.is_loopback() || address.is_unspecified() || documentation)
}
