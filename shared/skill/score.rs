//! Scores the versions of an agent skill from the real runs of that skill, and refuses to score
//! when the labels behind the score cannot be trusted.
//!
//! This is the math behind `git trace skill score <skill>`: no I/O, no git, no randomness. The
//! caller turns sessions into [`Run`]s (deterministic criteria plus labels); [`score`] returns a
//! [`Report`]. The same runs always give the same report.
//!
//! # Split
//!
//! Each session goes to the calibration side or the held-out side by the first byte of
//! sha256(session id) ([`SPLIT_RULE`]). The side depends on the id alone: not on which runs are
//! scored, their order or their labels, so relabelling a run cannot move it across, and all the
//! runs of one session sit on the same side (runs of a session share context; splitting them
//! would let the rubric see its own test).
//!
//! # Rubric
//!
//! The criteria are the union of the names the runs carry, sorted. A criterion's weight is how
//! much higher it is on good runs than on bad ones among the calibration side's labeled runs
//! (label-weighted means), clipped at 0 so that a criterion going the wrong way is dropped rather
//! than used upside down, then normalised so the weights sum to 1. A run's score is the weighted
//! sum of its criteria, in 0..=1; an absent criterion counts as its mean over all runs, so missing
//! data neither helps nor hurts.
//!
//! # Discrimination
//!
//! The rubric is learned on one side and judged on the other: the held-out AUC (Mann–Whitney, the
//! share of good/bad pairs of held-out labeled runs where the good run scores higher, ties
//! counting half) says whether the score ranks runs the way the labels do on sessions the weights
//! never saw. The calibration-side AUC is reported for comparison only: it flatters the rubric.
//!
//! Versions are scored on all their runs, both sides. "Kept apart" means the weights come only
//! from calibration-side labels and discrimination is measured only on held-out runs, not that
//! held-out runs go unscored.
//!
//! # Refusals
//!
//! Checked in this order; the first that applies becomes the status, with the number that decided
//! it, the number needed and a sentence saying what would unblock it:
//!
//! 1. `blocked_self_graded`: a label was made from inside an agent session, or a criterion is one
//!    the caller derived from the skill's own text. A skill must not grade itself.
//! 2. `blocked_no_labels`: no run has a trusted label.
//! 3. `blocked_insufficient_labels`: a side has fewer than `min_labels` labeled runs, or fewer
//!    than two good or two bad ones (an AUC needs both classes).
//! 4. `blocked_insufficient_runs`: the latest version, or the one before it, has fewer than
//!    `min_runs_per_version` runs.
//! 5. `blocked_inverted`: held-out AUC ≤ 1 − `min_auc`. The rubric ranks bad runs above good
//!    ones: the two sides of the split disagree about what good means.
//! 6. `blocked_non_discriminating`: held-out AUC < `min_auc`, or every weight is 0 (reported as
//!    an AUC of 0.5).
//!
//! # Verdict
//!
//! Only a scored report compares versions: the difference of average scores, latest minus the one
//! before it, with a 90% interval from the normal approximation to Welch's test
//! (delta ± 1.645 × sqrt(var_a/n_a + var_b/n_b), sample variances). The latest version is kept
//! when the whole interval is above 0, reverted when it is below 0, and the call is inconclusive
//! otherwise.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// How sessions are split, in one line (shown next to every report).
pub const SPLIT_RULE: &str = "a session calibrates the rubric when the first byte of sha256(session id) is even, and is held out to test it when odd";

/// A run whose label is at or above this is good.
const GOOD_AT: f64 = 0.5;
/// Good runs, and bad runs, that each side needs at least: an AUC needs both classes, and one
/// run of a class is an anecdote.
const MIN_PER_CLASS: usize = 2;
/// Two-sided 90% quantile of the standard normal.
const Z_90: f64 = 1.645;

/// One run of the skill, as the caller extracted it from a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Session id; it alone decides the run's side of the split.
    pub session: String,
    /// Git blob id of the skill file at that run.
    pub version: String,
    /// RFC 3339, UTC. Versions are ordered by their first run's `started_at`, compared as text,
    /// so every run must use the same format.
    pub started_at: String,
    /// Deterministic criteria over the evidence, each normalised to 0.0..=1.0 where 1.0 is "more
    /// of it" ("tests_passed", "patches_alive", "fast", "cheap", …). A missing criterion is
    /// absent, not 0; values outside 0..=1 are clamped and non-finite ones count as absent.
    pub criteria: BTreeMap<String, f64>,
    pub labels: Vec<Label>,
}

