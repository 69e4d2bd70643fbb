//! The capture gate: every hook payload and transcript record passes through here before any byte
//! of it is written, because a secret that reaches a git object is hard to purge.
//!
//! Two layers find secrets. The rules in `rules.rs` know credentials by their prefix
//! (`ghp_…`, `AKIA…`) or their context (`aws_secret_access_key = …`, a `-----BEGIN PRIVATE
//! KEY-----` block, a URL's password). Behind them, the `high_entropy` fallback reports long runs
//! of base64 characters that look random rather than like names, paths or ids, wherever no rule
//! found anything: that is what catches a secret with neither prefix nor context, such as a bare
//! AWS secret key or a PEM body as arguments of a shell command. Within one JSON value,
//! [`redact_json`] then removes every secret it found from every string of the value, so a secret
//! recognised by context in a command's output also disappears from the command that printed it.
//!
//! Two tiers share these rules. [`Tier::Capture`] runs in agent hooks on every payload: it keeps
//! to findings it is sure of and must stay cheap (a prefilter of trigger strings first, so a text
//! with no trigger costs one search). [`Tier::Egress`] runs before anything leaves the machine
//! (`share`, capsules, dataset rows), where a human reviews the result: it finds everything capture
//! finds, plus shorter random strings, secret-named values that read like words, and personal data
//! (see `personal.rs`). A user's review can add literals and patterns of its own
//! ([`redact_extra`]).
//!
//! Owns the marker format `[REDACTED:<kind>:<hash6>]`, where `hash6` is the first 6 lowercase hex
//! digits of the SHA-256 of the secret's bytes: the same secret always yields the same marker, so a
//! reader can tell that two redactions hid the same value without learning it. No rule matches a
//! marker, so redacting twice changes nothing. Also owns [`SCANNER_VERSION`] and
//! [`EGRESS_VERSION`], recorded in every [`Report`] so a manifest says which rule set vouched for
//! it; bump the tier's version whenever a rule changes what it finds.

mod personal;
mod rules;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{LazyLock, OnceLock};

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use rules::RULES;

/// The capture tier's rule set version, as written into [`Report::scanner`].
pub const SCANNER_VERSION: &str = "capture-3";

/// The egress tier's rule set version, as written into [`Report::scanner`].
pub const EGRESS_VERSION: &str = "egress-1";

/// How hard to look. The order matters: a stricter tier runs every rule of the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// High precision and cheap: runs inside agent hooks on every payload.
    Capture,
    /// Everything capture finds, plus weaker evidence and personal data: runs before sharing.
    Egress,
}

impl Tier {
    /// The tier named `capture` or `egress` (what [`Tier::as_str`] returns).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "capture" => Some(Self::Capture),
            "egress" => Some(Self::Egress),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Capture => "capture",
            Self::Egress => "egress",
        }
    }

    /// The rule set version a [`Report`] of this tier records.
    pub fn version(self) -> &'static str {
        match self {
            Self::Capture => SCANNER_VERSION,
            Self::Egress => EGRESS_VERSION,
        }
    }

    /// The shortest run the `high_entropy` fallback reports in this tier.
    fn min_run(self) -> usize {
        match self {
            Self::Capture => rules::MIN_RUN,
            Self::Egress => rules::EGRESS_MIN_RUN,
        }
    }
}

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
    /// The version of the tier that produced the counts ([`SCANNER_VERSION`] or
    /// [`EGRESS_VERSION`]); empty until something was scanned.
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
    regex: Regex,
    /// Whether the pattern narrows the redaction to its `s` group.
    narrowed: bool,
    reject: Option<fn(&str) -> bool>,
}

/// Each rule, compiled the first time its trigger shows up in a text. A hook is a process of its
/// own that scans one payload: compiling all the rules for it would cost more than the scan, so
/// only the rules a payload may match are ever compiled.
static COMPILED: LazyLock<Vec<OnceLock<Compiled>>> =
    LazyLock::new(|| RULES.iter().map(|_| OnceLock::new()).collect());

fn compiled(rank: usize) -> &'static Compiled {
    COMPILED[rank].get_or_init(|| {
        let rule = &RULES[rank];
        let regex = Regex::new(rule.pattern).expect("built-in rule compiles");
        let narrowed = regex.capture_names().any(|name| name == Some("s"));
        Compiled {
            regex,
            narrowed,
            reject: rule.reject,
        }
    })
}

/// The alternation of every rule's trigger. Nearly every text has no candidate at all; for those,
/// this one search and the fallback's byte-table pass are the whole cost of the scan.
static PREFILTER: LazyLock<Regex> = LazyLock::new(|| {
    let alternation: Vec<String> = RULES
        .iter()
        .map(|rule| format!("(?:{})", rule.trigger))
        .collect();
    Regex::new(&alternation.join("|")).expect("built-in prefilter compiles")
});

/// Each trigger on its own, for the texts the prefilter lets through: which of them occur says
/// which rules to run, and so to compile. (Triggers are short literals; all of them compile in
/// less time than one rule.)
static TRIGGERS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    RULES
        .iter()
        .map(|rule| Regex::new(rule.trigger).expect("built-in trigger compiles"))
        .collect()
});

/// The ranks of the rules whose trigger occurs in `text`, in order.
fn candidates(text: &str) -> Vec<usize> {
    if !PREFILTER.is_match(text) {
        return Vec::new();
    }
    (0..RULES.len())
        .filter(|&rank| TRIGGERS[rank].is_match(text))
        .collect()
}

/// Ranks of findings, which double as indices into [`kind_of`]: the rules first, in their order,
/// then the personal data detectors, then the `high_entropy` fallback.
const PERSONAL_RANK: usize = RULES.len();
const FALLBACK_RANK: usize = PERSONAL_RANK + personal::KINDS.len();

fn kind_of(rank: usize) -> &'static str {
    match rank {
        rank if rank < PERSONAL_RANK => RULES[rank].kind,
        rank if rank < FALLBACK_RANK => personal::KINDS[rank - PERSONAL_RANK],
        _ => rules::HIGH_ENTROPY,
    }
}

