//! `git trace dataset`: workflows that turn sessions into reviewed rows, and their publishing.

use crate::dataset::{self, Dataset, RunOutcome, State};
use crate::render;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Build datasets from your sessions: workflow → inbox → review → publish
///
/// A dataset is a procedure, not a dump. Its workflow is a directory (workflow.toml: name,
/// version, description, which sessions it reads, executor, extra deny rules; SKILL.md: the
/// instructions an agent follows to build rows; row.schema.json: one row's JSON Schema; build_rows:
/// any executable) that turns the evidence of this repository into rows. `run` hands build_rows a
/// run packet (its first argument: the selected sessions with their steps, each patch with its
/// survival state, the commits their work landed in, skill uses and ratings) and reads one JSON
/// row a line from its stdout; each row names its source under "_source": {"session", "steps"}.
/// A builder that needs a person exits 3 and prints its questions, one JSON object a line; the
/// run is resumed with --answers FILE. The builder runs in a scratch copy of the workflow with a
/// scrubbed environment (PATH, a scratch HOME and TMPDIR; executor "agent" keeps yours).
///
/// Every row is checked when it is built and again at publish: JSON Schema, the egress secret
/// scanner, the workflow's deny rules. Rows go inbox → approved → published, or rejected (by you,
/// or because the builder printed something that is not a row) or blocked (a finding, a schema
/// violation), each with its reason. A row's id is the sha256 of its canonical JSON: running
/// again never duplicates a row and a reviewed row keeps its state. Everything lives on
/// refs/traces/datasets/<name>, one commit per change, private until you publish.
///
/// Examples:
///   git trace dataset templates
///   git trace dataset new fixes --template survival-labeled-patches
///   git trace dataset run fixes --since 30d
///   git trace dataset review fixes
///   git trace dataset review fixes approve --all
///   git trace dataset verify fixes
///   git trace dataset publish fixes --to hf
#[derive(Args, Debug)]
pub struct DatasetArgs {
    #[command(subcommand)]
    pub command: DatasetCommand,
}

#[derive(Subcommand, Debug)]
pub enum DatasetCommand {
    Templates(TemplatesArgs),
    New(NewArgs),
    Run(RunArgs),
    Review(ReviewArgs),
    Status(StatusArgs),
    Verify(VerifyArgs),
    Publish(PublishArgs),
    BuildRows(BuildRowsArgs),
}

/// List the built-in workflows and what a row of each holds
#[derive(Args, Debug)]
pub struct TemplatesArgs {
    /// Print JSON: name, description, row.
    #[arg(long)]
    pub json: bool,
}