/// One judgement of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    /// 1.0 good, 0.0 bad: a human "good" is 1.0 and "bad" 0.0; a surviving patch is 1.0 and a
    /// reverted or lost one 0.0.
    pub value: f64,
    /// How much this label counts against the run's other labels and in the label-weighted means
    /// of calibration. The weights are the caller's choice (a human label is 1.0, weak survival
    /// labels less); this module only uses them. A weight that is not positive counts as no label.
    pub weight: f64,
    pub source: LabelSource,
}

/// Who made a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelSource {
    Human,
    Survival,
    /// Made from inside an agent session: never trusted, and its presence blocks the score.
    SelfGraded,
}

/// The side of the split a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Its labels set the rubric's weights.
    Calibration,
    /// Its labels test the rubric.
    HeldOut,
}

/// The side of `session`, by [`SPLIT_RULE`].
pub fn side(session: &str) -> Side {
    if Sha256::digest(session.as_bytes())[0] % 2 == 0 {
        Side::Calibration
    } else {
        Side::HeldOut
    }
}

/// Thresholds of the score and of its refusals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// A run passes when its score is at or above this.
    pub threshold: f64,
    /// Held-out AUC the rubric needs; at or below 1 − this it is inverted. Meant to be above 0.5.
    pub min_auc: f64,
    /// Labeled runs each side of the split needs.
    pub min_labels: usize,
    /// Runs the latest version and the one before it each need.
    pub min_runs_per_version: usize,
    /// Criteria the caller derived from the skill's own text: present in a run, they block the
    /// score as self-graded.
    pub forbidden_criteria: BTreeSet<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold: 0.70,
            min_auc: 0.70,
            min_labels: 6,
            min_runs_per_version: 3,
            forbidden_criteria: BTreeSet::new(),
        }
    }
}

/// Why the score was refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blocked {
    /// `blocked_*`, the same as [`Report::status`].
    pub status: String,
    /// The number that decided it (a count, or the held-out AUC).
    pub value: f64,
    /// The number it had to reach.
    pub needed: f64,
    /// What would unblock it, as a sentence.
    pub unblock: String,
}

/// One criterion of the rubric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    pub name: String,
    /// Share of the score, 0..=1; the weights of a non-empty rubric sum to 1.
    pub weight: f64,
    /// Label-weighted mean on good calibration runs minus that on bad ones, before clipping;
    /// `None` when either class has no value for it.
    pub separation: Option<f64>,
    /// Mean over all runs that have it: what a run without it counts as.
    pub mean: f64,
}

/// The weighted criteria a run's score is made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rubric {
    /// Every criterion seen, sorted by name, including those whose weight is 0.
    pub criteria: Vec<Criterion>,
}

impl Rubric {
    /// True when no criterion separates good runs from bad ones on the calibration side.
    pub fn is_empty(&self) -> bool {
        self.criteria.iter().all(|c| c.weight <= 0.0)
    }

    /// The score of `run`, in 0..=1 (0 for an empty rubric).
    pub fn score(&self, run: &Run) -> f64 {
        let sum: f64 = self
            .criteria
            .iter()
            .map(|c| c.weight * criterion(run, &c.name).unwrap_or(c.mean))
            .sum();
        sum.clamp(0.0, 1.0)
    }
}

/// Counts of one side of the split.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SideCounts {
    pub sessions: usize,
    pub runs: usize,
    /// Runs with a trusted label (human or survival, positive weight).
    pub labeled: usize,
    pub good: usize,
    pub bad: usize,
}

/// How the rubric was calibrated and tested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub split_rule: String,
    pub calibration: SideCounts,
    pub held_out: SideCounts,
    /// For information only: measured on the runs the weights were learned from.
    pub auc_calibration: Option<f64>,
    /// The discrimination that decides; `None` without both good and bad held-out runs.
    pub auc_held_out: Option<f64>,
}

/// One version of the skill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionScore {
    pub version: String,
    pub first_run_at: String,
    pub runs: usize,
    /// Mean score over all the version's runs; `None` when blocked.
    pub average: Option<f64>,
    /// Runs scoring at or above the threshold; `None` when blocked.
    pub passing: Option<usize>,
    /// `passing` over `runs`; `None` when blocked.
    pub pass_share: Option<f64>,
}

/// What to do with the latest version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The whole interval is above 0: the latest version is better.
    Keep,
    /// The whole interval is below 0: the latest version is worse.
    Revert,
    /// The interval contains 0.
    Inconclusive,
}

/// The latest version against the one before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub previous: String,
    pub latest: String,
    /// Average of the latest minus average of the previous.
    pub delta: f64,
    /// Bounds of the 90% interval for `delta`.
    pub low: f64,
    pub high: f64,
    pub decision: Decision,
}