/// Finds secrets in `text` with the capture tier (byte offsets, non-overlapping, sorted); see
/// [`scan_tier`].
pub fn scan(text: &str) -> Vec<Finding> {
    scan_tier(text, Tier::Capture)
}

/// Finds secrets (and, in the egress tier, personal data) in `text`: byte offsets,
/// non-overlapping, sorted.
///
/// Where findings of different rules overlap they are merged into one, named by the earliest
/// (then longest, then highest-priority) of them: redacting only one would leave part of the other
/// in the text, and the next scan would find it. The `high_entropy` fallback only reports runs no
/// rule touched: a rule knows better where its secret starts and ends.
pub fn scan_tier(text: &str, tier: Tier) -> Vec<Finding> {
    spans(text, tier)
        .into_iter()
        .map(|span| Finding {
            kind: span.kind,
            start: span.start,
            end: span.end,
            marker: marker(span.kind, &text[span.start..span.end]),
        })
        .collect()
}

/// A stretch of text to redact.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    kind: &'static str,
}

/// [`scan_tier`] without the markers.
fn spans(text: &str, tier: Tier) -> Vec<Span> {
    // (start, end, rank)
    let mut found: Vec<(usize, usize, usize)> = Vec::new();
    // Matches a rule rejected as placeholders: the fallback must not find their pieces either.
    let mut allowed: Vec<(usize, usize)> = Vec::new();
    for rank in candidates(text) {
        if RULES[rank].tier <= tier {
            rule_matches(compiled(rank), text, &mut |start, end, kept| {
                if kept {
                    found.push((start, end, rank));
                } else {
                    allowed.push((start, end));
                }
            });
        }
    }
    if tier == Tier::Egress {
        found.extend(
            personal::find(text)
                .into_iter()
                .map(|(start, end, kind)| (start, end, PERSONAL_RANK + kind)),
        );
    }
    let mut merged = merge(found);
    let fallback = rules::high_entropy_runs(text, tier.min_run());
    if !fallback.is_empty() {
        let named = merged.len();
        for (start, end) in fallback {
            // The first named span ending after `start` is the only one that can overlap.
            let next = merged[..named].partition_point(|span| span.1 <= start);
            let placeholder = allowed.iter().any(|&(from, to)| from < end && start < to);
            if merged[..named].get(next).is_none_or(|span| span.0 >= end) && !placeholder {
                merged.push((start, end, FALLBACK_RANK));
            }
        }
        merged.sort_unstable_by_key(|span| span.0);
    }
    merged
        .into_iter()
        .map(|(start, end, rank)| Span {
            start,
            end,
            kind: kind_of(rank),
        })
        .collect()
}

/// Reports each match of `rule` in `text` (its `s` group if it has one), and whether its reject
/// check keeps it.
fn rule_matches(rule: &Compiled, text: &str, push: &mut dyn FnMut(usize, usize, bool)) {
    let mut keep = |start: usize, end: usize| {
        push(
            start,
            end,
            !rule.reject.is_some_and(|reject| reject(&text[start..end])),
        );
    };
    if rule.narrowed {
        for caps in rule.regex.captures_iter(text) {
            if let Some(secret) = caps.name("s") {
                keep(secret.start(), secret.end());
            }
        }
    } else {
        for found in rule.regex.find_iter(text) {
            keep(found.start(), found.end());
        }
    }
}

/// Sorts `(start, end, rank)` spans and merges overlapping ones into the earliest (then
/// longest, then lowest-rank) of them.
fn merge(mut spans: Vec<(usize, usize, usize)>) -> Vec<(usize, usize, usize)> {
    spans.sort_unstable_by_key(|&(start, end, rank)| (start, std::cmp::Reverse(end), rank));
    let mut merged: Vec<(usize, usize, usize)> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.0 < last.1 => last.1 = last.1.max(span.1),
            _ => merged.push(span),
        }
    }
    merged
}

/// Returns `text` with every finding replaced by its marker; Cow::Borrowed when nothing was found
/// (the common case must not allocate).
///
/// ```
/// use git_traces::security::{redact, Report};
/// let token = ["ghp_", "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"].concat();
/// let mut report = Report::default();
/// let clean = redact(&format!("git push https://{token}@github.com/o/r"), &mut report).into_owned();
/// assert!(!clean.contains(&token));
/// assert!(clean.contains("[REDACTED:github_token:"));
/// // The same secret always maps to the same marker, so redactions can be compared.
/// assert_eq!(redact(&token, &mut Report::default()), redact(&token, &mut Report::default()));
/// assert_eq!(report.redactions["github_token"], 1);
/// ```
pub fn redact<'a>(text: &'a str, report: &mut Report) -> Cow<'a, str> {
    redact_tier(text, Tier::Capture, report)
}

/// [`redact`] with the rules of `tier`; `report` records the tier's version if it has none yet.
pub fn redact_tier<'a>(text: &'a str, tier: Tier, report: &mut Report) -> Cow<'a, str> {
    if report.scanner.is_empty() {
        report.scanner = tier.version().to_owned();
    }
    let spans = spans(text, tier);
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(replace(text, &spans, report))
}

