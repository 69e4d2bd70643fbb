# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_git_trace_global_optspecs
    string join \n h/help V/version
end

function __fish_git_trace_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_git_trace_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_git_trace_using_subcommand
    set -l cmd (__fish_git_trace_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c git-trace -n "__fish_git_trace_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_needs_command" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "init" -d 'Wire git hooks and an agent\'s hooks for this repository'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "uninstall" -d 'Remove exactly what `git trace init` added'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "doctor" -d 'Say what is wired and whether the evidence store is healthy'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "list" -d 'List the sessions captured in this repository, newest first'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "show" -d 'Show a session step by step, or one step in full'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "query" -d 'Find the sessions that worked on something, best first, with their matching steps'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "map" -d 'Map a session as bursts of work: intent, files, patches, their survival, commits'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "stats" -d 'Count sessions, steps, tokens and lines written vs alive over a time range'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "import" -d 'Import harness session files (backfill)'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "redact" -d 'Redact secrets from standard input (the scanner as a filter)'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "share" -d 'Review a session and share a redacted copy of it'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "push" -d 'Send shared sessions and notes to a remote'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "fetch" -d 'Bring shared sessions and notes from a remote'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "forget" -d 'Remove a session from this clone (and a remote)'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "rescan" -d 'Re-run today\'s capture rules over stored sessions'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "export" -d 'Export a session in an interchange format'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "view" -d 'Serve a local, read-only web view of the sessions, trails, blame and the pull request'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "dataset" -d 'Build datasets from your sessions: workflow → inbox → review → publish'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "skill" -d 'Score skill versions from their real runs, or refuse when the labels cannot be trusted'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "rate" -d 'Rate a session (or a range of its steps) good or bad: a human label for the skill verifier'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "hook" -d 'Record one agent hook event (called by the agent, not by you)'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-trace -n "__fish_git_trace_using_subcommand init" -l agent -d 'The agent whose hooks to wire' -r -f -a "claude\t''
codex\t''
pi\t''
all\t'Claude Code, Codex and Pi'"
complete -c git-trace -n "__fish_git_trace_using_subcommand init" -l remote -d 'Also add refspecs to this remote so plain `git push`/`git fetch` carry shared sessions (refs/traces/shared/*) and notes (refs/notes/traces), never private refs' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand init" -l global -d 'Wire the agent for every repository of this user (its user-level settings) instead of this one'
complete -c git-trace -n "__fish_git_trace_using_subcommand init" -l json -d 'Print what was done as JSON'
complete -c git-trace -n "__fish_git_trace_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand init" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand uninstall" -l agent -d 'The agent whose hooks to remove' -r -f -a "claude\t''
codex\t''
pi\t''
all\t'Claude Code, Codex and Pi'"
complete -c git-trace -n "__fish_git_trace_using_subcommand uninstall" -l remote -d 'Also remove the refspecs `init --remote` added to this remote' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand uninstall" -l global -d 'Remove the user-level wiring (what `init --global` added) instead of this repository\'s'
complete -c git-trace -n "__fish_git_trace_using_subcommand uninstall" -l json -d 'Print what was done as JSON'
complete -c git-trace -n "__fish_git_trace_using_subcommand uninstall" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand uninstall" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand doctor" -l json -d 'Print the report as JSON'
complete -c git-trace -n "__fish_git_trace_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand list" -l json -d 'Print a JSON array of sessions (id, harness, started_at, ended_at, steps, files_changed, prompt, …)'
complete -c git-trace -n "__fish_git_trace_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand list" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand show" -l json -d 'Print JSON: the whole trace (id, harness, steps[]) or the one step'
complete -c git-trace -n "__fish_git_trace_using_subcommand show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand show" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand query" -l since -d 'Only sessions started within this span (30d, 12h, 2w) or on or after this date (YYYY-MM-DD, UTC)' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand query" -l until -d 'Only sessions started before this span ago, or on or before this date (YYYY-MM-DD, UTC)' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand query" -l harness -d 'Only sessions of this harness (claude, codex, pi)' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand query" -l model -d 'Only sessions that used a model whose name contains this (opus, gpt-5)' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand query" -l file -d 'Only sessions with a step naming this path (repository-relative), or a path under it' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand query" -l state -d 'Only sessions with at least one patch in this survival state against HEAD (see `git trail track`)' -r -f -a "never_committed\t''
lost\t''
reverted\t''
alive_on_path\t''
alive_moved\t''
alive_transformed\t''
partially_preserved\t''
repaired\t''
unknown\t''"
complete -c git-trace -n "__fish_git_trace_using_subcommand query" -l commit -d 'Only sessions anchored on this commit' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand query" -s n -l limit -d 'Show at most this many sessions' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand query" -l json -d 'Print a JSON array of sessions (id, harness, started_at, score, prompt, steps[]: address, index, kind, summary)'
complete -c git-trace -n "__fish_git_trace_using_subcommand query" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand query" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand map" -l gap -d 'The idle gap that opens a new burst (10m, 1h, 90s)' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand map" -l format -d 'Output format' -r -f -a "text\t''
json\t''
html\t'One self-contained page (inline CSS and SVG)'"
complete -c git-trace -n "__fish_git_trace_using_subcommand map" -s o -l output -d 'Write to this file instead of standard output' -r -F
complete -c git-trace -n "__fish_git_trace_using_subcommand map" -l bursts -d 'Show the session as bursts (the text and JSON forms are always by burst)'
complete -c git-trace -n "__fish_git_trace_using_subcommand map" -l json -d 'Print JSON (schema git-traces/map@1); the same as --format json'
complete -c git-trace -n "__fish_git_trace_using_subcommand map" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand map" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand stats" -l since -d 'Only sessions started at or after this time' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand stats" -l until -d 'Only sessions started before this time' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand stats" -l json -d 'Print JSON (schema git-traces/stats@1)'
complete -c git-trace -n "__fish_git_trace_using_subcommand stats" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand stats" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand import" -l since -d 'With --all: only files modified within this span (30d, 12h, 2w, 90m)' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand import" -l dir -d 'With --all: look for session files under this directory instead of the harness\'s default (needs a harness)' -r -F
complete -c git-trace -n "__fish_git_trace_using_subcommand import" -l moved-from -d 'The repository was moved since the session ran: paths under this old location are paths of this repository' -r -F
complete -c git-trace -n "__fish_git_trace_using_subcommand import" -l all -d 'Find and import every session of this repository'
complete -c git-trace -n "__fish_git_trace_using_subcommand import" -l json -d 'Print one JSON object per file'
complete -c git-trace -n "__fish_git_trace_using_subcommand import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand import" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand redact" -l tier -d 'Which rule set: capture or egress' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand redact" -l json -d 'Print the findings (kind, start, end, marker; byte offsets) as JSON instead of the text'
complete -c git-trace -n "__fish_git_trace_using_subcommand redact" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand redact" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand share" -l redact -d 'Also redact this exact text (repeatable)' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand share" -l redact-pattern -d 'Also redact what this regular expression matches (repeatable)' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand share" -l drop -d 'Withhold this step entirely: its place and kind stay, nothing it carried (repeatable)' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand share" -s y -l yes -d 'Share without asking'
complete -c git-trace -n "__fish_git_trace_using_subcommand share" -l json -d 'Print the review as JSON (findings, counts, withheld) instead of text'
complete -c git-trace -n "__fish_git_trace_using_subcommand share" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand share" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand push" -l capsule -d 'A capsule to send too (a .capsule file or an id under refs/capsules/; repeatable)' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand push" -l json
complete -c git-trace -n "__fish_git_trace_using_subcommand push" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand push" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand fetch" -l json
complete -c git-trace -n "__fish_git_trace_using_subcommand fetch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand fetch" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand forget" -l remote -d 'Also delete its shared copy on this remote' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand forget" -l json
complete -c git-trace -n "__fish_git_trace_using_subcommand forget" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand forget" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand rescan" -l json
complete -c git-trace -n "__fish_git_trace_using_subcommand rescan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand rescan" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand export" -l format -d 'The format' -r -f -a "jsonl\t''
atif\t''
agent-trace\t''"
complete -c git-trace -n "__fish_git_trace_using_subcommand export" -s o -l output -d 'Write to this file instead of standard output' -r -F
complete -c git-trace -n "__fish_git_trace_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand export" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand view" -l port -d 'The port to listen on [default: a free one]' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand view" -l open -d 'Open the URL in the desktop\'s browser (xdg-open, or open on macOS)'
complete -c git-trace -n "__fish_git_trace_using_subcommand view" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand view" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and not __fish_seen_subcommand_from templates new run review status verify publish build-rows help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and not __fish_seen_subcommand_from templates new run review status verify publish build-rows help" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and not __fish_seen_subcommand_from templates new run review status verify publish build-rows help" -f -a "templates" -d 'List the built-in workflows and what a row of each holds'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and not __fish_seen_subcommand_from templates new run review status verify publish build-rows help" -f -a "new" -d 'Create a dataset from a template: its workflow directory and refs/traces/datasets/<name>'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and not __fish_seen_subcommand_from templates new run review status verify publish build-rows help" -f -a "run" -d 'Run the workflow: select sessions, build rows, gate them into the inbox'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and not __fish_seen_subcommand_from templates new run review status verify publish build-rows help" -f -a "review" -d 'Show rows waiting for review, with their sources and findings; approve or reject them'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and not __fish_seen_subcommand_from templates new run review status verify publish build-rows help" -f -a "status" -d 'Counts per state, the last run and publish; every dataset without a name'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and not __fish_seen_subcommand_from templates new run review status verify publish build-rows help" -f -a "verify" -d 'Run the last run again and byte-compare: reproduces | evidence-advanced | integrity-failure'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and not __fish_seen_subcommand_from templates new run review status verify publish build-rows help" -f -a "publish" -d 'Push approved rows to a git remote as a Hugging Face-shaped dataset repository'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and not __fish_seen_subcommand_from templates new run review status verify publish build-rows help" -f -a "build-rows" -d 'The built-in row builders, as templates\' build_rows call them'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and not __fish_seen_subcommand_from templates new run review status verify publish build-rows help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from templates" -l json -d 'Print JSON: name, description, row'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from templates" -s h -l help -d 'Print help'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from templates" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from new" -l template -d 'The template to start from (see `git trace dataset templates`)' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from new" -l dir -d 'Where to write the workflow (default: .traces/datasets/<name> in the work tree)' -r -F
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from new" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from new" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from run" -l since -d 'Only sessions started at or after this (30d, 12h, 2026-11-01); overrides the workflow\'s select.since' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from run" -l workflow -d 'Run this workflow directory instead of the dataset\'s own (someone else\'s workflow over your evidence); its digest is pinned' -r -F
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from run" -l answers -d 'A JSON object answering the builder\'s questions, handed to it as the packet\'s "answers"' -r -F
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from run" -l timeout -d 'Kill build_rows after this many seconds' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from run" -l strict -d 'Refuse to run a workflow whose digest is not the one pinned in the dataset'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from run" -l json -d 'Print JSON'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from run" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from review" -l show -d 'Print one row whole: its data, source, state, reason and findings' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from review" -l all -d 'List rows of every state, not only those waiting (inbox, blocked, rejected)'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from review" -l json -d 'Print JSON'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from review" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from review" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from review" -a "approve" -d 'Approve rows from the inbox for publishing'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from review" -a "reject" -d 'Reject rows (any not yet published)'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from review" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from status" -l json -d 'Print JSON'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from verify" -l timeout -d 'Kill build_rows after this many seconds' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from verify" -l json -d 'Print JSON'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from publish" -l to -d 'The remote: a name from `git remote` or a URL or path' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from publish" -l json -d 'Print JSON'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from publish" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from publish" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from build-rows" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from build-rows" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from help" -f -a "templates" -d 'List the built-in workflows and what a row of each holds'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from help" -f -a "new" -d 'Create a dataset from a template: its workflow directory and refs/traces/datasets/<name>'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from help" -f -a "run" -d 'Run the workflow: select sessions, build rows, gate them into the inbox'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from help" -f -a "review" -d 'Show rows waiting for review, with their sources and findings; approve or reject them'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from help" -f -a "status" -d 'Counts per state, the last run and publish; every dataset without a name'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Run the last run again and byte-compare: reproduces | evidence-advanced | integrity-failure'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from help" -f -a "publish" -d 'Push approved rows to a git remote as a Hugging Face-shaped dataset repository'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from help" -f -a "build-rows" -d 'The built-in row builders, as templates\' build_rows call them'
complete -c git-trace -n "__fish_git_trace_using_subcommand dataset; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and not __fish_seen_subcommand_from list runs score help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and not __fish_seen_subcommand_from list runs score help" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and not __fish_seen_subcommand_from list runs score help" -f -a "list" -d 'Skills seen in sessions, with their versions and run counts'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and not __fish_seen_subcommand_from list runs score help" -f -a "runs" -d 'Each run of a skill: session, version, criteria, survival and labels'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and not __fish_seen_subcommand_from list runs score help" -f -a "score" -d 'The score per version, the delta between the last two, and keep / revert / inconclusive'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and not __fish_seen_subcommand_from list runs score help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and __fish_seen_subcommand_from list" -l json -d 'Print JSON'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and __fish_seen_subcommand_from runs" -l json -d 'Print JSON (the skill-runs dataset rows)'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and __fish_seen_subcommand_from runs" -s h -l help -d 'Print help'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and __fish_seen_subcommand_from runs" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and __fish_seen_subcommand_from score" -l threshold -d 'A run passes at or above this score' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and __fish_seen_subcommand_from score" -l explain -d 'Also show the rubric (criteria, weights), the split and the calibration report'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and __fish_seen_subcommand_from score" -l json -d 'Print JSON (schema git-traces/skill-score@1)'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and __fish_seen_subcommand_from score" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and __fish_seen_subcommand_from score" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and __fish_seen_subcommand_from help" -f -a "list" -d 'Skills seen in sessions, with their versions and run counts'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and __fish_seen_subcommand_from help" -f -a "runs" -d 'Each run of a skill: session, version, criteria, survival and labels'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and __fish_seen_subcommand_from help" -f -a "score" -d 'The score per version, the delta between the last two, and keep / revert / inconclusive'
complete -c git-trace -n "__fish_git_trace_using_subcommand skill; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-trace -n "__fish_git_trace_using_subcommand rate" -l note -d 'Why, kept with the rating (redacted like any captured text)' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand rate" -l delete -d 'Remove every rating of this session instead'
complete -c git-trace -n "__fish_git_trace_using_subcommand rate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand rate" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand hook" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand hook" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "init" -d 'Wire git hooks and an agent\'s hooks for this repository'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "uninstall" -d 'Remove exactly what `git trace init` added'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "doctor" -d 'Say what is wired and whether the evidence store is healthy'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "list" -d 'List the sessions captured in this repository, newest first'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "show" -d 'Show a session step by step, or one step in full'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "query" -d 'Find the sessions that worked on something, best first, with their matching steps'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "map" -d 'Map a session as bursts of work: intent, files, patches, their survival, commits'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "stats" -d 'Count sessions, steps, tokens and lines written vs alive over a time range'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "import" -d 'Import harness session files (backfill)'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "redact" -d 'Redact secrets from standard input (the scanner as a filter)'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "share" -d 'Review a session and share a redacted copy of it'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "push" -d 'Send shared sessions and notes to a remote'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "fetch" -d 'Bring shared sessions and notes from a remote'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "forget" -d 'Remove a session from this clone (and a remote)'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "rescan" -d 'Re-run today\'s capture rules over stored sessions'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "export" -d 'Export a session in an interchange format'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "view" -d 'Serve a local, read-only web view of the sessions, trails, blame and the pull request'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "dataset" -d 'Build datasets from your sessions: workflow → inbox → review → publish'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "skill" -d 'Score skill versions from their real runs, or refuse when the labels cannot be trusted'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "rate" -d 'Rate a session (or a range of its steps) good or bad: a human label for the skill verifier'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "hook" -d 'Record one agent hook event (called by the agent, not by you)'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show query map stats import redact share push fetch forget rescan export view dataset skill rate hook help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and __fish_seen_subcommand_from dataset" -f -a "templates" -d 'List the built-in workflows and what a row of each holds'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and __fish_seen_subcommand_from dataset" -f -a "new" -d 'Create a dataset from a template: its workflow directory and refs/traces/datasets/<name>'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and __fish_seen_subcommand_from dataset" -f -a "run" -d 'Run the workflow: select sessions, build rows, gate them into the inbox'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and __fish_seen_subcommand_from dataset" -f -a "review" -d 'Show rows waiting for review, with their sources and findings; approve or reject them'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and __fish_seen_subcommand_from dataset" -f -a "status" -d 'Counts per state, the last run and publish; every dataset without a name'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and __fish_seen_subcommand_from dataset" -f -a "verify" -d 'Run the last run again and byte-compare: reproduces | evidence-advanced | integrity-failure'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and __fish_seen_subcommand_from dataset" -f -a "publish" -d 'Push approved rows to a git remote as a Hugging Face-shaped dataset repository'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and __fish_seen_subcommand_from dataset" -f -a "build-rows" -d 'The built-in row builders, as templates\' build_rows call them'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and __fish_seen_subcommand_from skill" -f -a "list" -d 'Skills seen in sessions, with their versions and run counts'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and __fish_seen_subcommand_from skill" -f -a "runs" -d 'Each run of a skill: session, version, criteria, survival and labels'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and __fish_seen_subcommand_from skill" -f -a "score" -d 'The score per version, the delta between the last two, and keep / revert / inconclusive'