/// Everything `git trace skill score` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `scored` or one of the `blocked_*` refusals.
    pub status: String,
    pub blocked: Option<Blocked>,
    /// Filled even when blocked.
    pub rubric: Rubric,
    pub calibration: Calibration,
    /// In order of first run.
    pub versions: Vec<VersionScore>,
    /// Only when scored and there are at least two versions.
    pub verdict: Option<Verdict>,
}

/// The weighted mean of a run's trusted labels and their total weight.
#[derive(Debug, Clone, Copy)]
struct Trusted {
    value: f64,
    weight: f64,
}

impl Trusted {
    fn good(self) -> bool {
        self.value >= GOOD_AT
    }
}

/// A run with what the report needs of it.
struct Seen<'a> {
    run: &'a Run,
    side: Side,
    label: Option<Trusted>,
    score: f64,
}

/// The scores of one version's runs, with the time of its first run.
struct Group<'a> {
    version: &'a str,
    first_run_at: &'a str,
    scores: Vec<f64>,
}

/// Scores the versions of a skill from its runs, or refuses to (see the module doc).
pub fn score(runs: &[Run], options: &Options) -> Report {
    let rubric = rubric(runs);
    let seen: Vec<Seen> = runs
        .iter()
        .map(|run| Seen {
            run,
            side: side(&run.session),
            label: trusted(run),
            score: rubric.score(run),
        })
        .collect();
    let calibration = calibration(&seen);
    let groups = groups(&seen);
    let blocked = refusal(runs, options, &calibration, &groups, &rubric);
    let scored = blocked.is_none();
    Report {
        status: blocked
            .as_ref()
            .map_or_else(|| "scored".to_string(), |b| b.status.clone()),
        blocked,
        rubric,
        calibration,
        versions: groups
            .iter()
            .map(|g| version_score(g, scored, options.threshold))
            .collect(),
        verdict: if scored { verdict(&groups) } else { None },
    }
}

/// A run's criterion, clamped to 0..=1; `None` when absent or not a number.
fn criterion(run: &Run, name: &str) -> Option<f64> {
    run.criteria
        .get(name)
        .filter(|v| v.is_finite())
        .map(|v| v.clamp(0.0, 1.0))
}

/// The run's label from its human and survival labels; `None` when it has none with weight.
fn trusted(run: &Run) -> Option<Trusted> {
    let (weight, sum) = run
        .labels
        .iter()
        .filter(|l| l.source != LabelSource::SelfGraded)
        .filter(|l| l.weight > 0.0 && l.weight.is_finite() && l.value.is_finite())
        .fold((0.0, 0.0), |(w, s), l| {
            (w + l.weight, s + l.weight * l.value)
        });
    (weight > 0.0).then(|| Trusted {
        value: sum / weight,
        weight,
    })
}

/// Mean of `(value, weight)` pairs; `None` when the weights sum to nothing.
fn weighted_mean(items: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    let (sum, weight) = items.fold((0.0, 0.0), |(s, w), (v, x)| (s + v * x, w + x));
    (weight > 0.0).then(|| sum / weight)
}

/// The rubric: weights from the calibration side's labeled runs only.
fn rubric(runs: &[Run]) -> Rubric {
    let calibrating: Vec<(&Run, Trusted)> = runs
        .iter()
        .filter(|r| side(&r.session) == Side::Calibration)
        .filter_map(|r| trusted(r).map(|t| (r, t)))
        .collect();
    let mut criteria: Vec<Criterion> = criterion_means(runs)
        .into_iter()
        .map(|(name, mean)| {
            let separation = separation(&calibrating, name);
            Criterion {
                name: name.to_string(),
                weight: separation.unwrap_or(0.0).max(0.0),
                separation,
                mean,
            }
        })
        .collect();
    let total: f64 = criteria.iter().map(|c| c.weight).sum();
    if total > 0.0 {
        criteria.iter_mut().for_each(|c| c.weight /= total);
    }
    Rubric { criteria }
}

/// Each criterion any run has, with its mean over the runs that have it.
fn criterion_means(runs: &[Run]) -> BTreeMap<&str, f64> {
    let mut sums: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for run in runs {
        for name in run.criteria.keys() {
            if let Some(v) = criterion(run, name) {
                let entry = sums.entry(name).or_default();
                *entry = (entry.0 + v, entry.1 + 1.0);
            }
        }
    }
    sums.into_iter()
        .map(|(name, (sum, count))| (name, sum / count))
        .collect()
}

