# bash completion for lbctl(1). Verbs and options as `lbctl --help` lists them; options may come
# before or after the verb.
_lbctl() {
    local cur prev words cword
    _init_completion -s || return

    local verbs="status pools services peers reload check-config"
    local global_options="--json --no-legend --no-pager --bus --help --version"
    local check_options="--config -c --pools-dir"

    case $prev in
        --json)
            COMPREPLY=($(compgen -W 'pretty short' -- "$cur"))
            return
            ;;
        --bus)
            COMPREPLY=($(compgen -W 'system session' -- "$cur"))
            return
            ;;
        --config | -c)
            _filedir toml
            return
            ;;
        --pools-dir)
            _filedir -d
            return
            ;;
    esac

    local verb word
    for word in "${words[@]:1:cword-1}"; do
        if [[ " $verbs " == *" $word "* ]]; then
            verb=$word
            break
        fi
    done

    if [[ $cur == -* ]]; then
        local options=$global_options
        [[ $verb == check-config ]] && options+=" $check_options"
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
        [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
        return
    fi
    [[ -z $verb ]] && COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
}
complete -F _lbctl lbctl
