//! The scanner against its labelled corpus (`tests/fixtures/secrets/corpus.jsonl`, written by
//! `bench/make_secret_corpus.py`): minimum recall per kind and overall, no false positive on the
//! hard negatives, egress finding everything capture finds, and redaction that is idempotent.

use std::collections::BTreeMap;

use git_traces::security::{redact_tier, scan_tier, Report, Tier};
use serde::Deserialize;

#[derive(Deserialize)]
struct Row {
    kind: Option<String>,
    tier: String,
    text: String,
    #[serde(default)]
    secret: String,
}

impl Row {
    fn tier(&self) -> Tier {
        Tier::parse(&self.tier).expect("corpus tier")
    }
}

fn corpus() -> Vec<Row> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/secrets/corpus.jsonl"
    );
    std::fs::read_to_string(path)
        .expect("corpus present: run bench/make_secret_corpus.py")
        .lines()
        .map(|line| serde_json::from_str(line).expect("corpus row"))
        .collect()
}

/// Whether scanning the row's text at `tier` reports a finding of `kind` covering its secret.
fn found(row: &Row, kind: &str, tier: Tier) -> bool {
    let start = row.text.find(&row.secret).expect("secret is in its text");
    let end = start + row.secret.len();
    scan_tier(&row.text, tier)
        .iter()
        .any(|finding| finding.kind == kind && finding.start <= start && end <= finding.end)
}

#[test]
fn recall_is_high_for_every_kind() {
    let rows = corpus();
    let mut per_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut missed = Vec::new();
    for row in &rows {
        let Some(kind) = row.kind.as_deref() else {
            continue;
        };
        let entry = per_kind.entry(kind).or_default();
        entry.1 += 1;
        if found(row, kind, row.tier()) {
            entry.0 += 1;
        } else {
            missed.push(format!(
                "{kind}: {:?} -> {:?}",
                row.text,
                scan_tier(&row.text, row.tier())
            ));
        }
    }
    let (hits, total) = per_kind
        .values()
        .fold((0, 0), |(hits, total), (h, t)| (hits + h, total + t));
    assert!(total >= 300, "only {total} positives");
    assert!(per_kind.len() >= 30, "only {} kinds", per_kind.len());
    assert!(
        hits as f64 >= 0.95 * total as f64,
        "overall recall {hits}/{total}; missed:\n{}",
        missed.join("\n")
    );
    for (kind, (hits, total)) in &per_kind {
        assert!(
            *hits as f64 >= 0.9 * *total as f64,
            "{kind}: recall {hits}/{total}; missed:\n{}",
            missed.join("\n")
        );
    }
}

#[test]
fn hard_negatives_are_left_alone() {
    let rows = corpus();
    let negatives: Vec<&Row> = rows.iter().filter(|row| row.kind.is_none()).collect();
    assert!(negatives.len() >= 100);
    let mut false_positives = Vec::new();
    for row in negatives {
        let findings = scan_tier(&row.text, row.tier());
        if !findings.is_empty() {
            false_positives.push(format!("{:?} -> {findings:?}", row.text));
        }
    }
    assert!(
        false_positives.is_empty(),
        "false positives:\n{}",
        false_positives.join("\n")
    );
}

#[test]
fn egress_removes_everything_capture_removes() {
    for row in corpus()
        .iter()
        .filter(|row| row.kind.is_some() && row.tier() == Tier::Capture)
    {
        let redacted = redact_tier(&row.text, Tier::Egress, &mut Report::default());
        assert!(!redacted.contains(&row.secret), "{redacted}");
    }
}

#[test]
fn redacting_twice_changes_nothing_in_either_tier() {
    for row in corpus().iter().filter(|row| row.kind.is_some()) {
        for tier in [Tier::Capture, Tier::Egress] {
            let mut report = Report::default();
            let once = redact_tier(&row.text, tier, &mut report).into_owned();
            assert_eq!(report.scanner, tier.version());
            let again = redact_tier(&once, tier, &mut Report::default());
            assert_eq!(again, once, "{tier:?} changed its own output");
        }
    }
}

/// The generator's CRC32 tails must be what the scanner verifies: a token whose body spells a
/// placeholder word is found only through a valid checksum.
#[test]
fn generated_checksums_are_valid() {
    let rows = corpus();
    let spelled: Vec<&Row> = rows
        .iter()
        .filter(|row| row.kind.as_deref() == Some("github_token") && row.secret.contains("xxxxx"))
        .collect();
    assert!(!spelled.is_empty());
    for row in spelled {
        assert!(found(row, "github_token", Tier::Capture), "{}", row.text);
    }
}
