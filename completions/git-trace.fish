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
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "import" -d 'Import harness session files (backfill)'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "hook" -d 'Record one agent hook event (called by the agent, not by you)'
complete -c git-trace -n "__fish_git_trace_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-trace -n "__fish_git_trace_using_subcommand init" -l agent -d 'The agent whose hooks to wire' -r -f -a "claude\t''
codex\t''
pi\t''
all\t'Claude Code, Codex and Pi'"
complete -c git-trace -n "__fish_git_trace_using_subcommand init" -l global -d 'Wire the agent for every repository of this user (its user-level settings) instead of this one'
complete -c git-trace -n "__fish_git_trace_using_subcommand init" -l json -d 'Print what was done as JSON'
complete -c git-trace -n "__fish_git_trace_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand init" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand uninstall" -l agent -d 'The agent whose hooks to remove' -r -f -a "claude\t''
codex\t''
pi\t''
all\t'Claude Code, Codex and Pi'"
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
complete -c git-trace -n "__fish_git_trace_using_subcommand import" -l since -d 'With --all: only files modified within this span (30d, 12h, 2w, 90m)' -r
complete -c git-trace -n "__fish_git_trace_using_subcommand import" -l dir -d 'With --all: look for session files under this directory instead of the harness\'s default (needs a harness)' -r -F
complete -c git-trace -n "__fish_git_trace_using_subcommand import" -l moved-from -d 'The repository was moved since the session ran: paths under this old location are paths of this repository' -r -F
complete -c git-trace -n "__fish_git_trace_using_subcommand import" -l all -d 'Find and import every session of this repository'
complete -c git-trace -n "__fish_git_trace_using_subcommand import" -l json -d 'Print one JSON object per file'
complete -c git-trace -n "__fish_git_trace_using_subcommand import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand import" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand hook" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trace -n "__fish_git_trace_using_subcommand hook" -s V -l version -d 'Print version'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show import hook help" -f -a "init" -d 'Wire git hooks and an agent\'s hooks for this repository'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show import hook help" -f -a "uninstall" -d 'Remove exactly what `git trace init` added'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show import hook help" -f -a "doctor" -d 'Say what is wired and whether the evidence store is healthy'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show import hook help" -f -a "list" -d 'List the sessions captured in this repository, newest first'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show import hook help" -f -a "show" -d 'Show a session step by step, or one step in full'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show import hook help" -f -a "import" -d 'Import harness session files (backfill)'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show import hook help" -f -a "hook" -d 'Record one agent hook event (called by the agent, not by you)'
complete -c git-trace -n "__fish_git_trace_using_subcommand help; and not __fish_seen_subcommand_from init uninstall doctor list show import hook help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