/// Label-weighted mean of a criterion on good runs minus that on bad runs.
fn separation(labeled: &[(&Run, Trusted)], name: &str) -> Option<f64> {
    let class_mean = |good: bool| {
        weighted_mean(
            labeled
                .iter()
                .filter(|(_, t)| t.good() == good)
                .filter_map(|(r, t)| criterion(r, name).map(|v| (v, t.weight))),
        )
    };
    Some(class_mean(true)? - class_mean(false)?)
}

/// Mann–Whitney AUC: the share of (good, bad) pairs where the good run scores higher, ties
/// counting half; `None` without both classes.
fn auc(scored: &[(f64, bool)]) -> Option<f64> {
    let class = |good: bool| -> Vec<f64> {
        scored
            .iter()
            .filter(|(_, g)| *g == good)
            .map(|(s, _)| *s)
            .collect()
    };
    let (good, bad) = (class(true), class(false));
    if good.is_empty() || bad.is_empty() {
        return None;
    }
    let wins: f64 = good
        .iter()
        .flat_map(|g| bad.iter().map(move |b| pair_win(*g, *b)))
        .sum();
    Some(wins / (good.len() * bad.len()) as f64)
}

/// 1 when the good run scores higher, 0.5 on a tie, 0 otherwise.
fn pair_win(good: f64, bad: f64) -> f64 {
    if good > bad {
        1.0
    } else if good == bad {
        0.5
    } else {
        0.0
    }
}

/// Counts and AUCs of both sides.
fn calibration(seen: &[Seen]) -> Calibration {
    Calibration {
        split_rule: SPLIT_RULE.to_string(),
        calibration: side_counts(seen, Side::Calibration),
        held_out: side_counts(seen, Side::HeldOut),
        auc_calibration: side_auc(seen, Side::Calibration),
        auc_held_out: side_auc(seen, Side::HeldOut),
    }
}

fn side_counts(seen: &[Seen], side: Side) -> SideCounts {
    let on_side: Vec<&Seen> = seen.iter().filter(|s| s.side == side).collect();
    let labels: Vec<Trusted> = on_side.iter().filter_map(|s| s.label).collect();
    let good = labels.iter().filter(|t| t.good()).count();
    SideCounts {
        sessions: on_side
            .iter()
            .map(|s| s.run.session.as_str())
            .collect::<BTreeSet<_>>()
            .len(),
        runs: on_side.len(),
        labeled: labels.len(),
        good,
        bad: labels.len() - good,
    }
}

fn side_auc(seen: &[Seen], side: Side) -> Option<f64> {
    let scored: Vec<(f64, bool)> = seen
        .iter()
        .filter(|s| s.side == side)
        .filter_map(|s| s.label.map(|t| (s.score, t.good())))
        .collect();
    auc(&scored)
}

/// Runs grouped by version, ordered by first run (then by id, so ties stay deterministic).
fn groups<'a>(seen: &[Seen<'a>]) -> Vec<Group<'a>> {
    let mut by_version: BTreeMap<&str, Group> = BTreeMap::new();
    for s in seen {
        let group = by_version
            .entry(s.run.version.as_str())
            .or_insert_with(|| Group {
                version: &s.run.version,
                first_run_at: &s.run.started_at,
                scores: Vec::new(),
            });
        group.first_run_at = group.first_run_at.min(s.run.started_at.as_str());
        group.scores.push(s.score);
    }
    let mut groups: Vec<Group> = by_version.into_values().collect();
    groups.sort_by(|a, b| (a.first_run_at, a.version).cmp(&(b.first_run_at, b.version)));
    groups
}

/// The first refusal that applies, in the order of the module doc.
fn refusal(
    runs: &[Run],
    options: &Options,
    calibration: &Calibration,
    groups: &[Group],
    rubric: &Rubric,
) -> Option<Blocked> {
    self_graded(runs)
        .or_else(|| forbidden(runs, &options.forbidden_criteria))
        .or_else(|| no_labels(calibration, options))
        .or_else(|| insufficient_labels(calibration, options))
        .or_else(|| insufficient_runs(groups, options))
        .or_else(|| discrimination(rubric, calibration.auc_held_out, options))
}

fn blocked(status: &str, value: f64, needed: f64, unblock: String) -> Option<Blocked> {
    Some(Blocked {
        status: status.to_string(),
        value,
        needed,
        unblock,
    })
}

fn self_graded(runs: &[Run]) -> Option<Blocked> {
    let count = runs
        .iter()
        .flat_map(|r| &r.labels)
        .filter(|l| l.source == LabelSource::SelfGraded)
        .count();
    if count == 0 {
        return None;
    }
    blocked(
        "blocked_self_graded",
        count as f64,
        0.0,
        "remove ratings made from inside an agent session (git trace rate --delete …) and rate as a human".to_string(),
    )
}

