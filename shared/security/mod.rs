//! The capture gate: every hook payload and transcript record passes through here before any byte
//! of it is written, because a secret that reaches a git object is hard to purge.
//!
//! Owns the marker format `[REDACTED:<kind>:<hash6>]`, where `hash6` is the first 6 lowercase hex
//! digits of the SHA-256 of the secret's bytes: the same secret always yields the same marker, so a
//! reader can tell that two redactions hid the same value without learning it. No rule matches a
//! marker, so redacting twice changes nothing. Also owns [`SCANNER_VERSION`], recorded in every
//! [`Report`] so a manifest says which rule set vouched for it; bump it whenever a rule changes what
//! it finds.

mod rules;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use rules::RULES;

/// The rule set's version, as written into [`Report::scanner`].
pub const SCANNER_VERSION: &str = "capture-1";

/// One secret found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: &'static str,
    /// Byte offset of the first redacted byte (always a char boundary).
    pub start: usize,
    /// Byte offset just past the last redacted byte (always a char boundary).
    pub end: usize,
    pub marker: String,
}

/// Counts of what was redacted, per kind (sorted, so manifests are stable), for the manifest's
/// security report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The [`SCANNER_VERSION`] that produced the counts; empty until something was scanned.
    #[serde(default)]
    pub scanner: String,
    #[serde(default)]
    pub redactions: BTreeMap<String, u64>,
}

impl Report {
    /// Folds `other` into `self`, e.g. one record's report into a session's. Keeps `self`'s scanner
    /// unless it has none yet: one process only ever runs one rule set.
    pub fn add(&mut self, other: &Report) {
        if self.scanner.is_empty() {
            self.scanner.clone_from(&other.scanner);
        }
        for (kind, count) in &other.redactions {
            *self.redactions.entry(kind.clone()).or_default() += count;
        }
    }

    pub fn total(&self) -> u64 {
        self.redactions.values().sum()
    }

    /// True when nothing was redacted (whether or not anything was scanned).
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }
}

struct Compiled {
    kind: &'static str,
    regex: Regex,
    /// Whether the pattern narrows the redaction to its `s` group.
    narrowed: bool,
    reject: Option<fn(&str) -> bool>,
}

/// The rules, compiled once per process: compiling on every hook event would cost more than the scan.
static COMPILED: LazyLock<Vec<Compiled>> = LazyLock::new(|| {
    RULES
        .iter()
        .map(|rule| {
            let regex = Regex::new(rule.pattern).expect("built-in rule compiles");
            let narrowed = regex.capture_names().any(|name| name == Some("s"));
            Compiled {
                kind: rule.kind,
                regex,
                narrowed,
                reject: rule.reject,
            }
        })
        .collect()
});

/// The alternation of every rule's trigger. Nearly every text has no candidate at all; for those,
/// this one literal search is the whole cost of the scan.
static PREFILTER: LazyLock<Regex> = LazyLock::new(|| {
    let alternation: Vec<String> = RULES
        .iter()
        .map(|rule| format!("(?:{})", rule.trigger))
        .collect();
    Regex::new(&alternation.join("|")).expect("built-in prefilter compiles")
});

