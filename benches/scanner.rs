//! Scanner throughput, hook latency and accuracy, printed as tables:
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-scanner cargo bench --bench scanner
//! ```
//!
//! Throughput is measured per tier on three inputs: the Claude and Codex transcript fixtures
//! repeated to about 20 MB and redacted line by line (as import does), the same text as one 10 MB
//! line without a newline (the worst case for patterns that span lines), and text made from
//! invalid UTF-8 by lossy decoding (replacement characters everywhere). Latency is the capture
//! tier's per 10 KB chunk, the unit of a hook payload, against the 1 ms budget. Accuracy is recall
//! and false-positive rate per kind on `tests/fixtures/secrets/corpus.jsonl`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use git_traces::security::{redact_tier, scan_tier, Report, Tier};
use serde_json::Value;

const MIX_BYTES: usize = 20 * 1024 * 1024;
const LINE_BYTES: usize = 10 * 1024 * 1024;
const CHUNK_BYTES: usize = 10 * 1024;

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture present")
}

/// The two transcripts, repeated to [`MIX_BYTES`].
fn transcript_mix() -> String {
    let one = fixture("claude/claude-session.jsonl") + &fixture("codex/codex-rollout.jsonl");
    one.repeat(MIX_BYTES / one.len() + 1)
}

/// `text` cut to at most `len` bytes, at a char boundary.
fn prefix(text: &str, len: usize) -> &str {
    let mut end = len.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The mix's bytes with every 64th byte made invalid UTF-8, decoded lossily.
fn lossy(mix: &str) -> String {
    let mut bytes = prefix(mix, LINE_BYTES).as_bytes().to_vec();
    for index in (0..bytes.len()).step_by(64) {
        bytes[index] = 0xff;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Seconds to redact each of `texts` at `tier`, best of three runs.
fn time_redact(texts: &[&str], tier: Tier) -> f64 {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            for text in texts {
                black_box(redact_tier(black_box(text), tier, &mut Report::default()));
            }
            started.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn throughput(mix: &str) {
    let lines: Vec<&str> = mix.split_inclusive('\n').collect();
    let single = prefix(mix, LINE_BYTES).replace('\n', " ");
    let lossy = lossy(mix);
    let inputs: [(&str, Vec<&str>); 3] = [
        ("transcripts, per line", lines),
        ("one 10 MB line", vec![single.as_str()]),
        ("lossy invalid UTF-8", lossy.split_inclusive('\n').collect()),
    ];
    println!("## Throughput (MB/s, best of 3)\n");
    println!("| input | MB | capture | egress |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, texts) in &inputs {
        let bytes: usize = texts.iter().map(|text| text.len()).sum();
        let mb = bytes as f64 / 1e6;
        let capture = mb / time_redact(texts, Tier::Capture);
        let egress = mb / time_redact(texts, Tier::Egress);
        println!("| {name} | {mb:.1} | {capture:.0} | {egress:.0} |");
    }
}

/// The mix cut into chunks of about [`CHUNK_BYTES`], at char boundaries.
fn chunks(mix: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = mix;
    while !rest.is_empty() {
        let chunk = prefix(rest, CHUNK_BYTES);
        let chunk = if chunk.is_empty() { rest } else { chunk };
        out.push(chunk);
        rest = &rest[chunk.len()..];
    }
    out
}

fn latency(mix: &str) {
    let mut times: Vec<Duration> = chunks(mix)
        .into_iter()
        .map(|chunk| {
            let started = Instant::now();
            black_box(redact_tier(
                black_box(chunk),
                Tier::Capture,
                &mut Report::default(),
            ));
            started.elapsed()
        })
        .collect();
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    println!(
        "\n## Capture latency per 10 KB ({} chunks; budget 1000 µs)\n",
        times.len()
    );
    println!("| median µs | p99 µs | max µs |");
    println!("| ---: | ---: | ---: |");
    println!("| {:.1} | {:.1} | {:.1} |", at(0.5), at(0.99), at(1.0));
}

#[derive(Default)]
struct Score {
    positives: usize,
    found: usize,
    /// Negatives of the tier on which this kind was reported.
    false_positives: usize,
}

fn accuracy() {
    let path = format!(
        "{}/tests/fixtures/secrets/corpus.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let rows: Vec<Value> = std::fs::read_to_string(path)
        .expect("corpus present")
        .lines()
        .map(|line| serde_json::from_str(line).expect("corpus row"))
        .collect();
    let mut scores: BTreeMap<(String, &str), Score> = BTreeMap::new();
    let mut negatives: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &rows {
        let tier = Tier::parse(row["tier"].as_str().unwrap_or_default()).expect("corpus tier");
        let text = row["text"].as_str().unwrap_or_default();
        let findings = scan_tier(text, tier);
        match row["kind"].as_str() {
            Some(kind) => {
                let secret = row["secret"].as_str().unwrap_or_default();
                let start = text.find(secret).expect("secret in text");
                let end = start + secret.len();
                let score = scores.entry((kind.to_owned(), tier.as_str())).or_default();
                score.positives += 1;
                if findings
                    .iter()
                    .any(|f| f.kind == kind && f.start <= start && end <= f.end)
                {
                    score.found += 1;
                }
            }
            None => {
                *negatives.entry(tier.as_str()).or_default() += 1;
                for finding in &findings {
                    let key = (finding.kind.to_owned(), tier.as_str());
                    scores.entry(key).or_default().false_positives += 1;
                }
            }
        }
    }
    println!("\n## Corpus accuracy\n");
    println!("| kind | tier | positives | recall | false positives |");
    println!("| --- | --- | ---: | ---: | ---: |");
    let (mut positives, mut found) = (0, 0);
    for ((kind, tier), score) in &scores {
        positives += score.positives;
        found += score.found;
        let recall = score.found as f64 / score.positives.max(1) as f64;
        let negatives = negatives.get(tier).copied().unwrap_or_default();
        println!(
            "| {kind} | {tier} | {} | {recall:.3} | {}/{negatives} |",
            score.positives, score.false_positives
        );
    }
    println!(
        "\noverall recall {found}/{positives} = {:.3}; {} kinds",
        found as f64 / positives as f64,
        scores.len()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a filter this harness does not take.
    let mix = transcript_mix();
    throughput(&mix);
    latency(&mix);
    accuracy();
}