fn forbidden(runs: &[Run], forbidden: &BTreeSet<String>) -> Option<Blocked> {
    let found: BTreeSet<&str> = runs
        .iter()
        .flat_map(|r| r.criteria.keys())
        .filter(|name| forbidden.contains(*name))
        .map(String::as_str)
        .collect();
    if found.is_empty() {
        return None;
    }
    let names: Vec<&str> = found.iter().copied().collect();
    blocked(
        "blocked_self_graded",
        found.len() as f64,
        0.0,
        format!(
            "drop the criteria taken from the skill's own text ({}): a skill must not be scored by what it says about itself",
            names.join(", ")
        ),
    )
}

fn no_labels(calibration: &Calibration, options: &Options) -> Option<Blocked> {
    if calibration.calibration.labeled + calibration.held_out.labeled > 0 {
        return None;
    }
    blocked(
        "blocked_no_labels",
        0.0,
        options.min_labels as f64,
        format!(
            "rate runs of this skill as a human (git trace rate) or let survival labels accrue, until each side of the split has at least {} labeled runs",
            options.min_labels
        ),
    )
}

fn insufficient_labels(calibration: &Calibration, options: &Options) -> Option<Blocked> {
    let sides = [
        ("calibration", &calibration.calibration),
        ("held-out", &calibration.held_out),
    ];
    sides.into_iter().find_map(|(name, counts)| {
        [
            (counts.labeled, options.min_labels, "labeled runs"),
            (counts.good, MIN_PER_CLASS, "runs labeled good"),
            (counts.bad, MIN_PER_CLASS, "runs labeled bad"),
        ]
        .into_iter()
        .find(|(have, need, _)| have < need)
        .and_then(|(have, need, what)| {
            blocked(
                "blocked_insufficient_labels",
                have as f64,
                need as f64,
                format!(
                    "{need} {what} are needed from {name} sessions and there are {have}: rate more runs as a human (git trace rate) or let survival labels accrue ({SPLIT_RULE})"
                ),
            )
        })
    })
}

fn insufficient_runs(groups: &[Group], options: &Options) -> Option<Blocked> {
    let need = options.min_runs_per_version;
    groups
        .iter()
        .rev()
        .take(2)
        .find(|g| g.scores.len() < need)
        .and_then(|g| {
            let have = g.scores.len();
            let short: String = g.version.chars().take(12).collect();
            blocked(
                "blocked_insufficient_runs",
                have as f64,
                need as f64,
                format!("run version {short} of the skill at least {need} times ({have} so far)"),
            )
        })
}

fn discrimination(
    rubric: &Rubric,
    auc_held_out: Option<f64>,
    options: &Options,
) -> Option<Blocked> {
    let needed = options.min_auc;
    let non_discriminating = |value: f64| {
        blocked(
            "blocked_non_discriminating",
            value,
            needed,
            "the criteria do not tell good runs from bad ones: add a criterion that does, or label more runs".to_string(),
        )
    };
    if rubric.is_empty() {
        return non_discriminating(0.5);
    }
    let auc = auc_held_out.unwrap_or(0.5);
    if auc <= 1.0 - needed {
        return blocked(
            "blocked_inverted",
            auc,
            needed,
            "the rubric ranks bad held-out runs above good ones: check that labels mean 1.0 = good and that held-out and calibration sessions were judged the same way".to_string(),
        );
    }
    if auc < needed {
        return non_discriminating(auc);
    }
    None
}

