//! `git trace skill` and `git trace rate`: did the agent get better at the job when the skill
//! changed, judged only on labels that can be trusted.

use crate::skill::{ratings, report, score};
use crate::{read, render};
use clap::{Args, Subcommand};
use std::io::Write;
use std::process::ExitCode;

/// Score skill versions from their real runs, or refuse when the labels cannot be trusted
///
/// A run is a session that used a skill: Claude Code's Skill tool, a slash command (/name,
/// Pi's /skill:name), or a read of the skill's file (SKILL.md, .claude/commands/<name>.md), in
/// any harness. Each run is versioned by the git blob id of the skill file as the session's trail
/// had it at that step, not by today's file. Labels are trusted sources only: the survival of the
/// run's patches (alive 1, reverted or lost 0; weight 0.5) and human ratings from `git trace
/// rate` (weight 1). The rubric is deterministic criteria over the evidence (tests run and
/// passing, commits landed, files read before writing, wall time, tokens), its weights calibrated
/// on the sessions of one half of a fixed split and its discrimination (AUC) measured on the
/// other. When a score cannot be trusted the status says why: blocked_self_graded,
/// blocked_no_labels, blocked_insufficient_labels, blocked_insufficient_runs, blocked_inverted,
/// blocked_non_discriminating, each with the number that decided it and what would unblock it.
///
/// Examples:
///   git trace skill list
///   git trace skill runs newsletter
///   git trace rate 3f9a good --note "shipped as is"
///   git trace skill score newsletter
///   git trace skill score newsletter --explain
#[derive(Args, Debug)]
pub struct SkillArgs {
    #[command(subcommand)]
    pub command: SkillCommand,
}

#[derive(Subcommand, Debug)]
pub enum SkillCommand {
    List(ListArgs),
    Runs(RunsArgs),
    Score(ScoreArgs),
}

/// Skills seen in sessions, with their versions and run counts
#[derive(Args, Debug)]
pub struct ListArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Each run of a skill: session, version, criteria, survival and labels
#[derive(Args, Debug)]
pub struct RunsArgs {
    pub skill: String,
    /// Print JSON (the skill-runs dataset rows).
    #[arg(long)]
    pub json: bool,
}

/// The score per version, the delta between the last two, and keep / revert / inconclusive
///
/// Exit status 0 when scored, 3 when blocked (the status says why), 1 on an error.
#[derive(Args, Debug)]
pub struct ScoreArgs {
    pub skill: String,
    /// A run passes at or above this score.
    #[arg(long, default_value_t = 0.70)]
    pub threshold: f64,
    /// Also show the rubric (criteria, weights), the split and the calibration report.
    #[arg(long)]
    pub explain: bool,
    /// Print JSON (schema git-traces/skill-score@1).
    #[arg(long)]
    pub json: bool,
}

/// Rate a session (or a range of its steps) good or bad: a human label for the skill verifier
///
/// Ratings are git notes on refs/notes/traces-ratings and travel with `git trace push`. A rating made from
/// inside an agent session (Claude Code, Codex and Pi mark their commands' environment) is kept
/// as self-graded, and the verifier refuses to score with it.
///
/// Examples:
///   git trace rate 3f9a good --note "shipped as is"
///   git trace rate 3f9a:4-9 bad
///   git trace rate 3f9a --delete
#[derive(Args, Debug)]
pub struct RateArgs {
    /// A session id or unique prefix, optionally with a step or step range (<id>:<from>[-<to>]).
    pub session: String,
    /// good or bad.
    #[arg(value_parser = ["good", "bad"], required_unless_present = "delete")]
    pub verdict: Option<String>,
    /// Why, kept with the rating (redacted like any captured text).
    #[arg(long)]
    pub note: Option<String>,
    /// Remove every rating of this session instead.
    #[arg(long, conflicts_with_all = ["verdict", "note"])]
    pub delete: bool,
}