/// Redacts what a user's review asked for on top of the rules: every occurrence of each of
/// `literals` (kind `user_literal`) and every match of each of `patterns` (kind `user_pattern`).
/// Overlaps merge as in [`scan_tier`], so a literal containing another hides it whole; empty
/// literals and empty matches are ignored, and so is anything overlapping one of our markers, so
/// that redacting twice changes nothing. The report's scanner is left as it is: no tier ran.
pub fn redact_extra<'a>(
    text: &'a str,
    literals: &[String],
    patterns: &[Regex],
    report: &mut Report,
) -> Cow<'a, str> {
    const USER_LITERAL: usize = 0;
    const USER_PATTERN: usize = 1;
    let mut found: Vec<(usize, usize, usize)> = Vec::new();
    for literal in literals.iter().filter(|literal| !literal.is_empty()) {
        found.extend(
            text.match_indices(literal.as_str())
                .map(|(start, _)| (start, start + literal.len(), USER_LITERAL)),
        );
    }
    for pattern in patterns {
        found.extend(
            pattern
                .find_iter(text)
                .filter(|m| !m.is_empty())
                .map(|m| (m.start(), m.end(), USER_PATTERN)),
        );
    }
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let markers: Vec<(usize, usize)> = MARKER
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect();
    found.retain(|&(start, end, _)| !markers.iter().any(|&(from, to)| start < to && from < end));
    let spans: Vec<Span> = merge(found)
        .into_iter()
        .map(|(start, end, rank)| Span {
            start,
            end,
            kind: ["user_literal", "user_pattern"][rank],
        })
        .collect();
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(replace(text, &spans, report))
}

/// One of our own markers, as [`marker`] writes them.
static MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[REDACTED:[a-z_]+:[0-9a-f]{6}\]").expect("marker pattern compiles")
});

/// `text` with each of `spans` (sorted, non-overlapping) replaced by its marker, counted in
/// `report`.
fn replace(text: &str, spans: &[Span], report: &mut Report) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for span in spans {
        out.push_str(&text[copied..span.start]);
        out.push_str(&marker(span.kind, &text[span.start..span.end]));
        copied = span.end;
        *report.redactions.entry(span.kind.to_owned()).or_default() += 1;
    }
    out.push_str(&text[copied..]);
    out
}

/// Secrets shorter than this are not looked for elsewhere in the value: short strings recur by
/// chance.
const MIN_PROPAGATED: usize = 8;

/// Whether [`redact_json`] looks for `secret` in the value's other strings: only if it has
/// [`MIN_PROPAGATED`]+ bytes of at least two kinds (lower case, upper case, digits, others). A
/// one-kind "secret" such as the `password` of `proto://user:password@host` in some docs is a
/// word, and chasing it would redact every mention of it.
fn worth_chasing(secret: &str) -> bool {
    let mut kinds = [false; 4];
    for b in secret.bytes() {
        kinds[match b {
            b'a'..=b'z' => 0,
            b'A'..=b'Z' => 1,
            b'0'..=b'9' => 2,
            _ => 3,
        }] = true;
    }
    secret.len() >= MIN_PROPAGATED && kinds.iter().filter(|&&kind| kind).count() >= 2
}

/// Redacts every string in a JSON value in place (object keys left alone: they are field names
/// chosen by the harness, not user data), recursing into arrays and objects.
///
/// A secret found in one string is also removed wherever else it occurs, literally, in any string
/// of the same value (if it is [`worth_chasing`]), under the same marker: a command's
/// output often names what its input only shows bare, e.g. `printf '%s\n' "$KEY"` whose output
/// reads `aws_secret_access_key = …`. Each line of a private key's body counts as a secret of its
/// own, so a body passed alone to a command is removed too.
///
/// Walks with an explicit stack so that a pathologically deep value cannot overflow the thread's.
pub fn redact_json(value: &mut Value, report: &mut Report) {
    redact_json_tier(value, Tier::Capture, report);
}

/// [`redact_json`] with the rules of `tier`; `report` records the tier's version if it has none
/// yet.
pub fn redact_json_tier(value: &mut Value, tier: Tier, report: &mut Report) {
    let mut strings: Vec<&mut String> = Vec::new();
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Value::String(text) => strings.push(text),
            Value::Array(items) => pending.extend(items.iter_mut()),
            Value::Object(fields) => pending.extend(fields.values_mut()),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    if strings.is_empty() {
        return;
    }
    if report.scanner.is_empty() {
        report.scanner = tier.version().to_owned();
    }
    let mut found: Vec<Vec<Span>> = strings.iter().map(|text| spans(text, tier)).collect();
    let mut secrets: BTreeMap<String, &'static str> = BTreeMap::new();
    for (text, spans) in strings.iter().zip(&found) {
        for span in spans {
            for secret in secret_parts(span.kind, &text[span.start..span.end]) {
                if worth_chasing(secret) {
                    // A rule's name for a secret beats the fallback's.
                    let kind = secrets.entry(secret.to_owned()).or_insert(span.kind);
                    if *kind == rules::HIGH_ENTROPY {
                        *kind = span.kind;
                    }
                }
            }
        }
    }
    if !secrets.is_empty() {
        let finder = Occurrences::new(&secrets);
        for (text, spans) in strings.iter().zip(&mut found) {
            // (start, end, index into `kinds`), the string's own findings first: where an
            // occurrence covers the same bytes as a finding, the finding's rule names it.
            let mut kinds: Vec<&'static str> = Vec::new();
            let mut all: Vec<(usize, usize, usize)> = Vec::new();
            for span in spans.iter() {
                all.push((span.start, span.end, kinds.len()));
                kinds.push(match span.kind {
                    rules::HIGH_ENTROPY => secrets
                        .get(&text[span.start..span.end])
                        .copied()
                        .unwrap_or(span.kind),
                    kind => kind,
                });
            }
            finder.find(text, &mut |start, end| {
                all.push((start, end, kinds.len()));
                kinds.push(secrets[&text[start..end]]);
            });
            *spans = merge(all)
                .into_iter()
                .map(|(start, end, index)| Span {
                    start,
                    end,
                    kind: kinds[index],
                })
                .collect();
        }
    }
    for (text, spans) in strings.into_iter().zip(found) {
        if !spans.is_empty() {
            *text = replace(text, &spans, report);
        }
    }
}

/// The strings [`redact_json`] looks for elsewhere once `secret` was found: the secret itself and,
/// for a private key block, each line of its body.
fn secret_parts<'a>(kind: &str, secret: &'a str) -> Vec<&'a str> {
    let mut parts = vec![secret];
    if kind == "private_key" {
        parts.extend(
            secret
                .split(['\n', '\r'])
                .flat_map(|line| line.split("\\n"))
                .flat_map(|line| line.split("\\r"))
                .map(str::trim)
                .filter(|line| {
                    line.len() >= 16
                        && line
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
                }),
        );
    }
    parts
}

