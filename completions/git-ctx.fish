# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_git_ctx_global_optspecs
    string join \n h/help V/version
end

function __fish_git_ctx_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_git_ctx_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_git_ctx_using_subcommand
    set -l cmd (__fish_git_ctx_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c git-ctx -n "__fish_git_ctx_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-ctx -n "__fish_git_ctx_needs_command" -s V -l version -d 'Print version'
complete -c git-ctx -n "__fish_git_ctx_needs_command" -f -a "show" -d 'Show what the model could see right before a step'
complete -c git-ctx -n "__fish_git_ctx_needs_command" -f -a "diff" -d 'Show what entered and what left the window between two steps'
complete -c git-ctx -n "__fish_git_ctx_needs_command" -f -a "pack" -d 'Write the context pack of a step as JSON'
complete -c git-ctx -n "__fish_git_ctx_needs_command" -f -a "resume" -d 'Start a new session of the harness right before a step'
complete -c git-ctx -n "__fish_git_ctx_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand show" -l json -d 'Print the window as JSON (schema git-traces/ctx-window@1)'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand show" -s V -l version -d 'Print version'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand diff" -l json -d 'Print the difference as JSON (schema git-traces/ctx-diff@1)'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand diff" -s V -l version -d 'Print version'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand pack" -s o -l output -d 'Write the pack to this file instead of standard output' -r -F
complete -c git-ctx -n "__fish_git_ctx_using_subcommand pack" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand pack" -s V -l version -d 'Print version'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand resume" -l harness -d 'The harness to resume in (default: the session\'s own). In another harness, the conversation is rewritten in its format: prompts, answers, and shell, read, write and edit calls with their results carry over; thinking and harness-injected context do not. A call the other harness has no tool for (Codex\'s apply_patch, search or MCP tools) is refused, naming its step. Codex cannot be the target' -r -f -a "claude\t''
codex\t''
pi\t''"
complete -c git-ctx -n "__fish_git_ctx_using_subcommand resume" -l worktree -d 'Check out the step\'s working tree into a new worktree here, and resume there' -r -F
complete -c git-ctx -n "__fish_git_ctx_using_subcommand resume" -l exec -d 'Run the harness\'s resume command instead of printing it'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand resume" -l json -d 'Print what was written as JSON (schema git-traces/ctx-resume@1)'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand resume" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand resume" -s V -l version -d 'Print version'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand help; and not __fish_seen_subcommand_from show diff pack resume help" -f -a "show" -d 'Show what the model could see right before a step'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand help; and not __fish_seen_subcommand_from show diff pack resume help" -f -a "diff" -d 'Show what entered and what left the window between two steps'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand help; and not __fish_seen_subcommand_from show diff pack resume help" -f -a "pack" -d 'Write the context pack of a step as JSON'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand help; and not __fish_seen_subcommand_from show diff pack resume help" -f -a "resume" -d 'Start a new session of the harness right before a step'
complete -c git-ctx -n "__fish_git_ctx_using_subcommand help; and not __fish_seen_subcommand_from show diff pack resume help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