/// Create a dataset from a template: its workflow directory and refs/traces/datasets/<name>
///
/// The workflow is written to .traces/datasets/<name>/ in the work tree (or --dir): edit it,
/// commit it to share the procedure with your team. The dataset pins its digest; `run` reports a
/// changed workflow and `run --strict` refuses it.
#[derive(Args, Debug)]
pub struct NewArgs {
    /// The dataset's name (letters, digits, '.', '_', '-').
    pub name: String,
    /// The template to start from (see `git trace dataset templates`).
    #[arg(long)]
    pub template: String,
    /// Where to write the workflow (default: .traces/datasets/<name> in the work tree).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Run the workflow: select sessions, build rows, gate them into the inbox
///
/// Exit status 0 when the rows were kept, 3 when the builder asked questions (printed; answer
/// them in a JSON object and run again with --answers FILE), 1 on an error (nothing written).
#[derive(Args, Debug)]
pub struct RunArgs {
    pub name: String,
    /// Only sessions started at or after this (30d, 12h, 2026-11-01); overrides the workflow's
    /// select.since.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Run this workflow directory instead of the dataset's own (someone else's workflow over
    /// your evidence); its digest is pinned.
    #[arg(long, value_name = "DIR")]
    pub workflow: Option<PathBuf>,
    /// Refuse to run a workflow whose digest is not the one pinned in the dataset.
    #[arg(long)]
    pub strict: bool,
    /// A JSON object answering the builder's questions, handed to it as the packet's "answers".
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Kill build_rows after this many seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Show rows waiting for review, with their sources and findings; approve or reject them
///
/// Without an action: the inbox, then blocked and rejected rows with their reasons. Rows are
/// named by their id or any unique prefix of at least 4 characters.
///
/// Examples:
///   git trace dataset review fixes
///   git trace dataset review fixes --show 3f9a1c
///   git trace dataset review fixes approve --all
///   git trace dataset review fixes reject 3f9a1c 7c41e8 --reason "trivial patch"
#[derive(Args, Debug)]
pub struct ReviewArgs {
    pub name: String,
    #[command(subcommand)]
    pub action: Option<ReviewAction>,
    /// Print one row whole: its data, source, state, reason and findings.
    #[arg(long, value_name = "ROW")]
    pub show: Option<String>,
    /// List rows of every state, not only those waiting (inbox, blocked, rejected).
    #[arg(long)]
    pub all: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum ReviewAction {
    /// Approve rows from the inbox for publishing
    Approve {
        /// Row ids (or unique prefixes).
        rows: Vec<String>,
        /// Every row in the inbox.
        #[arg(long, conflicts_with = "rows")]
        all: bool,
    },
    /// Reject rows (any not yet published)
    Reject {
        /// Row ids (or unique prefixes).
        #[arg(required = true)]
        rows: Vec<String>,
        /// Why, kept with the row.
        #[arg(long)]
        reason: Option<String>,
    },
}

/// Counts per state, the last run and publish; every dataset without a name
#[derive(Args, Debug)]
pub struct StatusArgs {
    pub name: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Run the last run again and byte-compare: reproduces | evidence-advanced | integrity-failure
///
/// Rebuilds the run packet with the last run's selection and answers and runs the pinned
/// workflow on it. Exit status 0 for reproduces, 3 for evidence-advanced (a new session, a commit
/// that changed what survived), 4 for integrity-failure (same evidence, other rows; or stored
/// rows or shards that no longer match their ids and digests), 1 for an error.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    pub name: String,
    /// Kill build_rows after this many seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Push approved rows to a git remote as a Hugging Face-shaped dataset repository
///
/// Writes README.md (the dataset card: YAML front matter with configs, splits, license and
/// tags; the schema; provenance), data/train-NNNNN.jsonl (one new shard per publish: only rows
/// not published before), provenance/, schemas/row.schema.json, dataset_infos.json and
/// git-traces.json, and pushes them as a commit on the remote's main. Every approved row is gated
/// again first; one that fails is blocked, never pushed. A remote holding another workflow's
/// rows, a newer version or another schema is refused.
///
/// A Hugging Face dataset repository is a git remote: create it on the Hub, then
///   git remote add hf https://huggingface.co/datasets/<you>/<name>
///   git config credential.helper store   # then push once with your HF token as the password
/// (or `huggingface-cli login`, which stores the token for git). The token is never written into
/// the dataset: a URL's user:token@ part is dropped from everything recorded.
#[derive(Args, Debug)]
pub struct PublishArgs {
    pub name: String,
    /// The remote: a name from `git remote` or a URL or path.
    #[arg(long, value_name = "REMOTE")]
    pub to: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The built-in row builders, as templates' build_rows call them
///
/// Reads the run packet at PACKET and prints the template's rows, one JSON object a line.
#[derive(Args, Debug)]
pub struct BuildRowsArgs {
    pub template: String,
    pub packet: PathBuf,
}

pub fn run(args: DatasetArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match args.command {
        DatasetCommand::Templates(a) => templates(a, out),
        DatasetCommand::BuildRows(a) => {
            let packet = std::fs::read(&a.packet)
                .with_context(|| format!("cannot read the packet {}", a.packet.display()))?;
            out.write_all(&dataset::build_rows(&a.template, &packet)?)?;
            Ok(ExitCode::SUCCESS)
        }
        command => {
            let repo = super::open_repo()?;
            super::trace::seal_pending(&repo);
            match command {
                DatasetCommand::New(a) => new(&repo, a, out),
                DatasetCommand::Run(a) => run_workflow(&repo, a, out),
                DatasetCommand::Review(a) => review(&repo, a, out),
                DatasetCommand::Status(a) => status(&repo, a, out),
                DatasetCommand::Verify(a) => verify(&repo, a, out),
                DatasetCommand::Publish(a) => publish(&repo, a, out),
                DatasetCommand::Templates(_) | DatasetCommand::BuildRows(_) => {
                    unreachable!("handled above")
                }
            }
        }
    }
}

fn templates(args: TemplatesArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let list: Vec<serde_json::Value> = dataset::templates()
        .iter()
        .map(|t| serde_json::json!({"name": t.name, "description": t.description, "row": t.row}))
        .collect();
    if args.json {
        render::json_pretty(out, &list)?;
        return Ok(ExitCode::SUCCESS);
    }
    for t in dataset::templates() {
        writeln!(
            out,
            "{}\n    {}\n    row: {}\n",
            t.name, t.description, t.row
        )?;
    }
    writeln!(
        out,
        "Start one with: git trace dataset new <name> --template <template>"
    )?;
    Ok(ExitCode::SUCCESS)
}

fn new(repo: &git2::Repository, args: NewArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let dir = match args.dir {
        Some(d) => d,
        None => repo
            .workdir()
            .context("a bare repository has no work tree for the workflow\nhint: give --dir")?
            .join(".traces/datasets")
            .join(&args.name),
    };
    let dir = std::path::absolute(&dir)?;
    let created = dataset::new_dataset(repo, &args.name, &args.template, &dir)?;
    writeln!(
        out,
        "Created dataset '{}' on {}, pinned to workflow {}.\nWorkflow: {}\nNext: git trace dataset run {} --since 30d",
        created.name(),
        dataset::dataset_ref(created.name()),
        created.workflow.label(),
        dir.display(),
        created.name()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn run_workflow(
    repo: &git2::Repository,
    args: RunArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let answers = args
        .answers
        .as_ref()
        .map(|path| -> anyhow::Result<serde_json::Value> {
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read the answers {}", path.display()))?;
            let value: serde_json::Value = serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not JSON", path.display()))?;
            anyhow::ensure!(
                value.is_object(),
                "{} must hold a JSON object (question id → answer)",
                path.display()
            );
            Ok(value)
        })
        .transpose()?;
    let outcome = dataset::run(
        repo,
        &args.name,
        &dataset::RunRequest {
            since: args.since,
            workflow_dir: args.workflow,
            strict: args.strict,
            answers,
            timeout: Duration::from_secs(args.timeout),
        },
    )?;
    match outcome {
        RunOutcome::Escalated(e) => {
            if args.json {
                render::json_pretty(out, &e)?;
            } else {
                writeln!(
                    out,
                    "build_rows needs a decision before it can build the rows of '{}'; nothing was written.",
                    args.name
                )?;
                for q in &e.questions {
                    let id = q["id"].as_str().unwrap_or("-");
                    let text = q["question"].as_str().map_or(q.to_string(), str::to_string);
                    writeln!(out, "  {id}: {text}")?;
                }
                writeln!(
                    out,
                    "Answer in a JSON object {{\"<id>\": <answer>, …}} and run again with --answers FILE."
                )?;
            }
            Ok(ExitCode::from(3))
        }
        RunOutcome::Done(s) => {
            if args.json {
                render::json_pretty(out, &s)?;
                return Ok(ExitCode::SUCCESS);
            }
            if let Some((pinned, now)) = &s.workflow_changed {
                writeln!(
                    out,
                    "note: the workflow changed since it was pinned ({} → {}); the new one is pinned now",
                    &pinned[..12],
                    &now[..12]
                )?;
            }
            let new: usize = s.new.values().sum();
            writeln!(
                out,
                "run {} of '{}' with {}: {} sessions selected, {} rows printed, {} new ({})",
                s.run,
                s.dataset,
                s.workflow,
                s.sessions,
                s.printed,
                new,
                states_line(&s.new)
            )?;
            if s.sessions == 0 {
                writeln!(
                    out,
                    "no session matched the selection{}",
                    s.selection
                        .since
                        .as_ref()
                        .map_or(String::new(), |t| format!(" (since {t})"))
                )?;
            }
            if s.newly_blocked > 0 {
                writeln!(
                    out,
                    "{} rows seen before were blocked this time by the current schema, scanner or deny rules",
                    s.newly_blocked
                )?;
            }
            writeln!(out, "now: {}", states_line(&s.counts))?;
            writeln!(out, "Next: git trace dataset review {}", s.dataset)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn states_line(counts: &std::collections::BTreeMap<State, usize>) -> String {
    let parts: Vec<String> = counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{} {n}", s.as_str()))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

fn review(
    repo: &git2::Repository,
    args: ReviewArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    if let Some(action) = args.action {
        let (approve, rows, all, reason) = match action {
            ReviewAction::Approve { rows, all } => {
                anyhow::ensure!(
                    all || !rows.is_empty(),
                    "name the rows to approve, or give --all for the whole inbox"
                );
                (true, rows, all, None)
            }
            ReviewAction::Reject { rows, reason } => (false, rows, false, reason),
        };
        let moved = dataset::decide(repo, &args.name, approve, &rows, all, reason.as_deref())?;
        if args.json {
            render::json_pretty(out, &moved)?;
        } else {
            writeln!(
                out,
                "{} {} rows of '{}'",
                if approve { "approved" } else { "rejected" },
                moved.len(),
                args.name
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let data = Dataset::load(repo, &args.name)?;
    if let Some(prefix) = &args.show {
        let row = &data.rows[data.find(prefix)?];
        render::json_pretty(out, row)?;
        return Ok(ExitCode::SUCCESS);
    }
    let shown: Vec<&dataset::Row> = data
        .rows
        .iter()
        .filter(|r| args.all || matches!(r.state, State::Inbox | State::Blocked | State::Rejected))
        .collect();
    if args.json {
        render::json_pretty(out, &shown)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "dataset {} · {}",
        args.name,
        states_line(&data.counts())
    )?;
    for state in State::ALL {
        let rows: Vec<&&dataset::Row> = shown.iter().filter(|r| r.state == state).collect();
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "\n{} ({})", state.as_str(), rows.len())?;
        for row in rows {
            let source = row.source.as_ref().map_or("-".to_string(), |s| {
                let steps: Vec<String> = s.steps.iter().map(u64::to_string).collect();
                format!("{}:{}", render::short(&s.session), steps.join(","))
            });
            let what = row.reason.clone().unwrap_or_else(|| preview(&row.data));
            writeln!(out, "  {}  {source}  {what}", &row.id[..12])?;
        }
    }
    if data.counts()[&State::Inbox] > 0 {
        writeln!(
            out,
            "\nNext: git trace dataset review {0} --show <row>, then git trace dataset review {0} approve <row>… (or --all)",
            args.name
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A row in one line: the first of its naming fields, else its first string.
fn preview(data: &serde_json::Value) -> String {
    let text = ["file", "skill", "subject", "prompt", "session"]
        .iter()
        .find_map(|k| data[*k].as_str())
        .or_else(|| data.as_object()?.values().find_map(|v| v.as_str()))
        .or_else(|| data.as_str())
        .unwrap_or_default();
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > 72 {
        format!("{}…", line.chars().take(71).collect::<String>())
    } else {
        line.to_string()
    }
}

fn status(
    repo: &git2::Repository,
    args: StatusArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let names = match args.name {
        Some(n) => vec![n],
        None => dataset::names(repo)?,
    };
    let mut report = Vec::new();
    for name in &names {
        let d = Dataset::load(repo, name)?;
        let disk = d
            .workflow_dir(repo)
            .and_then(|dir| dataset::Workflow::load(&dir).ok())
            .map(|w| w.digest);
        report.push(serde_json::json!({
            "name": name,
            "workflow": d.meta.workflow,
            "workflow_on_disk_changed": disk.as_ref().is_some_and(|x| *x != d.meta.workflow.digest),
            "counts": d.counts().iter().map(|(s, n)| (s.as_str(), n)).collect::<std::collections::BTreeMap<_, _>>(),
            "last_run": d.meta.runs.last(),
            "last_publish": d.meta.publishes.last(),
        }));
    }
    if args.json {
        render::json_pretty(out, &report)?;
        return Ok(ExitCode::SUCCESS);
    }
    if names.is_empty() {
        writeln!(
            out,
            "no datasets yet\nhint: git trace dataset templates, then git trace dataset new <name> --template <template>"
        )?;
    }
    for r in &report {
        let counts: Vec<String> = r["counts"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        writeln!(
            out,
            "{}  {}@{}  {}",
            r["name"].as_str().unwrap_or_default(),
            r["workflow"]["name"].as_str().unwrap_or_default(),
            r["workflow"]["version"],
            counts.join(" · ")
        )?;
        match r["last_run"].as_object() {
            Some(run) => writeln!(
                out,
                "  last run {} at {}: {} sessions, {} rows printed, {} new",
                run["n"],
                run["at"].as_str().unwrap_or_default(),
                run["sessions"].as_array().map_or(0, Vec::len),
                run["printed"],
                run["new"]
            )?,
            None => writeln!(out, "  never run")?,
        }
        if let Some(p) = r["last_publish"].as_object() {
            writeln!(
                out,
                "  last publish {} rows to {} at {}",
                p["rows"],
                p["remote"].as_str().unwrap_or_default(),
                p["at"].as_str().unwrap_or_default()
            )?;
        }
        if r["workflow_on_disk_changed"] == true {
            writeln!(
                out,
                "  the workflow on disk differs from the pinned one: the next run pins it (--strict refuses)"
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(
    repo: &git2::Repository,
    args: VerifyArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let v = dataset::verify(repo, &args.name, Duration::from_secs(args.timeout))?;
    if args.json {
        render::json_pretty(out, &v)?;
    } else {
        writeln!(
            out,
            "{}: {} (run {}, workflow {})",
            v.dataset, v.status, v.run, v.workflow
        )?;
        for d in &v.details {
            writeln!(out, "  {d}")?;
        }
    }
    Ok(ExitCode::from(match v.status {
        "reproduces" => 0,
        "evidence-advanced" => 3,
        _ => 4,
    }))
}

fn publish(
    repo: &git2::Repository,
    args: PublishArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let p = dataset::publish(repo, &args.name, &args.to)?;
    if args.json {
        render::json_pretty(out, &p)?;
    } else {
        if p.blocked > 0 {
            writeln!(
                out,
                "{} approved rows were blocked by the gate and stay behind (see git trace dataset review {})",
                p.blocked, p.dataset
            )?;
        }
        writeln!(
            out,
            "published {} rows of '{}' to {} as {} (commit {}); the remote holds {} rows",
            p.rows,
            p.dataset,
            p.remote,
            p.shard,
            render::short(&p.commit),
            p.total
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
