# bash completion for taskqueuectl(1)            -*- shell-script -*-
# Installed to /usr/share/bash-completion/completions/taskqueuectl.
# Works with or without the bash-completion package.

_taskqueuectl() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion || return
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD-1]}
    fi

    local verbs="queue unqueue schedule unschedule list find plugins commands status info
        pause resume process flush_scheduled_tasks delete_unprocessed_tasks set wait log
        retry progress log-line events search help"
    local global_opts="--state-dir --name --plugin-dir --json --recover --busy-timeout
        --help --version"
    local states="active processing deferred waiting scheduled complete failed"
    local settings="max_running default_timeout max_timeout default_child_timeout
        keep_finished_seconds keep_complete_count keep_failed_count keep_events_seconds
        max_output_bytes"

    # Values of options.
    case $prev in
        --state-dir|--plugin-dir)
            COMPREPLY=($(compgen -d -- "$cur"))
            return ;;
        --priority)
            COMPREPLY=($(compgen -W "low normal medium high critical" -- "$cur"))
            return ;;
        --backoff)
            COMPREPLY=($(compgen -W "fixed: exponential:" -- "$cur"))
            [[ ${#COMPREPLY[@]} -eq 1 ]] && compopt -o nospace 2>/dev/null
            return ;;
        --state)
            COMPREPLY=($(compgen -W "$states" -- "$cur"))
            return ;;
        --name|--attempts|--timeout|--userdata|--since|--busy-timeout)
            return ;;
    esac

    # The verb: the first word that is not an option or an option's value.
    local i verb="" verb_index=0
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --state-dir|--name|--plugin-dir|--busy-timeout) ((i++)) ;;
            -*) ;;
            *) verb=${words[i]}; verb_index=$i; break ;;
        esac
    done

    if [[ -z $verb ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$global_opts" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
        fi
        return
    fi

    local nargs=$((cword - verb_index - 1))
    local enqueue_opts="--priority --attempts --backoff --timeout --userdata"
    if [[ $cur == -* ]]; then
        local opts="$global_opts"
        case $verb in
            queue|schedule) opts="$opts $enqueue_opts" ;;
            events) opts="$opts --follow --since" ;;
            search) opts="$opts --state" ;;
        esac
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi

    case $verb in
        list)
            COMPREPLY=($(compgen -W "verbose $states" -- "$cur")) ;;
        process)
            COMPREPLY=($(compgen -W "verbose scheduled waiting" -- "$cur")) ;;
        plugins)
            [[ $nargs -eq 0 ]] && COMPREPLY=($(compgen -W "verbose" -- "$cur")) ;;
        delete_unprocessed_tasks)
            [[ $nargs -eq 0 ]] && COMPREPLY=($(compgen -W "scheduled waiting" -- "$cur")) ;;
        find)
            [[ $nargs -eq 0 ]] && COMPREPLY=($(compgen -W "task command" -- "$cur")) ;;
        schedule)
            [[ $nargs -eq 0 ]] && COMPREPLY=($(compgen -W "at after" -- "$cur")) ;;
        set)
            [[ $nargs -eq 0 ]] && COMPREPLY=($(compgen -W "$settings" -- "$cur")) ;;
        help)
            [[ $nargs -eq 0 ]] && COMPREPLY=($(compgen -W "$verbs" -- "$cur")) ;;
    esac
}

complete -F _taskqueuectl taskqueuectl
