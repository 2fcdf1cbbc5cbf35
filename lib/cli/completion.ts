/**
 * `lattice completion bash|zsh|fish`: shell completion scripts generated from the command
 * tree itself, so every command and flag completes. Cluster names complete after the
 * commands that take one (`cluster get|scale|upgrade|delete`, `--parent`, `--cluster`),
 * read with `lattice cluster list -o json` from the repository of the working directory.
 */
import { CliError, type Command, EXIT_USAGE } from "./command.ts";

interface Node {
  /** Space-separated command path after `lattice` ("" for the root). */
  path: string;
  subcommands: string[];
  flags: string[];
  summaries: Record<string, string>;
}

// Commands whose positional argument is a cluster name, and flags whose value is one.
const CLUSTER_ARG = ["cluster get", "cluster scale", "cluster upgrade", "cluster delete"];
const CLUSTER_FLAGS = ["--parent", "--cluster"];

function nodes(root: Command): Node[] {
  const out: Node[] = [];
  const visit = (command: Command, path: string[]) => {
    out.push({
      path: path.join(" "),
      subcommands: (command.subcommands ?? []).map((c) => c.name),
      flags: [...Object.keys(command.options ?? {}).map((n) => `--${n}`), "--help"],
      summaries: Object.fromEntries((command.subcommands ?? []).map((c) => [c.name, c.summary])),
    });
    for (const sub of command.subcommands ?? []) visit(sub, [...path, sub.name]);
  };
  visit(root, []);
  return out;
}

const LIST_NAMES = "lattice cluster list -o json 2>/dev/null | " +
  `sed -n 's/^ *"name": "\\([^"]*\\)".*/\\1/p'`;

/** The bash script (also used by zsh through bashcompinit). */
export function bashCompletion(root: Command): string {
  const all = nodes(root);
  const cases = (pick: (n: Node) => string[]) =>
    all.map((n) => `    "${n.path}") echo "${pick(n).join(" ")}" ;;`).join("\n");
  return `# lattice completion for bash: source <(lattice completion bash)
_lattice_subcommands() {
  case "$1" in
${cases((n) => n.subcommands)}
  esac
}
_lattice_flags() {
  case "$1" in
${cases((n) => n.flags)}
  esac
}
_lattice() {
  local cur prev path w i subs
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    subs=" $(_lattice_subcommands "$path") "
    if [[ "$w" != -* && "$subs" == *" $w "* ]]; then path="\${path:+$path }$w"; fi
  done
  case "$prev" in
    ${CLUSTER_FLAGS.join("|")})
      COMPREPLY=($(compgen -W "$(${LIST_NAMES})" -- "$cur")); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_lattice_flags "$path")" -- "$cur"))
  elif [[ -n "$(_lattice_subcommands "$path")" ]]; then
    COMPREPLY=($(compgen -W "$(_lattice_subcommands "$path")" -- "$cur"))
  else
    case "$path" in
      ${CLUSTER_ARG.map((p) => `"${p}"`).join("|")})
        COMPREPLY=($(compgen -W "$(${LIST_NAMES})" -- "$cur")) ;;
      *) COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
  fi
}
complete -F _lattice lattice
`;
}

/** The zsh script: zsh's bash-completion layer running the bash script. */
export function zshCompletion(root: Command): string {
  return `#compdef lattice
# lattice completion for zsh: source <(lattice completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(root).split("\n").slice(1).join("\n")}`;
}

/** The fish script. */
export function fishCompletion(root: Command): string {
  const all = nodes(root);
  const quote = (s: string) => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
  const lines = [
    "# lattice completion for fish: lattice completion fish | source",
    "function __lattice_path",
    "    set -l words (commandline -opc)",
    "    set -l path ''",
    "    for w in $words[2..-1]",
    "        if string match -q -- '-*' $w; continue; end",
    "        set -l subs (__lattice_subcommands $path)",
    "        if contains -- $w $subs",
    '            set path (string trim -- "$path $w")',
    "        end",
    "    end",
    "    echo $path",
    "end",
    "function __lattice_subcommands",
    '    switch "$argv"',
    ...all.map((n) =>
      `        case ${quote(n.path)}\n            printf '%s\\n' ${
        n.subcommands.map(quote).join(" ")
      }`
    ),
    "    end",
    "end",
    "function __lattice_clusters",
    `    ${LIST_NAMES.replaceAll("\\(", "\\\\(").replaceAll("\\)", "\\\\)")}`,
    "end",
    "complete -c lattice -f",
  ];
  for (const n of all) {
    const cond = `test (__lattice_path) = ${quote(n.path)}`;
    for (const sub of n.subcommands) {
      lines.push(
        `complete -c lattice -n ${quote(cond)} -a ${quote(sub)} -d ${quote(n.summaries[sub])}`,
      );
    }
    for (const flag of n.flags) {
      lines.push(`complete -c lattice -n ${quote(cond)} -l ${quote(flag.slice(2))}`);
    }
  }
  for (const path of CLUSTER_ARG) {
    const cond = `test (__lattice_path) = ${quote(path)}`;
    lines.push(`complete -c lattice -n ${quote(cond)} -a '(__lattice_clusters)'`);
  }
  return `${lines.join("\n")}\n`;
}

/** `lattice completion`, built on the root command it completes. */
export function completionCommand(root: () => Command): Command {
  return {
    name: "completion",
    summary: "Print a shell completion script (bash, zsh or fish)",
    usage: "lattice completion bash|zsh|fish",
    description: "bash:  source <(lattice completion bash)   (or save it to " +
      "/etc/bash_completion.d/lattice)\n" +
      "zsh:   source <(lattice completion zsh)\n" +
      "fish:  lattice completion fish > ~/.config/fish/completions/lattice.fish",
    run(args, ctx) {
      const shell = args.positionals[0];
      const make = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion }[
        shell as "bash"
      ];
      if (args.positionals.length !== 1 || make === undefined) {
        throw new CliError(
          `lattice completion: name one shell: bash, zsh or fish${
            shell === undefined ? "" : ` (got ${args.positionals.join(" ")})`
          }`,
          EXIT_USAGE,
        );
      }
      ctx.stdout(make(root()).trimEnd());
      return Promise.resolve(0);
    },
  };
}