/// Finds literal occurrences of known secrets: one regex alternation (longest first, so a secret
/// wins over a part of it), or, if that is too large to compile, one search per secret.
enum Occurrences<'a> {
    Regex(Regex),
    Each(Vec<&'a str>),
}

impl<'a> Occurrences<'a> {
    fn new(secrets: &'a BTreeMap<String, &'static str>) -> Self {
        let mut by_length: Vec<&str> = secrets.keys().map(String::as_str).collect();
        by_length.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        let alternation: Vec<String> = by_length
            .iter()
            .map(|secret| regex::escape(secret))
            .collect();
        match Regex::new(&alternation.join("|")) {
            Ok(regex) => Self::Regex(regex),
            Err(_) => Self::Each(by_length),
        }
    }

    fn find(&self, text: &str, found: &mut dyn FnMut(usize, usize)) {
        match self {
            Self::Regex(regex) => {
                for m in regex.find_iter(text) {
                    found(m.start(), m.end());
                }
            }
            Self::Each(secrets) => {
                for secret in secrets {
                    for (start, _) in text.match_indices(secret) {
                        found(start, start + secret.len());
                    }
                }
            }
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
    const HEX: &str = "0123456789abcdef";

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
            ("high_entropy", filler(40, B64, 19)),
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
            ("twilio_key", ["S", "K", &filler(32, HEX, 20)].concat()),
            (
                "sendgrid_api_key",
                [
                    "S",
                    "G.",
                    &filler(22, B64URL, 21),
                    ".",
                    &filler(43, B64URL, 22),
                ]
                .concat(),
            ),
            ("mailgun_key", ["ke", "y-", &filler(32, HEX, 23)].concat()),
            (
                "digitalocean_token",
                ["do", "p_v1_", &filler(64, HEX, 24)].concat(),
            ),
            (
                "shopify_token",
                ["shp", "at_", &filler(32, HEX, 25)].concat(),
            ),
            ("azure_storage_key", format!("{}==", filler(86, B64, 26))),
            (
                "discord_token",
                [
                    "M",
                    &filler(23, ALNUM, 27),
                    ".",
                    &filler(6, B64URL, 28),
                    ".",
                    &filler(27, ALNUM, 29),
                ]
                .concat(),
            ),
            (
                "telegram_bot_token",
                ["123456789", ":A", "A", &filler(33, ALNUM, 30)].concat(),
            ),
            (
                "square_token",
                ["EA", "AA", &filler(60, ALNUM, 31)].concat(),
            ),
            (
                "doppler_token",
                ["dp", ".pt.", &filler(43, ALNUM, 32)].concat(),
            ),
            (
                "databricks_token",
                ["da", "pi", &filler(32, HEX, 33)].concat(),
            ),
            (
                "heroku_api_key",
                ["HR", "KU-AA", &filler(58, B64URL, 34)].concat(),
            ),
            (
                "atlassian_api_token",
                ["ATA", "TT3", &filler(186, ALNUM, 35)].concat(),
            ),
            ("vault_token", ["hv", "s.", &filler(95, ALNUM, 36)].concat()),
            (
                "age_secret_key",
                [
                    "AGE-SECRET",
                    "-KEY-1",
                    &filler(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 37),
                ]
                .concat(),
            ),
            (
                "grafana_token",
                [
                    "gl",
                    "sa_",
                    &filler(32, ALNUM, 38),
                    "_",
                    &filler(8, HEX, 39),
                ]
                .concat(),
            ),
            (
                "sentry_token",
                ["sntr", "yu_", &filler(64, HEX, 40)].concat(),
            ),
            (
                "saas_api_key",
                ["lin", "_api_", &filler(40, ALNUM, 41)].concat(),
            ),
            ("connection_string_password", filler(16, ALNUM, 42)),
            ("kubeconfig_secret", filler(80, B64, 43)),
            ("docker_config_auth", base64(b"deploy:s3cr3t-passw0rd")),
            ("npmrc_auth_token", filler(36, ALNUM, 44)),
            ("netrc_password", filler(20, ALNUM, 45)),
            ("authorization_header", filler(40, B64URL, 46)),
            ("generic_secret", filler(24, ALNUM, 47)),
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
            "twilio_key" => ("TWILIO_API_KEY_SID=".into(), "\n".into()),
            "mailgun_key" => ("curl -s --user 'api:".into(), "' https://api".into()),
            "azure_storage_key" => (
                "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=".into(),
                ";EndpointSuffix=core.windows.net".into(),
            ),
            "connection_string_password" => (
                "jdbc:postgresql://db:5432/app?user=app&password=".into(),
                "&ssl=true".into(),
            ),
            "kubeconfig_secret" => ("    client-key-data: ".into(), "\n".into()),
            "docker_config_auth" => (
                "{\"auths\": {\"ghcr.io\": {\"auth\": \"".into(),
                "\"}}}".into(),
            ),
            "npmrc_auth_token" => ("//npm.pkg.github.com/:_authToken=".into(), "\n".into()),
            "netrc_password" => (
                "machine api.example.com login deploy password ".into(),
                "\n".into(),
            ),
            "authorization_header" => ("-H 'Authorization: Bearer ".into(), "'".into()),
            "generic_secret" => ("export DB_PASSWORD='".into(), "'\n".into()),
            _ => ("value: \"".into(), "\" # from the env".into()),
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
        // Without the name, only the fallback can tell that the same 40 characters are a secret.
        assert_found("high_entropy", "blob ", &secret, " end");
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
        rule_kinds.push(rules::HIGH_ENTROPY);
        rule_kinds.sort_unstable();
        rule_kinds.dedup();
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
            r#"{"scanner":"capture-3","redactions":{"huggingface_token":2,"npm_token":1}}"#
        );
        assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), total);
        assert_eq!(
            serde_json::from_str::<Report>("{}").unwrap(),
            Report::default()
        );
    }

    /// Standard base64 (with padding) of `bytes`, for building realistic key bodies.
    fn base64(bytes: &[u8]) -> String {
        let alphabet = B64.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let mut group = [0u8; 3];
            group[..chunk.len()].copy_from_slice(chunk);
            let bits = u32::from(group[0]) << 16 | u32::from(group[1]) << 8 | u32::from(group[2]);
            for index in 0..4 {
                if index <= chunk.len() {
                    out.push(alphabet[(bits >> (18 - 6 * index) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    /// The base64 body of a PKCS#8 ed25519 private key (what `openssl genpkey -algorithm ed25519`
    /// prints between its BEGIN and END lines): a fixed 16-byte header, then 32 random bytes.
    fn ed25519_body(seed: u64) -> String {
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend(
            filler(32, ALNUM, seed)
                .bytes()
                .zip(filler(32, B64, seed + 1).bytes())
                .map(|(a, b)| a.wrapping_mul(31) ^ b.rotate_left(3)),
        );
        base64(&der)
    }

    #[test]
    fn high_entropy_finds_random_40_character_base64() {
        for seed in 0..200 {
            let secret = filler(40, B64, 1000 + seed);
            assert_found("high_entropy", "printf '%s\\n' ", &secret, " > creds");
        }
    }

    #[test]
    fn high_entropy_finds_api_key_like_strings() {
        for seed in 0..200 {
            let len = 32 + (seed as usize * 7) % 33;
            let alphabet = if seed % 2 == 0 { ALNUM } else { B64URL };
            let secret = filler(len, alphabet, 2000 + seed);
            assert_found(
                "high_entropy",
                "curl -H 'X-Request-Sig: ",
                &secret,
                "' https://api",
            );
        }
    }

    #[test]
    fn high_entropy_finds_bare_pem_bodies() {
        for seed in 0..100 {
            let body = ed25519_body(3000 + 2 * seed);
            assert_eq!(body.len(), 64);
            assert!(body.starts_with("MC4CAQAwBQYDK2VwBCIEI"), "{body}");
            assert_found("high_entropy", "printf '%s\\n' ", &body, "\n");
        }
        // Lines of an RSA key body, and a body whose padding belongs to it.
        for seed in 0..50 {
            let line = filler(64, B64, 4000 + seed);
            assert_found("high_entropy", "", &line, "\n");
        }
        let padded = format!("{}==", filler(42, B64, 5000));
        assert_found("high_entropy", "key: ", &padded, "\n");
    }

    #[test]
    fn high_entropy_span_stops_at_names_and_escapes() {
        let secret = filler(40, B64, 6000);
        // `=` only ends a run as padding: a name before it is not part of the secret.
        assert_found("high_entropy", "export SECRET_VALUE=", &secret, "");
        // A JSON-escaped line break before the secret stays.
        assert_found("high_entropy", "line one\\n", &secret, "\\nline two");
        assert_found("high_entropy", "\"", &secret, "\"");
        // Non-ASCII text around it breaks the run.
        assert_found("high_entropy", "clé→", &secret, "←🔑");
    }

    #[test]
    fn named_rules_win_over_high_entropy() {
        let secret = filler(40, B64, 7000);
        assert_found(
            "aws_secret_access_key",
            "aws_secret_access_key = ",
            &secret,
            "\n",
        );
        for (kind, secret) in samples() {
            let (before, after) = in_context(kind);
            let text = format!("{before}{secret}{after}");
            let kinds: Vec<&str> = scan(&text).iter().map(|finding| finding.kind).collect();
            assert_eq!(kinds, [kind], "{text}");
        }
    }

    /// The acceptance check's shell step: everything the command would print is a secret, and the
    /// payload sent before the command runs carries only the command.
    #[test]
    fn the_printf_of_planted_secrets_leaves_nothing() {
        let token = ["gh", "p_", &filler(36, ALNUM, 8000)].concat();
        let key_id = ["AK", "IA", &filler(16, UPPER_ALNUM, 8001)].concat();
        let aws_secret = filler(40, B64, 8002);
        let pem_body = ed25519_body(8003);
        let dashes = "-".repeat(5);
        let command = format!(
            "printf 'token=%s\\naws_access_key_id = %s\\naws_secret_access_key = %s\\n{dashes}BEGIN PRIVATE KEY{dashes}\\n%s\\n{dashes}END PRIVATE KEY{dashes}\\n' {token} {key_id} {aws_secret} {pem_body}"
        );
        let output = format!(
            "token={token}\naws_access_key_id = {key_id}\naws_secret_access_key = {aws_secret}\n{dashes}BEGIN PRIVATE KEY{dashes}\n{pem_body}\n{dashes}END PRIVATE KEY{dashes}\n"
        );
        let planted = [&token, &key_id, &aws_secret, &pem_body];
        let mut report = Report::default();
        let redacted = redact(&command, &mut report);
        for secret in planted {
            assert!(!redacted.contains(secret.as_str()), "{redacted}");
        }
        assert_eq!(report.redactions.get("high_entropy"), Some(&2));
        assert!(redacted.starts_with("printf 'token=%s\\naws_access_key_id = %s"));

        let mut payload = json!({
            "hook_event_name": "PostToolUse",
            "tool_input": {"command": command},
            "tool_response": {"stdout": output, "stderr": ""},
        });
        let mut report = Report::default();
        redact_json(&mut payload, &mut report);
        let text = payload.to_string();
        for secret in planted {
            assert!(!text.contains(secret.as_str()), "{text}");
        }
        // The AWS secret was recognised by its name in the output; the command shows the same
        // marker.
        let aws_marker = marker("aws_secret_access_key", &aws_secret);
        assert!(payload["tool_input"]["command"]
            .as_str()
            .unwrap()
            .contains(&aws_marker));
        assert!(payload["tool_response"]["stdout"]
            .as_str()
            .unwrap()
            .contains(&aws_marker));
    }

    #[test]
    fn high_entropy_ignores_names_paths_and_ids() {
        let long_lines = [
            "ThisIsAVeryLongCamelCaseIdentifierName123",
            "fn test_should_handle_very_long_names_correctly_when_given_input() {}",
            "def test_handles_UnicodeDecodeError_in_read_config_file(self, tmp_path):",
            "it_returns_NotFound_when_the_RequestedResource_is_missing_v2",
            "PropertyNameLongEastAsianWidthV1 PropertyEnumIndicConjunctBreakV1",
            "public class AbstractSingletonProxyFactoryBean extends ProxyConfig {",
            "public class ConcurrentHashMapBasedLRUCacheImplementation2 implements Cache {",
            "func (s *Server) HandleGetUserPreferencesByAccountID(w http.ResponseWriter) {",
            "kSSLSessionOptionBreakOnServerAuth WinHttpGetIEProxyConfigForCurrentUser",
            "FlatMapSerializeStructVariantAsMapValue::<HashMap<String, Vec<u8>>>",
            "UICollectionViewDiffableDataSourceSnapshotReloadItemsWithIdentifiers",
            "#define NL80211_RATE_INFO_EHT_RU_ALLOC_2x996P484 23",
            "query GetRepositoryPullRequestsWithReviewThreadsAndComments($owner: String!)",
            "resource aws_iam_role_policy_attachment.LambdaBasicExecutionRole2",
            ".MuiButtonBase-root-MuiButton-root-MuiLoadingButton-root { color: red }",
            "state-of-the-art-Machine-Learning-Models-for-Natural-Language-Processing",
            "The quick brown fox jumps over the lazy dog; Supercalifragilisticexpialidocious!",
            "Rindfleischetikettierungsueberwachungsaufgabenuebertragungsgesetz",
            "src/components/FooBar2/index.tsx",
            "src/main/java/com/example/myapp/controllers/UserController2.java",
            "org/springframework/boot/autoconfigure/SpringBootApplication.class",
            "androidx/compose/ui/platform/AndroidComposeView$onAttachedToWindow",
            "node_modules/@babel/runtime/helpers/esm/asyncToGenerator.js",
            "/home/alice/Projects/MyWebApp2/frontend/src/App.tsx",
            "/usr/lib/x86_64-linux-gnu/libQt5Core.so.5.15.8",
            "C:\\Users\\Alice\\AppData\\Local\\Programs\\Python\\Python311\\python.exe",
            "target/debug/deps/libserde_derive-3f8a9b2c1d4e5f6a.so",
            "static/chunks/pages/_app-3f8a9b2c1d4e5f6a7b8c.js",
            "https://github.com/rust-lang/rust/blob/3f786850e387550fdab836ed7e6dc881de23001b/library/core/src/fmt/mod.rs",
            "https://github.com/BurntSushi/ripgrep/commit/3f786850e387550fdab836ed7e6dc881de23001b",
            "https://github.com/libgit2/libgit2/security/advisories/GHSA-j2v7-4f6v-gpg8",
            "https://developer.mozilla.org/en-US/docs/Web/API/Server-sent_events/Using_server-sent_events",
            "https://docs.rs/tokio/latest/tokio/sync/struct.Mutex.html#method.lock_owned",
            "https://learn.microsoft.com/en-US/windows/win32/api/winhttp/nf-winhttp-WinHttpOpen",
            "commit 3f786850e387550fdab836ed7e6dc881de23001b (HEAD -> main, origin/FeatureBranch2)",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  Cargo.lock",
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "session 123e4567-e89b-12d3-a456-426614174000 and 550E8400-E29B-41D4-A716-446655440000",
            "Order_123e4567-e89b-12d3-a456-426614174000-Confirmation",
            "com/Forums/windowsdesktop/en-US/b2ff8879-ab9f-4218-8f09-16d25dff87ae",
            "0x298f6e7CC02D6aa94E2b135f46F1761da7A44E58 0xFFFF_FFFF_FFFF_FFFF_0000_0000_0000_0000",
            "golang.org/x/net v0.0.0-20230101120000-abcdef123456",
            "numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "/nix/store/0c6x9hxzkz0ljrl0z4d3qbr5m6wvn8jy-python3-3.11.6",
            "my-deployment-7f9c8d6b5-x2k4p   1/1   Running   0   3d4h",
            "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
            "at org.apache.catalina.core.ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:193)",
            "2024-01-15T10:23:45.123456789Z INFO hyper::proto::h1::conn: incoming body completed",
            "   Compiling serde_derive v1.0.219 (/home/alice/.cargo/registry/src/index.crates.io-6f17d22bba15001f/serde_derive-1.0.219)",
            "let response = client.get(url).header(AUTHORIZATION, format!(\"Bearer {token}\")).send().await?;",
            "self.assertEqual(response.json()[\"data\"][\"attributes\"][\"displayName\"], \"Alice\")",
            "XMLHttpRequestEventTarget HTMLTableSectionElementConstructor",
            "[REDACTED:high_entropy:85d182] [REDACTED:aws_secret_access_key:0a1b2c]",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaBBBBBBBBBBBBBBBBBBBBBBBB",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "_ZN4core3fmt9Formatter3pad17h3f2e1d0c9b8a7f6eE",
            "undefined reference to `_ZNKSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE4findEPKcmm'",
            "_RNvCs1234abcd_7mycrate4main",
        ];
        assert!(long_lines.len() >= 50);
        for line in long_lines {
            assert_clean(line);
        }
    }

    #[test]
    fn high_entropy_leaves_public_material() {
        let b64 = |len, seed| filler(len, B64, seed);
        let dashes = "-".repeat(5);
        let mut certificate = format!("{dashes}BEGIN CERTIFICATE{dashes}\n");
        for seed in 0..6 {
            certificate.push_str(&b64(64, 9000 + seed));
            certificate.push('\n');
        }
        certificate.push_str(&format!("{dashes}END CERTIFICATE{dashes}\n"));
        let public = [
            // npm/yarn integrity, go.sum, wheel RECORD and SSH fingerprints are hashes.
            format!("\"integrity\": \"sha512-{}==\",", b64(86, 9100)),
            format!("  integrity sha384-{}", b64(64, 9101)),
            format!("github.com/pkg/errors v0.9.1 h1:{}=", b64(43, 9102)),
            format!("github.com/pkg/errors v0.9.1/go.mod h1:{}=", b64(43, 9103)),
            format!("pip/__init__.py,sha256={},357", filler(43, B64URL, 9104)),
            format!("ED25519 key fingerprint is SHA256:{}.", b64(43, 9105)),
            // Public keys and certificates.
            format!(
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{} alice@laptop",
                b64(43, 9106)
            ),
            format!(
                "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ{} bob@ci",
                b64(330, 9107)
            ),
            format!(
                "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBB{}=",
                b64(86, 9108)
            ),
            certificate.clone(),
            certificate.replace('\n', "\\n"),
            format!(
                "{dashes}BEGIN PUBLIC KEY{dashes}\n{}\n{dashes}END PUBLIC KEY{dashes}",
                b64(60, 9109)
            ),
            // Inline media.
            format!("<img src=\"data:image/png;base64,{}=\">", b64(211, 9110)),
        ];
        for text in &public {
            assert_clean(text);
        }
        // A private key after a certificate in one bundle is still found.
        let bundle = format!("{certificate}{}", pem("PRIVATE KEY", 2));
        let kinds: Vec<&str> = scan(&bundle).iter().map(|finding| finding.kind).collect();
        assert_eq!(kinds, ["private_key"]);
        // A certificate block that never ends protects nothing after it.
        let open = format!("{dashes}BEGIN CERTIFICATE{dashes}\n{}\n", b64(40, 9111));
        assert_eq!(scan(&open).len(), 1);
    }

    #[test]
    fn redact_json_removes_a_secret_everywhere_it_was_found_once() {
        // Found by its context in one string (a URL password), bare in others.
        let password = "CorrectHorseBatteryStaple";
        let mut value = json!({
            "command": format!("psql --password {password} -h db"),
            "stdout": format!("DATABASE_URL=postgres://app:{password}@db/prod\n"),
            "history": [format!("echo {password}"), "unrelated"],
            password: "object keys are field names and stay",
        });
        let mut report = Report::default();
        redact_json(&mut value, &mut report);
        let expected = marker("url_credentials", password);
        assert_eq!(
            value["command"],
            format!("psql --password {expected} -h db")
        );
        assert_eq!(
            value["stdout"],
            format!("DATABASE_URL=postgres://app:{expected}@db/prod\n")
        );
        assert_eq!(value["history"][0], format!("echo {expected}"));
        assert_eq!(value["history"][1], "unrelated");
        assert_eq!(value[password], "object keys are field names and stay");
        assert_eq!(report.redactions.get("url_credentials"), Some(&3));
        assert_eq!(report.total(), 3);

        // Redacting the result again finds nothing.
        let mut again = Report::default();
        let before = value.clone();
        redact_json(&mut value, &mut again);
        assert_eq!(value, before);
        assert!(again.is_empty());
    }

    #[test]
    fn redact_json_removes_private_key_lines_passed_alone() {
        // A body line too regular for the fallback, found only because the block holds it.
        let line = "A".repeat(40) + &"b".repeat(24);
        let dashes = "-".repeat(5);
        let block = format!(
            "{dashes}BEGIN RSA PRIVATE KEY{dashes}\n{line}\n{line}\n{dashes}END RSA PRIVATE KEY{dashes}"
        );
        assert_clean(&format!("echo {line}"));
        let mut value = json!({
            "tool_input": {"command": format!("echo {line} | base64 -d > k")},
            "tool_response": {"stdout": block.clone()},
        });
        let mut report = Report::default();
        redact_json(&mut value, &mut report);
        assert_eq!(
            value["tool_input"]["command"],
            format!("echo {} | base64 -d > k", marker("private_key", &line))
        );
        assert_eq!(
            value["tool_response"]["stdout"],
            marker("private_key", &block)
        );
        assert_eq!(report.redactions.get("private_key"), Some(&2));
    }

    #[test]
    fn redact_json_does_not_chase_short_or_wordlike_secrets() {
        for password in ["pw12", "password", "postgresql"] {
            let mut value = json!({
                "stdout": format!("mysql://root:{password}@db"),
                "command": format!("echo {password}; cat passwords.txt"),
            });
            let mut report = Report::default();
            redact_json(&mut value, &mut report);
            assert_eq!(
                value["command"],
                format!("echo {password}; cat passwords.txt")
            );
            assert_eq!(
                value["stdout"],
                format!("mysql://root:{}@db", marker("url_credentials", password))
            );
        }
        // Two kinds of characters make a password worth chasing, even glued to an option.
        let mut value = json!({
            "stdout": "mysql://root:hunter2hunter2@db",
            "command": "mysql -uroot -phunter2hunter2",
        });
        redact_json(&mut value, &mut Report::default());
        assert_eq!(
            value["command"],
            format!(
                "mysql -uroot -p{}",
                marker("url_credentials", "hunter2hunter2")
            )
        );
    }

    #[test]
    fn redact_json_merges_an_occurrence_overlapping_a_finding() {
        // The fallback finds a longer run in one string; the same secret recognised by its name
        // elsewhere covers part of it. The whole run goes, under one marker.
        let secret = filler(40, B64, 9300);
        let glued = format!("{secret}{}", filler(8, ALNUM, 9301));
        let mut value = json!({
            "a": format!("aws_secret_access_key = {secret}\n"),
            "b": format!("blob {glued} end"),
        });
        let mut report = Report::default();
        redact_json(&mut value, &mut report);
        let b = value["b"].as_str().unwrap();
        assert!(!b.contains(&secret[..20]), "{b}");
        assert_eq!(scan(b), Vec::new());
    }

    #[test]
    fn tiers_parse_and_name_their_versions() {
        for tier in [Tier::Capture, Tier::Egress] {
            assert_eq!(Tier::parse(tier.as_str()), Some(tier));
        }
        assert_eq!(Tier::parse("strict"), None);
        let mut report = Report::default();
        redact_tier("nothing here", Tier::Egress, &mut report);
        assert_eq!(report.scanner, EGRESS_VERSION);
        let mut value = json!({"a": "b"});
        let mut report = Report::default();
        redact_json_tier(&mut value, Tier::Egress, &mut report);
        assert_eq!(report.scanner, EGRESS_VERSION);
    }

    #[test]
    fn egress_adds_personal_data_to_what_capture_finds() {
        let token = ["gh", "p_", &filler(36, ALNUM, 9400)].concat();
        let text = format!(
            "ssh -p 22 build-7.internal && cat /home/alice/notes; \
             mail bob@acme-corp.com from 10.1.2.3 {token}"
        );
        let kinds = |tier| -> Vec<&str> { scan_tier(&text, tier).iter().map(|f| f.kind).collect() };
        assert_eq!(kinds(Tier::Capture), ["github_token"]);
        assert_eq!(
            kinds(Tier::Egress),
            [
                "hostname",
                "home_path_user",
                "email_address",
                "ip_address",
                "github_token"
            ]
        );
        let redacted = redact_tier(&text, Tier::Egress, &mut Report::default()).into_owned();
        assert!(
            redacted.contains("/home/[REDACTED:home_path_user:"),
            "{redacted}"
        );
        assert_eq!(
            redact_tier(&redacted, Tier::Egress, &mut Report::default()),
            redacted
        );
        // Public names and reserved addresses stay.
        let public =
            "git@github.com:o/r.git user@example.com 127.0.0.1 2001:db8::1 /home/runner/work";
        assert_eq!(scan_tier(public, Tier::Egress), Vec::new());
    }

    #[test]
    fn redact_extra_removes_user_literals_and_patterns() {
        let literals = vec![
            "Project Falcon".to_owned(),
            "Falcon".to_owned(),
            String::new(),
        ];
        let patterns = vec![
            Regex::new(r"ACME-[0-9]+").unwrap(),
            Regex::new(r"x*").unwrap(),
        ];
        let text = "Project Falcon ships ACME-1234; Falcon again.";
        let mut report = Report::default();
        let redacted = redact_extra(text, &literals, &patterns, &mut report).into_owned();
        assert_eq!(
            redacted,
            format!(
                "{} ships {}; {} again.",
                marker("user_literal", "Project Falcon"),
                marker("user_pattern", "ACME-1234"),
                marker("user_literal", "Falcon")
            )
        );
        assert_eq!(report.redactions["user_literal"], 2);
        assert_eq!(report.redactions["user_pattern"], 1);
        assert!(report.scanner.is_empty());
        // Our own markers are never matched, so a second pass changes nothing.
        let markers = vec![Regex::new(r"[a-z_]+").unwrap()];
        let again = redact_extra(&redacted, &literals, &[], &mut Report::default());
        assert_eq!(again, redacted);
        let only_markers = marker("user_literal", "Falcon");
        assert!(matches!(
            redact_extra(&only_markers, &[], &markers, &mut Report::default()),
            Cow::Borrowed(_)
        ));
    }

    /// `prefix` + `body` (30 characters) + the CRC32 of `body` in 6 base62 digits, as GitHub issues
    /// tokens.
    fn checksummed(prefix: &str, body: &str) -> String {
        let tail = rules::checksum_tail(body);
        format!("{prefix}{body}{}", String::from_utf8_lossy(&tail))
    }

    #[test]
    fn github_checksums_are_verified() {
        let mut leading_zero = false;
        for seed in 0..200 {
            let token = checksummed("ghp_", &filler(30, ALNUM, 9500 + seed));
            assert!(rules::has_valid_checksum(&token), "{token}");
            leading_zero |= token.as_bytes()[34] == b'0';
            let mut broken = token.clone().into_bytes();
            broken[10] = if broken[10] == b'a' { b'b' } else { b'a' };
            assert!(!rules::has_valid_checksum(
                &String::from_utf8(broken).unwrap()
            ));
        }
        assert!(leading_zero, "some CRC32 below 62^5 keeps its leading zero");
        assert!(rules::has_valid_checksum(&checksummed(
            "npm_",
            &filler(30, ALNUM, 9600)
        )));
        // A valid checksum outranks the placeholder words; an invalid one does not.
        let body = ["xxxxx", &filler(25, ALNUM, 9700)].concat();
        let issued = checksummed("ghp_", &body);
        assert_found("github_token", "GH_TOKEN=", &issued, "\n");
        let forged = [&issued[..34], "000000"].concat();
        assert_clean(&format!("GH_TOKEN={forged}\n"));
    }

    #[test]
    fn documented_placeholders_are_not_secrets() {
        for text in [
            "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "OPENAI_API_KEY=sk-...",
            "Authorization: Bearer <your-token>",
            "Authorization: Bearer ${API_TOKEN}",
            "API_KEY=your_api_key_here",
            "password: changeme",
            "SECRET_KEY=$SECRET_KEY",
            "token: xxxxxxxxxxxxxxxxxxxx",
            "GH_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
            "token: 3f786850e387550fdab836ed7e6dc881de23001b",
            "password = getpass.getpass()",
            "api_key = config.openai.api_key",
            "pub const IFLA_INET6_TOKEN: _bindgen_ty_5 = _bindgen_ty_5::IFLA_INET6_TOKEN;",
            "colon2_token: node.colon2_token,",
            "authorization = self.headers.get(\"authorization\")",
        ] {
            assert_clean(text);
        }
    }
}
