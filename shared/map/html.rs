//! `git trace map --format html`: the session drawn like a subway map, as one self-contained page
//! (inline CSS and SVG, no script, no network asset), so it can be mailed or attached to a ticket.
//!
//! Time runs left to right, one column per step. Each kind of step has its lane (user, plan,
//! think, read, exec, write, answer, other) with a station per step, and one line runs through
//! the stations in order, so the eye follows the agent hopping between reading, running and
//! writing. Above the lanes, a band shows how full the model's context window was before each
//! step; below them, git columns go from each snapshot to the commit that accepted it, coloured
//! by the patch's survival today. Bursts are separated by dashed lines. Wide sessions scale the
//! column width down (and scroll) and drop labels that would overlap.

use super::{Burst, SessionMap};
use crate::model::{StepKind, Trace};
use crate::render::{duration, first_line, html_escape as e, short};
use std::fmt::Write as _;
use std::io::{self, Write};

const LANES: [&str; 8] = [
    "user", "plan", "think", "read", "exec", "write", "answer", "other",
];
const LEFT: f64 = 80.0;
const BAND_TOP: f64 = 24.0;
const BAND_HEIGHT: f64 = 56.0;
const LANE_TOP: f64 = 110.0;
const LANE_GAP: f64 = 30.0;
/// Under this column width, step numbers and state labels would overlap: they are left out.
const LABEL_MIN_DX: f64 = 16.0;

fn lane_of(kind: StepKind) -> usize {
    match kind {
        StepKind::User => 0,
        StepKind::Plan => 1,
        StepKind::Think => 2,
        StepKind::Read => 3,
        StepKind::Exec => 4,
        StepKind::Write => 5,
        StepKind::Answer => 6,
        StepKind::Tool | StepKind::System => 7,
    }
}

/// The colour of a survival state: alive green, partly alive amber, gone red, never committed
/// grey.
fn state_colour(state: &str) -> &'static str {
    match state {
        s if s.starts_with("alive_") => "#2e7d32",
        "partially_preserved" | "repaired" | "mixed" => "#ef8f00",
        "lost" | "reverted" => "#c62828",
        "never_committed" => "#8a8a8a",
        _ => "#5c6bc0",
    }
}

/// Geometry of the drawing, from the step count.
struct Grid {
    dx: f64,
    width: f64,
    snapshot_y: f64,
    commit_y: f64,
    height: f64,
}

impl Grid {
    fn new(steps: usize) -> Grid {
        let dx = (1200.0 / steps.max(1) as f64).clamp(5.0, 32.0);
        let lanes_end = LANE_TOP + LANE_GAP * (LANES.len() - 1) as f64;
        Grid {
            dx,
            width: LEFT + dx * steps as f64 + 120.0,
            snapshot_y: lanes_end + 40.0,
            commit_y: lanes_end + 90.0,
            height: lanes_end + 130.0,
        }
    }

    fn x(&self, step: u64) -> f64 {
        LEFT + self.dx * (step as f64 + 0.5)
    }

    fn lane_y(&self, lane: usize) -> f64 {
        LANE_TOP + LANE_GAP * lane as f64
    }

    fn labels(&self) -> bool {
        self.dx >= LABEL_MIN_DX
    }
}

/// Writes the page. `ctx_tokens` holds the window size before sampled steps, `(step, tokens)`,
/// when the session has context nodes.
pub fn map_html(
    out: &mut dyn Write,
    map: &SessionMap,
    trace: &Trace,
    ctx_tokens: Option<&[(u64, u64)]>,
) -> io::Result<()> {
    page(out, map, &map_svg(map, trace, ctx_tokens))
}

/// The subway map itself, as one inline SVG (also drawn by `git trace view`).
pub fn map_svg(map: &SessionMap, trace: &Trace, ctx_tokens: Option<&[(u64, u64)]>) -> String {
    let grid = Grid::new(trace.steps.len());
    let mut svg = String::new();
    open_svg(&mut svg, &grid);
    if let Some(tokens) = ctx_tokens.filter(|t| t.iter().any(|&(_, n)| n > 0)) {
        ctx_band(&mut svg, &grid, tokens, trace.steps.len() as u64);
    }
    lanes(&mut svg, &grid);
    bursts(&mut svg, &grid, map);
    stations(&mut svg, &grid, trace);
    git_columns(&mut svg, &grid, map);
    svg.push_str("</svg>\n");
    svg
}

fn open_svg(svg: &mut String, grid: &Grid) {
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" role=\"img\" aria-label=\"session map\">",
        w = grid.width,
        h = grid.height
    );
}