pub fn run(args: SkillArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let repo = super::open_repo()?;
    super::trace::seal_pending(&repo);
    match args.command {
        SkillCommand::List(a) => {
            let skills = report::list(&repo)?;
            if a.json {
                render::json_pretty(out, &skills)?;
            } else if skills.is_empty() {
                writeln!(out, "no skill runs in this repository's sessions")?;
            }
            for s in skills.iter().filter(|_| !a.json) {
                writeln!(out, "{}  {} runs", s.skill, s.runs)?;
                for v in &s.versions {
                    writeln!(out, "  {}", version_line(v))?;
                }
            }
        }
        SkillCommand::Runs(a) => {
            let runs = report::runs_of(&repo, &a.skill)?;
            if a.json {
                render::json_pretty(out, &runs)?;
                return Ok(ExitCode::SUCCESS);
            }
            for r in &runs {
                let labels: Vec<String> = r["labels"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|l| format!("{} {}", l["source"].as_str().unwrap_or("?"), l["value"]))
                    .collect();
                let survival: Vec<String> = r["survival"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(_, n)| n.as_u64() > Some(0))
                    .map(|(s, n)| format!("{s} {n}"))
                    .collect();
                writeln!(
                    out,
                    "{}  {}  @ {}  {}  tests {}  survival: {}  labels: {}",
                    render::short(r["session"].as_str().unwrap_or_default()),
                    r["started_at"].as_str().unwrap_or_default(),
                    render::short(crate::skill::runs::version_of(r)),
                    r["harness"].as_str().unwrap_or_default(),
                    match (
                        r["criteria"]["tests_run"].as_f64(),
                        r["criteria"]["tests_passed"].as_f64()
                    ) {
                        (Some(x), Some(p)) if x > 0.0 =>
                            if p > 0.0 {
                                "passed"
                            } else {
                                "failed"
                            },
                        _ => "none",
                    },
                    if survival.is_empty() {
                        "no patches".into()
                    } else {
                        survival.join(", ")
                    },
                    if labels.is_empty() {
                        "none".into()
                    } else {
                        labels.join(", ")
                    },
                )?;
            }
        }
        SkillCommand::Score(a) => {
            anyhow::ensure!(
                (0.0..=1.0).contains(&a.threshold),
                "--threshold {} is not between 0 and 1",
                a.threshold
            );
            let options = score::Options {
                threshold: a.threshold,
                ..score::Options::default()
            };
            let scored = report::score(&repo, &a.skill, &options)?;
            if a.json {
                render::json_pretty(out, &scored)?;
            } else {
                score_text(out, &scored, a.explain)?;
            }
            return Ok(if scored.status == "scored" {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn version_line(v: &report::Version) -> String {
    format!(
        "@ {}{}  {} runs from {}{}",
        render::short(&v.version),
        v.commit
            .as_deref()
            .map_or(String::new(), |c| format!(" (commit {})", render::short(c))),
        v.runs,
        v.first_run_at,
        v.file
            .as_deref()
            .map_or(String::new(), |f| format!("  {f}"))
    )
}

fn score_text(out: &mut dyn Write, s: &report::Scored, explain: bool) -> anyhow::Result<()> {
    let n = s.versions.len();
    for (i, v) in s.versions.iter().enumerate() {
        let role = match (n, i) {
            (1, _) => "the only version",
            (_, i) if i + 2 == n => "before the tweak",
            (_, i) if i + 1 == n => "after the tweak",
            _ => "earlier",
        };
        let numbers = match (v.score.average, v.score.passing) {
            (Some(avg), Some(pass)) => format!(
                "avg {avg:.2} · {pass}/{} ≥ {:.2}",
                v.score.runs, s.threshold
            ),
            _ => "not scored".into(),
        };
        writeln!(
            out,
            "skill @ {}{}  {role} · {:>2} runs   {numbers}",
            render::short(&v.score.version),
            v.commit
                .as_deref()
                .map_or(String::new(), |c| format!(" (commit {})", render::short(c))),
            v.score.runs,
        )?;
    }
    match (&s.verdict, &s.blocked) {
        (Some(v), _) => writeln!(
            out,
            "{:+.2} avg score delta (90% interval {:+.2} to {:+.2}) · {:.2} pass threshold · verdict: {}",
            v.delta,
            v.low,
            v.high,
            s.threshold,
            serde_json::to_value(v.decision)?.as_str().unwrap_or_default()
        )?,
        (None, Some(b)) => writeln!(
            out,
            "{}: {} (needed {})\n  unblock: {}",
            b.status, b.value, b.needed, b.unblock
        )?,
        (None, None) => writeln!(out, "one version only: nothing to compare it with")?,
    }
    if explain {
        let c = &s.calibration;
        let auc = |a: Option<f64>| a.map_or("-".into(), |a| format!("{a:.2}"));
        writeln!(out, "\nsplit: {}", c.split_rule)?;
        for (side, counts) in [("calibration", &c.calibration), ("held out", &c.held_out)] {
            writeln!(
                out,
                "  {side:<11} {} sessions, {} runs, {} labeled ({} good, {} bad)",
                counts.sessions, counts.runs, counts.labeled, counts.good, counts.bad
            )?;
        }
        writeln!(
            out,
            "AUC: {} held out (what decides), {} on calibration (for comparison)",
            auc(c.auc_held_out),
            auc(c.auc_calibration)
        )?;
        writeln!(out, "rubric (weights learned on calibration labels):")?;
        for cr in &s.rubric.criteria {
            writeln!(
                out,
                "  {:<18} weight {:.2}  separation {}",
                cr.name,
                cr.weight,
                cr.separation.map_or("-".into(), |x| format!("{x:+.2}"))
            )?;
        }
        writeln!(
            out,
            "labels: survival of the run's patches (alive 1, reverted or lost 0, weight {}), human ratings (weight 1); never the model's words or the skill's text",
            crate::skill::runs::SURVIVAL_WEIGHT
        )?;
    }
    Ok(())
}

pub fn rate(args: RateArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let repo = super::open_repo()?;
    super::trace::seal_pending(&repo);
    let (spec, range) = match args.session.split_once(':') {
        Some((id, steps)) => (id, Some(steps)),
        None => (args.session.as_str(), None),
    };
    let address = read::resolve(&repo, spec)?;
    let steps = range
        .map(|r| -> anyhow::Result<[u64; 2]> {
            let (a, b) = r.split_once('-').unwrap_or((r, r));
            let parse = |x: &str| {
                x.parse::<u64>()
                    .map_err(|_| anyhow::anyhow!("'{r}' is not a step or a step range like 4-9"))
            };
            let (a, b) = (parse(a)?, parse(b)?);
            anyhow::ensure!(a <= b, "step range {r} runs backwards");
            Ok([a, b])
        })
        .transpose()?;
    if args.delete {
        let removed = ratings::remove(&repo, &address.session)?;
        writeln!(out, "removed {removed} rating(s) of {}", address.session)?;
        return Ok(ExitCode::SUCCESS);
    }
    let by_agent = ratings::inside_agent();
    let rater = repo
        .signature()
        .ok()
        .and_then(|s| s.name().map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    let verdict = args.verdict.unwrap_or_default();
    let count = ratings::add(
        &repo,
        ratings::Rating {
            session: address.session.clone(),
            steps,
            good: verdict == "good",
            note: args.note,
            rater,
            by_agent,
            at: crate::store::now_rfc3339(),
        },
    )?;
    writeln!(
        out,
        "rated {} {verdict} ({count} rating(s) of this session){}",
        address.session,
        if by_agent {
            "\nnote: made from inside an agent session, so it counts as self-graded, never as a human label"
        } else {
            ""
        }
    )?;
    Ok(ExitCode::SUCCESS)
}