fn version_score(group: &Group, scored: bool, threshold: f64) -> VersionScore {
    let runs = group.scores.len();
    let passing = group.scores.iter().filter(|s| **s >= threshold).count();
    VersionScore {
        version: group.version.to_string(),
        first_run_at: group.first_run_at.to_string(),
        runs,
        average: scored.then(|| mean(&group.scores)),
        passing: scored.then_some(passing),
        pass_share: scored.then(|| passing as f64 / runs as f64),
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Sample variance; 0 for fewer than two values, which have no spread to estimate.
fn sample_variance(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let m = mean(values);
    values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64
}

/// The latest version against the one before it; `None` with a single version.
fn verdict(groups: &[Group]) -> Option<Verdict> {
    let [.., previous, latest] = groups else {
        return None;
    };
    let delta = mean(&latest.scores) - mean(&previous.scores);
    let spread = |g: &Group| sample_variance(&g.scores) / g.scores.len() as f64;
    let half = Z_90 * (spread(latest) + spread(previous)).sqrt();
    let (low, high) = (delta - half, delta + half);
    let decision = if low > 0.0 {
        Decision::Keep
    } else if high < 0.0 {
        Decision::Revert
    } else {
        Decision::Inconclusive
    };
    Some(Verdict {
        previous: previous.version.to_string(),
        latest: latest.version.to_string(),
        delta,
        low,
        high,
        decision,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSIONS: usize = 60;
    const RUNS_PER_SESSION: usize = 3;

    fn digest(key: &str) -> [u8; 32] {
        Sha256::digest(key.as_bytes()).into()
    }

    fn hex(key: &str) -> String {
        digest(key).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A pseudo-random number in 0..1 derived from `key`.
    fn unit(key: &str) -> f64 {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest(key)[..8]);
        u64::from_be_bytes(bytes) as f64 / 2f64.powi(64)
    }

    fn version(name: &str) -> String {
        hex(&format!("version {name}"))[..40].to_string()
    }

    fn human(value: f64) -> Label {
        Label {
            value,
            weight: 1.0,
            source: LabelSource::Human,
        }
    }

    /// One run whose quality is `base` plus noise; its criteria and its label follow the quality,
    /// "cheap" does not. The draws depend on the session's rank within its version, so two
    /// versions with the same base have identical runs.
    fn run(session: usize, r: usize, base: f64, name: &str, month: u32) -> Run {
        let key = format!("{} {r}", session % (SESSIONS / 2));
        let quality = base + 0.6 * (unit(&format!("quality {key}")) - 0.5);
        let noisy =
            |what: &str| (quality + 0.2 * (unit(&format!("{what} {key}")) - 0.5)).clamp(0.0, 1.0);
        let value = if noisy("label") >= 0.5 { 1.0 } else { 0.0 };
        let mut labels = vec![human(value)];
        if r == 0 {
            labels.push(Label {
                value,
                weight: 0.3,
                source: LabelSource::Survival,
            });
        }
        Run {
            session: hex(&format!("session {session}"))[..32].to_string(),
            version: version(name),
            started_at: format!("2025-{month:02}-{:02}T10:{r:02}:00Z", session % 28 + 1),
            criteria: BTreeMap::from([
                ("patches_alive".to_string(), noisy("alive")),
                ("no_reverts".to_string(), noisy("reverts")),
                ("cheap".to_string(), unit(&format!("cheap {key}"))),
            ]),
            labels,
        }
    }

    /// 60 sessions of three runs: the first half on version A, the second on version B.
    fn population(base_a: f64, base_b: f64) -> Vec<Run> {
        (0..SESSIONS)
            .flat_map(|s| {
                let (base, name, month) = if s < SESSIONS / 2 {
                    (base_a, "A", 1)
                } else {
                    (base_b, "B", 2)
                };
                (0..RUNS_PER_SESSION).map(move |r| run(s, r, base, name, month))
            })
            .collect()
    }

    fn better_b() -> Vec<Run> {
        population(0.35, 0.65)
    }

    fn status(runs: &[Run]) -> String {
        score(runs, &Options::default()).status
    }

    fn weight(report: &Report, name: &str) -> f64 {
        report
            .rubric
            .criteria
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.weight)
            .unwrap()
    }

    /// `runs` with their labels dealt out again by a permutation picked by `round`.
    fn shuffled(runs: &[Run], round: usize) -> Vec<Run> {
        let mut order: Vec<usize> = (0..runs.len()).collect();
        order.sort_by_key(|i| hex(&format!("permutation {round} {i}")));
        runs.iter()
            .zip(&order)
            .map(|(r, &from)| Run {
                labels: runs[from].labels.clone(),
                ..r.clone()
            })
            .collect()
    }

    fn invert_labels(run: &mut Run) {
        run.labels.iter_mut().for_each(|l| l.value = 1.0 - l.value);
    }

    #[test]
    fn better_latest_version_is_kept() {
        let report = score(&better_b(), &Options::default());
        assert_eq!(report.status, "scored", "{:?}", report.blocked);
        let verdict = report.verdict.as_ref().unwrap();
        assert_eq!(verdict.decision, Decision::Keep, "{verdict:?}");
        assert_eq!(verdict.latest, version("B"));
        assert!(verdict.low > 0.0);
        assert!(report.calibration.auc_held_out.unwrap() >= 0.7);
        assert!(weight(&report, "cheap") < 0.1, "{:?}", report.rubric);
        assert!(weight(&report, "patches_alive") > 0.3);
        assert!(weight(&report, "no_reverts") > 0.3);
        let [a, b] = &report.versions[..] else {
            panic!("two versions expected: {:?}", report.versions)
        };
        assert_eq!(
            (a.version.as_str(), a.runs),
            (version("A").as_str(), SESSIONS / 2 * RUNS_PER_SESSION)
        );
        assert!(b.average.unwrap() > a.average.unwrap());
        assert!(b.pass_share.unwrap() > a.pass_share.unwrap());
    }

    #[test]
    fn worse_latest_version_is_reverted() {
        let report = score(&population(0.65, 0.35), &Options::default());
        assert_eq!(report.status, "scored", "{:?}", report.blocked);
        let verdict = report.verdict.unwrap();
        assert_eq!(verdict.decision, Decision::Revert, "{verdict:?}");
        assert!(verdict.high < 0.0);
    }

    #[test]
    fn equal_versions_are_inconclusive() {
        let report = score(&population(0.5, 0.5), &Options::default());
        assert_eq!(report.status, "scored", "{:?}", report.blocked);
        let verdict = report.verdict.unwrap();
        assert_eq!(verdict.decision, Decision::Inconclusive);
        assert!(verdict.low < 0.0 && verdict.high > 0.0, "{verdict:?}");
    }

    #[test]
    fn shuffled_labels_are_never_scored() {
        let runs = better_b();
        for round in 0..5 {
            let shuffled = shuffled(&runs, round);
            assert_ne!(shuffled, runs);
            let report = score(&shuffled, &Options::default());
            assert!(
                ["blocked_non_discriminating", "blocked_inverted"]
                    .contains(&report.status.as_str()),
                "round {round}: {} {:?}",
                report.status,
                report.calibration
            );
            assert!(report.verdict.is_none());
            assert!(report.versions.iter().all(|v| v.average.is_none()));
        }
    }

    #[test]
    fn no_labels_blocks() {
        let runs: Vec<Run> = better_b()
            .into_iter()
            .map(|r| Run {
                labels: Vec::new(),
                ..r
            })
            .collect();
        let report = score(&runs, &Options::default());
        assert_eq!(report.status, "blocked_no_labels");
        assert!(report.rubric.is_empty());
    }

    #[test]
    fn too_few_labels_on_a_side_block() {
        let mut kept = 0;
        let runs: Vec<Run> = better_b()
            .into_iter()
            .map(|mut r| {
                if side(&r.session) == Side::Calibration {
                    kept += 1;
                    if kept > 4 {
                        r.labels.clear();
                    }
                }
                r
            })
            .collect();
        let blocked = score(&runs, &Options::default()).blocked.unwrap();
        assert_eq!(blocked.status, "blocked_insufficient_labels");
        assert_eq!((blocked.value, blocked.needed), (4.0, 6.0));
        assert!(blocked.unblock.contains("calibration"));
    }

    #[test]
    fn a_side_without_bad_labels_blocks() {
        let runs: Vec<Run> = better_b()
            .into_iter()
            .map(|mut r| {
                if side(&r.session) == Side::HeldOut {
                    r.labels = vec![human(1.0)];
                }
                r
            })
            .collect();
        let blocked = score(&runs, &Options::default()).blocked.unwrap();
        assert_eq!(blocked.status, "blocked_insufficient_labels");
        assert_eq!((blocked.value, blocked.needed), (0.0, 2.0));
        assert!(blocked.unblock.contains("held-out"));
    }

    #[test]
    fn a_version_with_two_runs_blocks() {
        let mut runs = better_b();
        runs.extend((0..2).map(|r| run(SESSIONS, r, 0.65, "C", 3)));
        let blocked = score(&runs, &Options::default()).blocked.unwrap();
        assert_eq!(blocked.status, "blocked_insufficient_runs");
        assert_eq!((blocked.value, blocked.needed), (2.0, 3.0));
    }

    #[test]
    fn a_self_graded_label_blocks() {
        let mut runs = better_b();
        runs[7].labels.push(Label {
            value: 1.0,
            weight: 1.0,
            source: LabelSource::SelfGraded,
        });
        let blocked = score(&runs, &Options::default()).blocked.unwrap();
        assert_eq!(blocked.status, "blocked_self_graded");
        assert_eq!(blocked.value, 1.0);
    }

    #[test]
    fn a_forbidden_criterion_blocks() {
        let mut runs = better_b();
        runs.iter_mut().for_each(|r| {
            r.criteria.insert("follows_skill_steps".to_string(), 1.0);
        });
        assert_eq!(status(&runs), "scored");
        let options = Options {
            forbidden_criteria: BTreeSet::from(["follows_skill_steps".to_string()]),
            ..Options::default()
        };
        let blocked = score(&runs, &options).blocked.unwrap();
        assert_eq!(blocked.status, "blocked_self_graded");
        assert!(blocked.unblock.contains("follows_skill_steps"));
    }

    #[test]
    fn held_out_labels_inverted_against_the_rubric_block() {
        let mut runs = better_b();
        runs.iter_mut()
            .filter(|r| side(&r.session) == Side::HeldOut)
            .for_each(invert_labels);
        let blocked = score(&runs, &Options::default()).blocked.unwrap();
        assert_eq!(blocked.status, "blocked_inverted");
        assert!(blocked.value <= 0.3, "{blocked:?}");
    }

    #[test]
    fn labels_inverted_everywhere_leave_an_empty_rubric() {
        let mut runs = better_b();
        runs.iter_mut().for_each(|r| {
            r.criteria.remove("cheap");
            invert_labels(r);
        });
        let report = score(&runs, &Options::default());
        assert!(report.rubric.is_empty(), "{:?}", report.rubric);
        let blocked = report.blocked.unwrap();
        assert_eq!(blocked.status, "blocked_non_discriminating");
        assert_eq!(blocked.value, 0.5);
    }

    #[test]
    fn an_absent_criterion_counts_as_its_mean() {
        let runs = better_b();
        let rubric = score(&runs, &Options::default()).rubric;
        let bare = Run {
            criteria: BTreeMap::new(),
            ..runs[0].clone()
        };
        let expected: f64 = rubric.criteria.iter().map(|c| c.weight * c.mean).sum();
        assert!((rubric.score(&bare) - expected).abs() < 1e-12);
        assert!(rubric.score(&bare) > 0.0);
    }

    #[test]
    fn auc_counts_ties_as_half() {
        assert_eq!(auc(&[(0.4, true), (0.4, false)]), Some(0.5));
        assert_eq!(auc(&[(0.9, true), (0.1, false), (0.9, false)]), Some(0.75));
        assert_eq!(auc(&[(0.9, true)]), None);
    }

    #[test]
    fn the_split_depends_on_the_session_only() {
        let runs = better_b();
        let mut reversed = runs.clone();
        reversed.reverse();
        let forward = score(&runs, &Options::default()).calibration;
        assert_eq!(forward, score(&reversed, &Options::default()).calibration);
        assert!(forward.calibration.sessions > 0 && forward.held_out.sessions > 0);
        assert_eq!(
            forward.calibration.sessions + forward.held_out.sessions,
            SESSIONS
        );
        let relabelled = score(&shuffled(&runs, 0), &Options::default()).calibration;
        assert_eq!(
            (relabelled.calibration.sessions, relabelled.calibration.runs),
            (forward.calibration.sessions, forward.calibration.runs)
        );
    }

    #[test]
    fn reports_round_trip_through_json_in_snake_case() {
        let report = score(&better_b(), &Options::default());
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["verdict"]["decision"], "keep");
        assert!(json["calibration"]["held_out"]["labeled"].as_u64().unwrap() > 0);
        let back: Report = serde_json::from_value(json).unwrap();
        assert_eq!(back, report);
        let label = serde_json::to_value(LabelSource::SelfGraded).unwrap();
        assert_eq!(label, "self_graded");
    }

    #[test]
    fn refusals_come_in_their_order() {
        let mut runs: Vec<Run> = better_b()
            .into_iter()
            .map(|r| Run {
                labels: Vec::new(),
                ..r
            })
            .collect();
        runs[0].labels.push(Label {
            value: 1.0,
            weight: 1.0,
            source: LabelSource::SelfGraded,
        });
        assert_eq!(status(&runs), "blocked_self_graded");
        let mut runs = shuffled(&better_b(), 0);
        assert_eq!(status(&runs), "blocked_non_discriminating");
        runs.extend((0..2).map(|r| run(SESSIONS, r, 0.65, "C", 3)));
        assert_eq!(status(&runs), "blocked_insufficient_runs");
    }

    #[test]
    fn the_interval_uses_sample_variances() {
        let group = |version: &'static str, scores: Vec<f64>| Group {
            version,
            first_run_at: "2025-01-01T00:00:00Z",
            scores,
        };
        let groups = [
            group("a", vec![0.2, 0.4, 0.6]),
            group("b", vec![0.5, 0.7, 0.9]),
        ];
        let verdict = verdict(&groups).unwrap();
        let half = 1.645 * (2.0 * 0.04 / 3.0f64).sqrt();
        assert!((verdict.delta - 0.3).abs() < 1e-12);
        assert!((verdict.low - (0.3 - half)).abs() < 1e-12, "{verdict:?}");
        assert!((verdict.high - (0.3 + half)).abs() < 1e-12);
        assert_eq!(verdict.decision, Decision::Keep);
        assert!(super::verdict(&groups[..1]).is_none());
    }
}