/// The band: each sample's size held until the next sample (or the last step).
fn ctx_band(svg: &mut String, grid: &Grid, tokens: &[(u64, u64)], steps: u64) {
    let max = tokens.iter().map(|&(_, t)| t).max().unwrap_or(1).max(1) as f64;
    let base = BAND_TOP + BAND_HEIGHT;
    let mut path = format!("M{LEFT:.1},{base:.1}");
    let ends = tokens.iter().skip(1).map(|&(step, _)| step).chain([steps]);
    for (&(step, t), end) in tokens.iter().zip(ends) {
        let y = base - BAND_HEIGHT * t as f64 / max;
        let x0 = LEFT + grid.dx * step as f64;
        let x1 = LEFT + grid.dx * end as f64;
        let _ = write!(path, " L{x0:.1},{y:.1} L{x1:.1},{y:.1}");
    }
    let _ = write!(path, " L{:.1},{base:.1} Z", LEFT + grid.dx * steps as f64);
    let _ = writeln!(
        svg,
        "<path class=\"ctx\" d=\"{path}\"><title>context window before each step, up to {max:.0} tokens</title></path>"
    );
    let _ = writeln!(
        svg,
        "<text class=\"lane\" x=\"{:.0}\" y=\"{:.0}\">ctx</text><text class=\"small\" x=\"{:.0}\" y=\"{:.0}\">{max:.0} tok</text>",
        LEFT - 8.0,
        base - 4.0,
        LEFT - 8.0,
        BAND_TOP + 10.0
    );
}

fn lanes(svg: &mut String, grid: &Grid) {
    for (i, name) in LANES.iter().enumerate() {
        let y = grid.lane_y(i);
        let _ = writeln!(
            svg,
            "<line class=\"rail\" x1=\"{LEFT}\" y1=\"{y}\" x2=\"{:.0}\" y2=\"{y}\"/><text class=\"lane\" x=\"{:.0}\" y=\"{:.0}\">{name}</text>",
            grid.width - 20.0,
            LEFT - 8.0,
            y + 4.0
        );
    }
    for (y, name) in [(grid.snapshot_y, "snapshot"), (grid.commit_y, "commit")] {
        let _ = writeln!(
            svg,
            "<text class=\"lane\" x=\"{:.0}\" y=\"{:.0}\">{name}</text>",
            LEFT - 8.0,
            y + 4.0
        );
    }
}

fn bursts(svg: &mut String, grid: &Grid, map: &SessionMap) {
    for b in &map.bursts {
        let x = grid.x(b.start_step) - grid.dx / 2.0;
        let _ = writeln!(
            svg,
            "<line class=\"burst\" x1=\"{x:.1}\" y1=\"{BAND_TOP}\" x2=\"{x:.1}\" y2=\"{:.0}\"/><text class=\"burst-label\" x=\"{:.1}\" y=\"14\">B{}<title>{}</title></text>",
            grid.height - 10.0,
            x + 3.0,
            b.index,
            e(b.prompt.as_deref().unwrap_or("(no prompt)"))
        );
    }
}

fn stations(svg: &mut String, grid: &Grid, trace: &Trace) {
    let points: Vec<String> = trace
        .steps
        .iter()
        .map(|s| format!("{:.1},{:.1}", grid.x(s.index), grid.lane_y(lane_of(s.kind))))
        .collect();
    let _ = writeln!(
        svg,
        "<polyline class=\"line\" points=\"{}\"/>",
        points.join(" ")
    );
    let r = (grid.dx / 2.5).clamp(2.0, 6.0);
    for s in &trace.steps {
        let (x, y) = (grid.x(s.index), grid.lane_y(lane_of(s.kind)));
        let tool = s
            .tool
            .as_deref()
            .map(|t| format!(" {t}"))
            .unwrap_or_default();
        let _ = writeln!(
            svg,
            "<circle class=\"station {kind}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\"><title>step {} · {kind}{} · {}</title></circle>",
            s.index,
            e(&tool),
            e(&first_line(&s.summary, 120)),
            kind = s.kind.as_str(),
        );
    }
    let every = (40.0 / grid.dx).ceil().max(1.0) as usize;
    for s in trace.steps.iter().step_by(every) {
        let _ = writeln!(
            svg,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.0}\">{}</text>",
            grid.x(s.index),
            LANE_TOP - 14.0,
            s.index
        );
    }
}

