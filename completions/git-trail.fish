# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_git_trail_global_optspecs
    string join \n h/help V/version
end

function __fish_git_trail_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_git_trail_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_git_trail_using_subcommand
    set -l cmd (__fish_git_trail_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c git-trail -n "__fish_git_trail_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trail -n "__fish_git_trail_needs_command" -s V -l version -d 'Print version'
complete -c git-trail -n "__fish_git_trail_needs_command" -f -a "log" -d 'Show the snapshot chain of a session, newest first'
complete -c git-trail -n "__fish_git_trail_needs_command" -f -a "diff" -d 'Print the patch a step produced, or a whole session\'s'
complete -c git-trail -n "__fish_git_trail_needs_command" -f -a "blame" -d 'Show which commit and which agent step last changed each line of a file'
complete -c git-trail -n "__fish_git_trail_needs_command" -f -a "track" -d 'Did the agents\' work land? The survival state of every patch, per session'
complete -c git-trail -n "__fish_git_trail_needs_command" -f -a "hook" -d 'Run from the git hooks `git trace init` installs (not by you)'
complete -c git-trail -n "__fish_git_trail_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-trail -n "__fish_git_trail_using_subcommand log" -l json -d 'Print a JSON array, oldest snapshot first (commit, step, external, subject, files, added, removed)'
complete -c git-trail -n "__fish_git_trail_using_subcommand log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trail -n "__fish_git_trail_using_subcommand log" -s V -l version -d 'Print version'
complete -c git-trail -n "__fish_git_trail_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trail -n "__fish_git_trail_using_subcommand diff" -s V -l version -d 'Print version'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and not __fish_seen_subcommand_from commit pr help" -s L -d 'Only these lines, in any of git blame\'s forms: `<start>,<end>`, `<start>,+<count>`, `/<regex>/`, `:<funcname>`; may be given more than once' -r
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and not __fish_seen_subcommand_from commit pr help" -l porcelain -d 'Print exactly `git blame --porcelain`, plus `trace-session <id>`, `trace-step <n>` and `trace-state <state>` header lines before the content line of every anchored line (parsers that skip unknown headers keep working). Not paged'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and not __fish_seen_subcommand_from commit pr help" -l json -d 'Print a JSON array, one object per line of the file (schema, line, commit, orig_line, file, author, author_time, content; session, step, key, harness, prompt, state, tier, firmness, null on lines no agent step produced). Not paged'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and not __fish_seen_subcommand_from commit pr help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and not __fish_seen_subcommand_from commit pr help" -s V -l version -d 'Print version'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and not __fish_seen_subcommand_from commit pr help" -a "commit" -d 'What were we trying to do here? The sessions behind a commit'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and not __fish_seen_subcommand_from commit pr help" -a "pr" -d 'The pull request that explains itself: the story of every commit of a branch'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and not __fish_seen_subcommand_from commit pr help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and __fish_seen_subcommand_from commit" -l format -d 'Output format: text, or md (markdown that pastes into a pull request)' -r -f -a "text\t''
md\t''"
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and __fish_seen_subcommand_from commit" -l json -d 'Print JSON (schema git-traces/commit-story@1) instead'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and __fish_seen_subcommand_from commit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and __fish_seen_subcommand_from commit" -s V -l version -d 'Print version'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and __fish_seen_subcommand_from pr" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and __fish_seen_subcommand_from pr" -s V -l version -d 'Print version'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and __fish_seen_subcommand_from pr" -f -a "render" -d 'Render the story of a branch\'s commits as markdown, HTML or JSON'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and __fish_seen_subcommand_from pr" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and __fish_seen_subcommand_from help" -f -a "commit" -d 'What were we trying to do here? The sessions behind a commit'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and __fish_seen_subcommand_from help" -f -a "pr" -d 'The pull request that explains itself: the story of every commit of a branch'
complete -c git-trail -n "__fish_git_trail_using_subcommand blame; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-trail -n "__fish_git_trail_using_subcommand track" -l rev -d 'The revision to check against' -r
complete -c git-trail -n "__fish_git_trail_using_subcommand track" -l since -d 'Only sessions that started within this long: `<n>h`, `<n>d` or `<n>w` (e.g. 7d)' -r
complete -c git-trail -n "__fish_git_trail_using_subcommand track" -l json -d 'Print JSON: the totals over all sessions (`overall`), then per session the counts by state, lines written, alive and never committed, and every patch with its evidence'
complete -c git-trail -n "__fish_git_trail_using_subcommand track" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trail -n "__fish_git_trail_using_subcommand track" -s V -l version -d 'Print version'
complete -c git-trail -n "__fish_git_trail_using_subcommand hook" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-trail -n "__fish_git_trail_using_subcommand hook" -s V -l version -d 'Print version'
complete -c git-trail -n "__fish_git_trail_using_subcommand help; and not __fish_seen_subcommand_from log diff blame track hook help" -f -a "log" -d 'Show the snapshot chain of a session, newest first'
complete -c git-trail -n "__fish_git_trail_using_subcommand help; and not __fish_seen_subcommand_from log diff blame track hook help" -f -a "diff" -d 'Print the patch a step produced, or a whole session\'s'
complete -c git-trail -n "__fish_git_trail_using_subcommand help; and not __fish_seen_subcommand_from log diff blame track hook help" -f -a "blame" -d 'Show which commit and which agent step last changed each line of a file'
complete -c git-trail -n "__fish_git_trail_using_subcommand help; and not __fish_seen_subcommand_from log diff blame track hook help" -f -a "track" -d 'Did the agents\' work land? The survival state of every patch, per session'
complete -c git-trail -n "__fish_git_trail_using_subcommand help; and not __fish_seen_subcommand_from log diff blame track hook help" -f -a "hook" -d 'Run from the git hooks `git trace init` installs (not by you)'
complete -c git-trail -n "__fish_git_trail_using_subcommand help; and not __fish_seen_subcommand_from log diff blame track hook help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-trail -n "__fish_git_trail_using_subcommand help; and __fish_seen_subcommand_from blame" -f -a "commit" -d 'What were we trying to do here? The sessions behind a commit'
complete -c git-trail -n "__fish_git_trail_using_subcommand help; and __fish_seen_subcommand_from blame" -f -a "pr" -d 'The pull request that explains itself: the story of every commit of a branch'
