/**
 * Shell completion scripts for bash and zsh, generated from the option table so that they list
 * every command and flag there is: flags by command, the words of a flag that takes one of a
 * set, file names for file flags.
 */
import type { AnyOption } from '../config/options.js';

export const Shells = ['bash', 'zsh'] as const;
export type Shell = (typeof Shells)[number];

export interface CompletedCommand {
  readonly name: string;
  readonly summary: string;
  readonly options: readonly AnyOption[];
  /** Words completed as arguments (the shells of `completion`); none: no completion. */
  readonly argumentWords?: readonly string[];
}

const PROGRAM = 'digest-pinner';
const FUNCTION = '_digest_pinner';

export function completionScript(shell: Shell, commands: readonly CompletedCommand[]): string {
  return shell === 'bash' ? bashScript(commands) : zshScript(commands);
}

function flagNames(option: AnyOption): string[] {
  const long = `--${option.flag}`;
  return option.short === undefined ? [long] : [`-${option.short}`, long];
}

function bashScript(commands: readonly CompletedCommand[]): string {
  const commandCases = commands.map((command) => {
    const flags = [...command.options.flatMap(flagNames), '--help'].join(' ');
    const words = (command.argumentWords ?? []).join(' ');
    return `    ${command.name}) flags='${flags}'; words='${words}' ;;`;
  });
  const options = uniqueByFlag(commands.flatMap((command) => command.options));
  const valueCases = options.flatMap((option) => {
    if (option.value.kind === 'switch') return [];
    const names = flagNames(option).join('|');
    const { completion } = option.value;
    if (completion === 'file') {
      return [
        `    ${names}) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;`,
      ];
    }
    if (completion === 'none') return [`    ${names}) return ;;`];
    return [
      `    ${names}) COMPREPLY=($(compgen -W '${completion.join(' ')}' -- "$cur")); return ;;`,
    ];
  });
  const names = commands.map((command) => command.name).join(' ');
  return `# bash completion for ${PROGRAM}; load with: source <(${PROGRAM} completion bash)
${FUNCTION}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W '${names} --help --version' -- "$cur"))
    return
  fi
  local flags='' words=''
  case "\${COMP_WORDS[1]}" in
${commandCases.join('\n')}
    *) return ;;
  esac
  case "$prev" in
${valueCases.join('\n')}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  elif [[ -n "$words" ]]; then
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  fi
}
complete -F ${FUNCTION} ${PROGRAM}
`;
}

function zshScript(commands: readonly CompletedCommand[]): string {
  const described = commands.map((command) => `    ${quote(`${command.name}:${command.summary}`)}`);
  const commandCases = commands.map((command) => {
    const specs = [
      ...command.options.flatMap(zshSpecs),
      quote('(-h --help)-h[print help]'),
      quote('(-h --help)--help[print help]'),
    ];
    if (command.argumentWords !== undefined && command.argumentWords.length > 0) {
      specs.push(quote(`1:argument:(${command.argumentWords.join(' ')})`));
    }
    return `    ${command.name})\n      _arguments -s \\\n        ${specs.join(' \\\n        ')}\n      ;;`;
  });
  return `#compdef ${PROGRAM}
# zsh completion for ${PROGRAM}; load with: source <(${PROGRAM} completion zsh)
${FUNCTION}() {
  local -a commands
  commands=(
${described.join('\n')}
  )
  if (( CURRENT == 2 )); then
    _describe -t commands '${PROGRAM} command' commands
    return
  fi
  local command="\${words[2]}"
  shift words
  (( CURRENT-- ))
  case "$command" in
${commandCases.join('\n')}
  esac
}
if [[ "\${funcstack[1]}" == "${FUNCTION}" ]]; then
  ${FUNCTION} "$@"
else
  compdef ${FUNCTION} ${PROGRAM}
fi
`;
}

function zshSpecs(option: AnyOption): string[] {
  const description = `[${escapeZsh(option.help)}]`;
  const repeat = option.value.kind === 'list' ? '*' : '';
  const value = zshValue(option);
  if (option.short === undefined) {
    return [
      quote(
        `${repeat}--${option.flag}${option.value.kind === 'switch' ? '' : '='}${description}${value}`,
      ),
    ];
  }
  const exclusion = `(-${option.short} --${option.flag})`;
  return [
    quote(`${exclusion}-${option.short}${description}${value}`),
    quote(`${exclusion}--${option.flag}=${description}${value}`),
  ];
}

function zshValue(option: AnyOption): string {
  if (option.value.kind === 'switch') return '';
  const label = escapeZsh(option.value.placeholder);
  const { completion } = option.value;
  if (completion === 'file') return `:${label}:_files`;
  if (completion === 'none') return `:${label}: `;
  return `:${label}:(${completion.join(' ')})`;
}

/** Brackets and colons end a zsh _arguments description; a backslash keeps them literal. */
function escapeZsh(text: string): string {
  return text.replace(/[[\]:\\]/g, (character) => `\\${character}`);
}

/** A single-quoted shell word. */
function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function uniqueByFlag(options: readonly AnyOption[]): AnyOption[] {
  const seen = new Map<string, AnyOption>();
  for (const option of options) if (!seen.has(option.flag)) seen.set(option.flag, option);
  return [...seen.values()];
}