/// Finds secrets in `text` (byte offsets, non-overlapping, sorted).
///
/// Where findings of different rules overlap they are merged into one, named by the earliest
/// (then longest, then highest-priority) of them: redacting only one would leave part of the other
/// in the text, and the next scan would find it.
pub fn scan(text: &str) -> Vec<Finding> {
    if !PREFILTER.is_match(text) {
        return Vec::new();
    }
    // (start, end, rule index)
    let mut spans: Vec<(usize, usize, usize)> = Vec::new();
    for (index, rule) in COMPILED.iter().enumerate() {
        let mut push = |start: usize, end: usize| {
            let rejected = rule.reject.is_some_and(|reject| reject(&text[start..end]));
            if !rejected {
                spans.push((start, end, index));
            }
        };
        if rule.narrowed {
            for caps in rule.regex.captures_iter(text) {
                if let Some(secret) = caps.name("s") {
                    push(secret.start(), secret.end());
                }
            }
        } else {
            for found in rule.regex.find_iter(text) {
                push(found.start(), found.end());
            }
        }
    }
    spans.sort_unstable_by_key(|&(start, end, index)| (start, std::cmp::Reverse(end), index));

    let mut merged: Vec<(usize, usize, usize)> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.0 < last.1 => last.1 = last.1.max(span.1),
            _ => merged.push(span),
        }
    }
    merged
        .into_iter()
        .map(|(start, end, index)| {
            let kind = COMPILED[index].kind;
            Finding {
                kind,
                start,
                end,
                marker: marker(kind, &text[start..end]),
            }
        })
        .collect()
}