fn git_columns(svg: &mut String, grid: &Grid, map: &SessionMap) {
    let write_y = grid.lane_y(lane_of(StepKind::Write));
    let mut commit_x: Vec<(String, f64)> = Vec::new();
    for p in map.bursts.iter().flat_map(|b| &b.patches) {
        let x = grid.x(p.step);
        let colour = state_colour(&p.state);
        let _ = writeln!(
            svg,
            "<line class=\"col\" x1=\"{x:.1}\" y1=\"{write_y:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/><rect class=\"snap\" x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"{colour}\"><title>step {} snapshot {} · {} · {}</title></rect>",
            grid.snapshot_y,
            x - 4.0,
            grid.snapshot_y - 4.0,
            p.step,
            short(&p.snapshot),
            e(&p.files.join(", ")),
            p.state
        );
        if grid.labels() {
            let _ = writeln!(
                svg,
                "<text class=\"state\" x=\"{:.1}\" y=\"{:.1}\" fill=\"{colour}\" transform=\"rotate(35 {:.1} {:.1})\">{}</text>",
                x + 6.0,
                grid.snapshot_y + 14.0,
                x + 6.0,
                grid.snapshot_y + 14.0,
                p.state
            );
        }
        if let Some(c) = &p.commit {
            let cx = match commit_x.iter().find(|(k, _)| k == c) {
                Some((_, cx)) => *cx,
                None => {
                    commit_x.push((c.clone(), x));
                    x
                }
            };
            let _ = writeln!(
                svg,
                "<path class=\"accept\" stroke=\"{colour}\" d=\"M{x:.1},{:.1} L{cx:.1},{:.1}\"/>",
                grid.snapshot_y + 4.0,
                grid.commit_y - 6.0
            );
        }
    }
    for (c, x) in &commit_x {
        let _ = writeln!(
            svg,
            "<circle class=\"commit\" cx=\"{x:.1}\" cy=\"{:.1}\" r=\"6\"><title>commit {c}</title></circle><text class=\"small\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            grid.commit_y,
            grid.commit_y + 20.0,
            short(c)
        );
    }
}

pub const CSS: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px}.meta{color:#555;margin-bottom:12px}
.scroll{overflow-x:auto;border:1px solid #ddd;border-radius:6px;padding:4px}
svg text{font:11px system-ui,sans-serif}.lane{text-anchor:end;fill:#444}
.small{fill:#666;font-size:10px!important;text-anchor:end}.tick{fill:#999;text-anchor:middle}
.rail{stroke:#eee;stroke-width:1}.line{fill:none;stroke:#3949ab;stroke-width:2;stroke-linejoin:round;opacity:.75}
.station{stroke:#fff;stroke-width:1}.user{fill:#d81b60}.plan{fill:#8e24aa}.think{fill:#7e57c2}
.read{fill:#039be5}.exec{fill:#f4511e}.write{fill:#43a047}.answer{fill:#6d4c41}.tool,.system{fill:#757575}
.ctx{fill:#bbdefb;stroke:#64b5f6}.burst{stroke:#999;stroke-dasharray:4 4}.burst-label{fill:#333;font-weight:600}
.col{stroke:#43a047;stroke-dasharray:2 2}.accept{fill:none;stroke-width:2}.commit{fill:#fff;stroke:#222;stroke-width:2}
table{border-collapse:collapse;margin-top:16px;width:100%}td,th{border-top:1px solid #eee;padding:6px;text-align:left;vertical-align:top}
.badge{display:inline-block;padding:0 6px;border-radius:8px;color:#fff;font-size:12px;margin:1px}
code{font-size:12px}";

fn page(out: &mut dyn Write, map: &SessionMap, svg: &str) -> io::Result<()> {
    writeln!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
    )?;
    writeln!(
        out,
        "<title>session {} · git trace map</title>\n<style>{CSS}</style>\n</head>\n<body>",
        short(&map.session)
    )?;
    writeln!(out, "<h1>session <code>{}</code></h1>", e(&map.session))?;
    writeln!(
        out,
        "<p class=\"meta\">{} · <span id=\"steps\">{} steps</span> · <span id=\"bursts\">{} bursts</span> · {} .. {}</p>",
        e(&map.harness),
        map.steps,
        map.bursts.len(),
        e(&map.started_at),
        e(&map.ended_at)
    )?;
    writeln!(out, "<div class=\"scroll\">\n{svg}</div>")?;
    burst_table(out, &map.bursts)?;
    writeln!(out, "</body>\n</html>")
}

pub fn burst_table(out: &mut dyn Write, bursts: &[Burst]) -> io::Result<()> {
    writeln!(
        out,
        "<table>\n<tr><th>burst</th><th>prompt</th><th>steps</th><th>files</th><th>patches</th></tr>"
    )?;
    for b in bursts {
        let kinds: Vec<String> = b.kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let patches: String = b
            .patches
            .iter()
            .map(|p| {
                format!(
                    "<span class=\"badge\" style=\"background:{}\">{} {}</span>",
                    state_colour(&p.state),
                    p.step,
                    p.state
                )
            })
            .collect();
        writeln!(
            out,
            "<tr class=\"burst-row\"><td>B{} · {}–{}<br>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{patches}</td></tr>",
            b.index,
            b.start_step,
            b.end_step,
            duration(b.wall_seconds),
            e(b.prompt.as_deref().unwrap_or("(no prompt)")),
            kinds.join(" · "),
            e(&b.files.join(", "))
        )?;
    }
    writeln!(out, "</table>")
}
