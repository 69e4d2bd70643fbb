# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_git_capsule_global_optspecs
    string join \n h/help V/version
end

function __fish_git_capsule_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_git_capsule_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_git_capsule_using_subcommand
    set -l cmd (__fish_git_capsule_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c git-capsule -n "__fish_git_capsule_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-capsule -n "__fish_git_capsule_needs_command" -s V -l version -d 'Print version'
complete -c git-capsule -n "__fish_git_capsule_needs_command" -f -a "seal" -d 'Seal steps of a session into a capsule file, after a preview you agree to'
complete -c git-capsule -n "__fish_git_capsule_needs_command" -f -a "inspect" -d 'Show what a capsule holds: its source, intent, verifier, privacy report and members'
complete -c git-capsule -n "__fish_git_capsule_needs_command" -f -a "verify" -d 'Check a capsule: the bundle, every member\'s digest and size, the schema and the id'
complete -c git-capsule -n "__fish_git_capsule_needs_command" -f -a "open" -d 'Open a capsule into a directory: the working tree where the agent stood, the capsule beside'
complete -c git-capsule -n "__fish_git_capsule_needs_command" -f -a "replay" -d 'Run the capsule\'s verifier again: reproduces, fixed or inconclusive'
complete -c git-capsule -n "__fish_git_capsule_needs_command" -f -a "repose" -d 'Put an agent back at the failing step, let it run, and replay the verifier: before and after'
complete -c git-capsule -n "__fish_git_capsule_needs_command" -f -a "push" -d 'Push capsules to a remote as refs/capsules/<id>'
complete -c git-capsule -n "__fish_git_capsule_needs_command" -f -a "fetch" -d 'Fetch a remote\'s capsules (refs/capsules/*)'
complete -c git-capsule -n "__fish_git_capsule_needs_command" -f -a "issue" -d 'Write a GitHub issue body (markdown) that summarises a capsule and says how to replay it'
complete -c git-capsule -n "__fish_git_capsule_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand seal" -l test -d 'The command that shows the failure, run from the repository root' -r
complete -c git-capsule -n "__fish_git_capsule_using_subcommand seal" -l expect -d 'Text in the output that marks the failure' -r
complete -c git-capsule -n "__fish_git_capsule_using_subcommand seal" -s o -l output -d 'The file to write [default: capsule-<id>.capsule]' -r -F
complete -c git-capsule -n "__fish_git_capsule_using_subcommand seal" -l timeout -d 'How long the test may run, at sealing and at each replay' -r
complete -c git-capsule -n "__fish_git_capsule_using_subcommand seal" -l include-prompts -d 'Keep the user prompts and the system prompt (still scanned)'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand seal" -l yes -d 'Seal without asking'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand seal" -l json -d 'Print the preview (and, with --yes, the result) as JSON'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand seal" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand seal" -s V -l version -d 'Print version'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand inspect" -l json -d 'Print capsule.json'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand inspect" -s V -l version -d 'Print version'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand verify" -l json
complete -c git-capsule -n "__fish_git_capsule_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand verify" -s V -l version -d 'Print version'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand open" -l json
complete -c git-capsule -n "__fish_git_capsule_using_subcommand open" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand open" -s V -l version -d 'Print version'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand replay" -l against -d 'Run against this revision of the current repository instead of the capsule\'s tree' -r
complete -c git-capsule -n "__fish_git_capsule_using_subcommand replay" -l with -d 'Pin a dependency to a version in the checkout before the run (repeatable)' -r
complete -c git-capsule -n "__fish_git_capsule_using_subcommand replay" -l matrix -d 'Replay once per version of a dependency: which one flips the verdict' -r
complete -c git-capsule -n "__fish_git_capsule_using_subcommand replay" -l timeout -d 'Override the sealed time limit' -r
complete -c git-capsule -n "__fish_git_capsule_using_subcommand replay" -l json
complete -c git-capsule -n "__fish_git_capsule_using_subcommand replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand replay" -s V -l version -d 'Print version'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand repose" -l harness -d 'The harness to resume in [default: the one the capsule was sealed from]' -r -f -a "claude\t''
codex\t''
pi\t''"
complete -c git-capsule -n "__fish_git_capsule_using_subcommand repose" -l model -d 'The model the harness runs with [default: the harness\'s own setting]' -r
complete -c git-capsule -n "__fish_git_capsule_using_subcommand repose" -l dir -d 'A new or empty directory [default: capsule-<id>-repose]' -r -F
complete -c git-capsule -n "__fish_git_capsule_using_subcommand repose" -l prompt -d 'The prompt the harness continues with' -r
complete -c git-capsule -n "__fish_git_capsule_using_subcommand repose" -l with -d 'Pin a dependency in DIR before the harness starts (repeatable; as for replay)' -r
complete -c git-capsule -n "__fish_git_capsule_using_subcommand repose" -l skill -d 'A skill file (SKILL.md) for the harness (repeatable): Pi gets it with --skill, Claude Code finds it copied to DIR/.claude/skills/<name>/SKILL.md' -r -F
complete -c git-capsule -n "__fish_git_capsule_using_subcommand repose" -l timeout -d 'How long the harness may run' -r
complete -c git-capsule -n "__fish_git_capsule_using_subcommand repose" -l json
complete -c git-capsule -n "__fish_git_capsule_using_subcommand repose" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand repose" -s V -l version -d 'Print version'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand push" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand push" -s V -l version -d 'Print version'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand fetch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand fetch" -s V -l version -d 'Print version'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand issue" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand issue" -s V -l version -d 'Print version'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand help; and not __fish_seen_subcommand_from seal inspect verify open replay repose push fetch issue help" -f -a "seal" -d 'Seal steps of a session into a capsule file, after a preview you agree to'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand help; and not __fish_seen_subcommand_from seal inspect verify open replay repose push fetch issue help" -f -a "inspect" -d 'Show what a capsule holds: its source, intent, verifier, privacy report and members'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand help; and not __fish_seen_subcommand_from seal inspect verify open replay repose push fetch issue help" -f -a "verify" -d 'Check a capsule: the bundle, every member\'s digest and size, the schema and the id'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand help; and not __fish_seen_subcommand_from seal inspect verify open replay repose push fetch issue help" -f -a "open" -d 'Open a capsule into a directory: the working tree where the agent stood, the capsule beside'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand help; and not __fish_seen_subcommand_from seal inspect verify open replay repose push fetch issue help" -f -a "replay" -d 'Run the capsule\'s verifier again: reproduces, fixed or inconclusive'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand help; and not __fish_seen_subcommand_from seal inspect verify open replay repose push fetch issue help" -f -a "repose" -d 'Put an agent back at the failing step, let it run, and replay the verifier: before and after'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand help; and not __fish_seen_subcommand_from seal inspect verify open replay repose push fetch issue help" -f -a "push" -d 'Push capsules to a remote as refs/capsules/<id>'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand help; and not __fish_seen_subcommand_from seal inspect verify open replay repose push fetch issue help" -f -a "fetch" -d 'Fetch a remote\'s capsules (refs/capsules/*)'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand help; and not __fish_seen_subcommand_from seal inspect verify open replay repose push fetch issue help" -f -a "issue" -d 'Write a GitHub issue body (markdown) that summarises a capsule and says how to replay it'
complete -c git-capsule -n "__fish_git_capsule_using_subcommand help; and not __fish_seen_subcommand_from seal inspect verify open replay repose push fetch issue help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