/// Returns `text` with every finding replaced by its marker; Cow::Borrowed when nothing was found
/// (the common case must not allocate).
pub fn redact<'a>(text: &'a str, report: &mut Report) -> Cow<'a, str> {
    if report.scanner.is_empty() {
        report.scanner = SCANNER_VERSION.to_owned();
    }
    let findings = scan(text);
    if findings.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for finding in &findings {
        out.push_str(&text[copied..finding.start]);
        out.push_str(&finding.marker);
        copied = finding.end;
        *report
            .redactions
            .entry(finding.kind.to_owned())
            .or_default() += 1;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Redacts every string in a JSON value in place (object keys left alone: they are field names
/// chosen by the harness, not user data), recursing into arrays and objects.
///
/// Walks with an explicit stack so that a pathologically deep value cannot overflow the thread's.
pub fn redact_json(value: &mut Value, report: &mut Report) {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Value::String(text) => {
                let redacted = match redact(text, report) {
                    Cow::Owned(redacted) => Some(redacted),
                    Cow::Borrowed(_) => None,
                };
                if let Some(redacted) = redacted {
                    *text = redacted;
                }
            }
            Value::Array(items) => pending.extend(items.iter_mut()),
            Value::Object(fields) => pending.extend(fields.values_mut()),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

fn marker(kind: &str, secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    format!(
        "[REDACTED:{kind}:{:02x}{:02x}{:02x}]",
        digest[0], digest[1], digest[2]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Deterministic filler drawn from `alphabet`, so fake secrets never appear as literals in the
    /// source (secret scanners such as GitHub push protection would flag them).
    fn filler(len: usize, alphabet: &str, seed: u64) -> String {
        let alphabet = alphabet.as_bytes();
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                alphabet[(state >> 33) as usize % alphabet.len()] as char
            })
            .collect()
    }

    const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const UPPER_ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const B64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    fn pem(label: &str, lines: usize) -> String {
        let mut body = String::new();
        for line in 0..lines {
            body.push_str(&filler(64, B64, line as u64));
            body.push('\n');
        }
        let dashes = "-".repeat(5);
        format!("{dashes}BEGIN {label}{dashes}\n{body}{dashes}END {label}{dashes}")
    }

    /// Asserts that `secret`, embedded in ordinary text, is found as exactly one `kind` finding
    /// covering exactly `secret`, and that redaction leaves the context intact.
    fn assert_found(kind: &str, before: &str, secret: &str, after: &str) {
        let text = format!("{before}{secret}{after}");
        let findings = scan(&text);
        assert_eq!(findings.len(), 1, "{kind}: {findings:?} in {text:?}");
        let finding = &findings[0];
        assert_eq!(finding.kind, kind, "{text:?}");
        assert_eq!(&text[finding.start..finding.end], secret);
        let mut report = Report::default();
        let redacted = redact(&text, &mut report);
        assert_eq!(redacted, format!("{before}{}{after}", marker(kind, secret)));
        assert_eq!(report.redactions.get(kind), Some(&1));
        assert_eq!(report.total(), 1);
    }

    fn assert_clean(text: &str) {
        assert_eq!(scan(text), Vec::new(), "false positive in {text:?}");
        assert!(matches!(
            redact(text, &mut Report::default()),
            Cow::Borrowed(_)
        ));
    }

    /// One realistic fake per kind, used by the cross-kind tests.
    fn samples() -> Vec<(&'static str, String)> {
        vec![
            ("private_key", pem("RSA PRIVATE KEY", 4)),
            ("url_credentials", filler(20, ALNUM, 1)),
            ("github_token", ["gh", "p_", &filler(36, ALNUM, 2)].concat()),
            (
                "gitlab_token",
                ["gl", "pat-", &filler(20, ALNUM, 3)].concat(),
            ),
            (
                "aws_access_key_id",
                ["AK", "IA", &filler(16, UPPER_ALNUM, 4)].concat(),
            ),
            ("aws_secret_access_key", filler(40, B64, 5)),
            (
                "google_api_key",
                ["AI", "za", &filler(35, B64URL, 6)].concat(),
            ),
            (
                "slack_token",
                ["xo", "xb-", "1234567890-", &filler(24, ALNUM, 7)].concat(),
            ),
            (
                "slack_webhook",
                [
                    "T0",
                    &filler(8, UPPER_ALNUM, 8),
                    "/B0",
                    &filler(8, UPPER_ALNUM, 9),
                    "/",
                    &filler(24, ALNUM, 10),
                ]
                .concat(),
            ),
            (
                "stripe_key",
                ["sk", "_live_", &filler(24, ALNUM, 11)].concat(),
            ),
            (
                "openai_api_key",
                ["sk", "-proj-", &filler(60, B64URL, 12)].concat(),
            ),
            (
                "anthropic_api_key",
                ["sk", "-ant-api03-", &filler(93, B64URL, 13), "AA"].concat(),
            ),
            (
                "huggingface_token",
                ["h", "f_", &filler(34, ALNUM, 14)].concat(),
            ),
            ("npm_token", ["np", "m_", &filler(36, ALNUM, 15)].concat()),
            (
                "pypi_token",
                ["py", "pi-AgEIcHlwaS5vcmc", &filler(120, B64URL, 16)].concat(),
            ),
            (
                "jwt",
                [
                    "ey",
                    "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.",
                    "eyJ",
                    &filler(40, B64URL, 17),
                    ".",
                    &filler(43, B64URL, 18),
                ]
                .concat(),
            ),
        ]
    }

    /// Wraps each sample in the context its rule needs to fire.
    fn in_context(kind: &str) -> (String, String) {
        match kind {
            "url_credentials" => (
                "git clone https://deploy:".into(),
                "@git.example.com/repo.git".into(),
            ),
            "aws_secret_access_key" => ("aws_secret_access_key = ".into(), "\n".into()),
            "slack_webhook" => (
                "curl https://hooks.slack.com/services/".into(),
                " -d @msg.json".into(),
            ),
            _ => ("token: \"".into(), "\" # from the env".into()),
        }
    }

    #[test]
    fn private_key_block_is_redacted_whole() {
        for label in [
            "RSA PRIVATE KEY",
            "EC PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
            "DSA PRIVATE KEY",
            "PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
        ] {
            assert_found("private_key", "key.pem:\n", &pem(label, 3), "\nok");
        }
    }

    #[test]
    fn private_key_with_encrypted_pem_headers() {
        let dashes = "-".repeat(5);
        let key = format!(
            "{dashes}BEGIN RSA PRIVATE KEY{dashes}\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,{}\n\n{}\n{dashes}END RSA PRIVATE KEY{dashes}",
            filler(32, "0123456789ABCDEF", 1),
            filler(64, B64, 2)
        );
        assert_found("private_key", "", &key, "\n");
    }

    #[test]
    fn private_key_in_json_escaped_text() {
        let key = pem("OPENSSH PRIVATE KEY", 2).replace('\n', "\\n");
        assert_found("private_key", r#"{"output":""#, &key, r#""}"#);
    }

    #[test]
    fn private_key_without_end_is_redacted_to_end_of_text() {
        let truncated = pem("EC PRIVATE KEY", 3);
        let truncated = &truncated[..truncated.find("-----END").unwrap()];
        assert_found("private_key", "head -c 200 key.pem\n", truncated, "");
    }

    #[test]
    fn url_credentials_redact_only_the_password() {
        let password = ["hunter", "2-", &filler(12, ALNUM, 3)].concat();
        let text = format!("DATABASE_URL=postgres://app:{password}@db.internal:5432/prod");
        let mut report = Report::default();
        let redacted = redact(&text, &mut report);
        assert_eq!(
            redacted,
            format!(
                "DATABASE_URL=postgres://app:{}@db.internal:5432/prod",
                marker("url_credentials", &password)
            )
        );
        assert_found("url_credentials", "https://:", &password, "@example.com");
    }

    #[test]
    fn github_token() {
        assert_found(
            "github_token",
            "export GH_TOKEN=",
            &["gh", "p_", &filler(36, ALNUM, 1)].concat(),
            "\n",
        );
        assert_found(
            "github_token",
            "Authorization: token ",
            &["gh", "s_", &filler(36, ALNUM, 2)].concat(),
            "",
        );
        let fine_grained = [
            "github",
            "_pat_",
            &filler(22, ALNUM, 3),
            "_",
            &filler(59, ALNUM, 4),
        ]
        .concat();
        assert_found("github_token", "\"", &fine_grained, "\"");
    }

    #[test]
    fn gitlab_token() {
        assert_found(
            "gitlab_token",
            "PRIVATE-TOKEN: ",
            &["gl", "pat-", &filler(20, B64URL, 1)].concat(),
            "\n",
        );
    }

    #[test]
    fn aws_access_key_id() {
        assert_found(
            "aws_access_key_id",
            "aws_access_key_id=",
            &["AK", "IA", &filler(16, UPPER_ALNUM, 1)].concat(),
            "\n",
        );
        assert_found(
            "aws_access_key_id",
            "\"AccessKeyId\": \"",
            &["AS", "IA", &filler(16, UPPER_ALNUM, 2)].concat(),
            "\"",
        );
    }

    #[test]
    fn aws_secret_access_key_after_its_name() {
        let secret = filler(40, B64, 1);
        assert_found(
            "aws_secret_access_key",
            "aws_secret_access_key = ",
            &secret,
            "\n",
        );
        assert_found(
            "aws_secret_access_key",
            "export AWS_SECRET_ACCESS_KEY=\"",
            &secret,
            "\"",
        );
        assert_found(
            "aws_secret_access_key",
            "{\"aws_secret_access_key\": \"",
            &secret,
            "\"}",
        );
        assert_found("aws_secret_access_key", "awsSecretAccessKey: ", &secret, "");
        // The same 40 characters without the name are just a blob.
        assert_clean(&format!("blob {secret} end"));
    }

    #[test]
    fn google_api_key() {
        assert_found(
            "google_api_key",
            "?key=",
            &["AI", "za", &filler(35, B64URL, 1)].concat(),
            "&q=x",
        );
    }

    #[test]
    fn slack_token() {
        let token = ["xo", "xp-", "1234567890-1234567890-", &filler(32, ALNUM, 1)].concat();
        assert_found("slack_token", "SLACK_TOKEN=", &token, "\n");
    }

    #[test]
    fn slack_webhook_keeps_the_host() {
        let path = [
            "T0",
            &filler(8, UPPER_ALNUM, 1),
            "/B0",
            &filler(8, UPPER_ALNUM, 2),
            "/",
            &filler(24, ALNUM, 3),
        ]
        .concat();
        assert_found(
            "slack_webhook",
            "https://hooks.slack.com/services/",
            &path,
            "",
        );
    }

    #[test]
    fn stripe_key() {
        assert_found(
            "stripe_key",
            "Stripe.api_key = '",
            &["sk", "_live_", &filler(24, ALNUM, 1)].concat(),
            "'",
        );
        assert_found(
            "stripe_key",
            "STRIPE=",
            &["rk", "_live_", &filler(30, ALNUM, 2)].concat(),
            "",
        );
        assert_found(
            "stripe_key",
            "STRIPE=",
            &["sk", "_test_", &filler(99, ALNUM, 3)].concat(),
            "",
        );
    }

    #[test]
    fn openai_api_key() {
        assert_found(
            "openai_api_key",
            "OPENAI_API_KEY=",
            &["sk", "-proj-", &filler(156, B64URL, 1)].concat(),
            "\n",
        );
        assert_found(
            "openai_api_key",
            "OPENAI_API_KEY=",
            &["sk", "-svcacct-", &filler(80, B64URL, 2)].concat(),
            "\n",
        );
        assert_found(
            "openai_api_key",
            "OPENAI_API_KEY=",
            &["sk", "-", &filler(48, ALNUM, 3)].concat(),
            "\n",
        );
    }

    #[test]
    fn anthropic_api_key_is_not_called_openai() {
        let key = ["sk", "-ant-api03-", &filler(93, B64URL, 1), "AA"].concat();
        assert_found("anthropic_api_key", "ANTHROPIC_API_KEY=", &key, "\n");
        let short_body = ["sk", "-ant-", &filler(40, ALNUM, 2)].concat();
        assert_found("anthropic_api_key", "x-api-key: ", &short_body, "");
    }

    #[test]
    fn huggingface_token() {
        assert_found(
            "huggingface_token",
            "HF_TOKEN=",
            &["h", "f_", &filler(34, ALNUM, 1)].concat(),
            "\n",
        );
    }

    #[test]
    fn npm_token() {
        assert_found(
            "npm_token",
            "//registry.npmjs.org/:_authToken=",
            &["np", "m_", &filler(36, ALNUM, 1)].concat(),
            "\n",
        );
    }

    #[test]
    fn pypi_token() {
        assert_found(
            "pypi_token",
            "password = ",
            &["py", "pi-AgEIcHlwaS5vcmc", &filler(150, B64URL, 1)].concat(),
            "\n",
        );
    }

    #[test]
    fn jwt() {
        let token = [
            "ey",
            "JhbGciOiJSUzI1NiJ9.",
            "eyJ",
            &filler(60, B64URL, 1),
            ".",
            &filler(86, B64URL, 2),
        ]
        .concat();
        assert_found("jwt", "Authorization: Bearer ", &token, "\r\n");
    }

    #[test]
    fn every_kind_has_a_sample_and_a_rule() {
        let kinds: Vec<&str> = samples().iter().map(|(kind, _)| *kind).collect();
        let mut rule_kinds: Vec<&str> = RULES.iter().map(|rule| rule.kind).collect();
        rule_kinds.sort_unstable();
        let mut sorted = kinds.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, rule_kinds);
        for (kind, secret) in samples() {
            let (before, after) = in_context(kind);
            assert_found(kind, &before, &secret, &after);
        }
    }

    #[test]
    fn marker_format_is_kind_and_sha256_prefix() {
        let secret = ["gh", "p_", &filler(36, ALNUM, 9)].concat();
        let findings = scan(&secret);
        let expected = format!("{:x}", Sha256::digest(secret.as_bytes()));
        assert_eq!(
            findings[0].marker,
            format!("[REDACTED:github_token:{}]", &expected[..6])
        );
        let shape = Regex::new(r"^\[REDACTED:[a-z_]+:[0-9a-f]{6}\]$").unwrap();
        for (kind, secret) in samples() {
            let (before, after) = in_context(kind);
            for finding in scan(&format!("{before}{secret}{after}")) {
                assert!(shape.is_match(&finding.marker), "{}", finding.marker);
            }
        }
    }

    #[test]
    fn same_secret_same_marker() {
        let secret = ["np", "m_", &filler(36, ALNUM, 4)].concat();
        let other = ["np", "m_", &filler(36, ALNUM, 5)].concat();
        let text = format!("a={secret} b={other} c={secret}");
        let findings = scan(&text);
        assert_eq!(findings.len(), 3);
        assert_eq!(findings[0].marker, findings[2].marker);
        assert_ne!(findings[0].marker, findings[1].marker);
        let mut report = Report::default();
        redact(&text, &mut report);
        assert_eq!(report.redactions.get("npm_token"), Some(&3));
    }

    #[test]
    fn redacting_twice_changes_nothing() {
        let mut text = String::new();
        for (kind, secret) in samples() {
            let (before, after) = in_context(kind);
            text.push_str(&format!("{before}{secret}{after}\n"));
        }
        let mut report = Report::default();
        let once = redact(&text, &mut report).into_owned();
        assert_eq!(report.total(), samples().len() as u64);
        let mut again = Report::default();
        assert!(
            matches!(redact(&once, &mut again), Cow::Borrowed(_)),
            "{:?}",
            scan(&once)
        );
        assert!(again.is_empty());
        assert_eq!(again.scanner, SCANNER_VERSION);
    }

    #[test]
    fn findings_are_sorted_and_overlaps_merged() {
        // A token used as a URL password matches two rules over the same bytes.
        let token = ["gh", "s_", &filler(36, ALNUM, 6)].concat();
        let aws = ["AK", "IA", &filler(16, UPPER_ALNUM, 7)].concat();
        let text = format!("{aws} https://x-access-token:{token}@github.com/o/r.git");
        let findings = scan(&text);
        assert_eq!(findings.len(), 2, "{findings:?}");
        assert_eq!(findings[0].kind, "aws_access_key_id");
        assert_eq!(findings[1].kind, "github_token");
        assert_eq!(&text[findings[1].start..findings[1].end], token);
        assert!(findings[0].end <= findings[1].start);
    }

    #[test]
    fn json_strings_are_redacted_and_keys_kept() {
        let token = ["gh", "p_", &filler(36, ALNUM, 8)].concat();
        let key = ["sk", "-ant-api03-", &filler(95, B64URL, 9)].concat();
        let mut value = json!({
            token.clone(): "a key that looks like a token stays",
            "tool_input": {"command": format!("gh auth login --with-token {token}"), "n": 3, "ok": true},
            "messages": [[{"text": format!("key={key}")}], null, format!("again {token}")],
        });
        let mut report = Report::default();
        redact_json(&mut value, &mut report);
        let token_marker = marker("github_token", &token);
        assert!(value.get(&token).is_some());
        assert_eq!(value[&token], "a key that looks like a token stays");
        assert_eq!(
            value["tool_input"]["command"],
            format!("gh auth login --with-token {token_marker}")
        );
        assert_eq!(value["tool_input"]["n"], 3);
        assert_eq!(
            value["messages"][0][0]["text"],
            format!("key={}", marker("anthropic_api_key", &key))
        );
        assert_eq!(value["messages"][2], format!("again {token_marker}"));
        assert_eq!(report.redactions.get("github_token"), Some(&2));
        assert_eq!(report.redactions.get("anthropic_api_key"), Some(&1));
        assert_eq!(report.scanner, SCANNER_VERSION);
    }

    #[test]
    fn offsets_are_bytes_around_multibyte_text() {
        let token = ["h", "f_", &filler(34, ALNUM, 10)].concat();
        let before = "clé → «";
        let after = "» 🔑 日本";
        assert_found("huggingface_token", before, &token, after);
        let text = format!("{before}{token}{after}");
        let finding = &scan(&text)[0];
        assert_eq!(finding.start, before.len());
        assert_eq!(finding.end, before.len() + token.len());
    }

    #[test]
    fn ordinary_code_is_not_a_secret() {
        assert_clean("commit 3f786850e387550fdab836ed7e6dc881de23001b (HEAD -> main)");
        assert_clean("session 123e4567-e89b-12d3-a456-426614174000 started");
        assert_clean("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");
        assert_clean(
            "Set password= in the config file, then restart. The password: field is required.",
        );
        assert_clean(
            "if line.starts_with(\"-----BEGIN RSA PRIVATE KEY-----\") { return parse(rest); }",
        );
        assert_clean("fn task_test_shouldHandleVeryLongNamesCorrectly() {}");
        assert_clean(
            "let disk_usage = ask-the-user; self.hf_hub_download(repo_id); npm_config_cache",
        );
        assert_clean("see https://example.com:8443/path@v2 and ssh://git@github.com:22/o/r");
        assert_clean("const KEY: &str = \"AKIAEXAMPLE\"; // too short");
        assert_clean("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.");
    }

    #[test]
    fn short_dummy_keys_are_not_secrets() {
        // Test harnesses use short stand-ins; the real formats are far longer.
        assert_clean(&["ANTHROPIC_API_KEY=sk", "-ant-lab-dummy"].concat());
        assert_clean(&["OPENAI_API_KEY=sk", "-test-dummy-key"].concat());
        assert_clean(&["GH_TOKEN=gh", "p_dummy"].concat());
        assert_clean(&["HF_TOKEN=h", "f_dummy"].concat());
    }

    #[test]
    fn url_templates_are_not_credentials() {
        assert_clean("postgres://${DB_USER}:${DB_PASS}@localhost/app");
        assert_clean("postgres://app:$DB_PASSWORD@localhost/app");
        assert_clean("f\"{scheme}://{user}:{password}@{host}\"");
        assert_clean("fmt.Sprintf(\"%s://%s:%s@%s\", scheme, user, pass, host)");
        assert_clean("mysql://root:****@db");
        assert_clean("https://user:<password>@host");
    }

    #[test]
    fn large_clean_text_is_borrowed() {
        let line =
            "   Compiling regex-automata v0.4.9 (see https://crates.io/crates/regex) in 0.42s ✓\n";
        let text = line.repeat(5 * 1024 * 1024 / line.len() + 1);
        assert!(text.len() >= 5 * 1024 * 1024);
        let mut report = Report::default();
        assert!(matches!(redact(&text, &mut report), Cow::Borrowed(_)));
        assert!(report.is_empty());
        let no_trigger = "x".repeat(5 * 1024 * 1024);
        assert!(matches!(redact(&no_trigger, &mut report), Cow::Borrowed(_)));
    }

    #[test]
    fn reports_add_up_and_round_trip() {
        let mut total = Report::default();
        assert!(total.is_empty());
        let mut one = Report::default();
        redact(&["h", "f_", &filler(34, ALNUM, 11)].concat(), &mut one);
        let mut two = Report::default();
        redact(
            &[
                "np",
                "m_",
                &filler(36, ALNUM, 12),
                " ",
                "h",
                "f_",
                &filler(34, ALNUM, 13),
            ]
            .concat(),
            &mut two,
        );
        total.add(&one);
        total.add(&two);
        assert_eq!(total.scanner, SCANNER_VERSION);
        assert_eq!(total.total(), 3);
        assert_eq!(total.redactions.get("huggingface_token"), Some(&2));
        let json = serde_json::to_string(&total).unwrap();
        assert_eq!(
            json,
            r#"{"scanner":"capture-1","redactions":{"huggingface_token":2,"npm_token":1}}"#
        );
        assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), total);
        assert_eq!(
            serde_json::from_str::<Report>("{}").unwrap(),
            Report::default()
        );
    }
}
