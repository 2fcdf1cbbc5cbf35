/**
 * A small command tree on top of node:util's parseArgs: each command names its options,
 * its subcommands and its action. Dispatch, `--help` and error reporting live here, so
 * every subcommand behaves the same way.
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { didYouMean } from "./suggest.ts";

/** Where a command writes and what it reads from its surroundings. */
export interface CliContext {
  /** Writes one line (or block) to standard output. */
  stdout(text: string): void;
  /** Writes one line (or block) to standard error. */
  stderr(text: string): void;
  /** Environment variables. */
  env: Readonly<Record<string, string | undefined>>;
  /** Working directory. */
  cwd: string;
}

/** The parsed arguments a command's action receives. */
export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/** One command of the CLI, possibly with subcommands. */
export interface Command {
  name: string;
  /** One line for the parent's command list. */
  summary: string;
  /** Usage line(s) after `Usage: `, e.g. `lattice cluster scale NAME --workers N`. */
  usage: string;
  /** Longer text shown under the usage by --help. */
  description?: string;
  options?: ParseArgsOptionsConfig;
  /** Help text per option name. */
  optionHelp?: Record<string, string>;
  subcommands?: Command[];
  /** The action; returns the exit code. Absent on pure groups of subcommands. */
  run?(args: ParsedArgs, ctx: CliContext): Promise<number>;
}

/** Exit code for a usage error (unknown command, bad flag). */
export const EXIT_USAGE = 2;

/** An error whose message is shown to the user as-is, with the given exit code. */
export class CliError extends Error {
  /** Process exit code. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1, options?: ErrorOptions) {
    super(message, options);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/** Renders --help for a command reached by `path` (e.g. ["lattice", "cluster"]). */
export function helpText(command: Command, path: string[]): string {
  const lines = [`${path.join(" ")} — ${command.summary}`, "", `Usage: ${command.usage}`];
  if (command.description) lines.push("", command.description.trimEnd());
  if (command.subcommands?.length) {
    const width = Math.max(...command.subcommands.map((c) => c.name.length)) + 2;
    lines.push("", "Commands:");
    for (const sub of command.subcommands) {
      lines.push(`  ${sub.name.padEnd(width)}${sub.summary}`);
    }
  }
  const options = Object.entries(command.options ?? {});
  lines.push("", "Options:");
  const flag = (name: string, short?: string, type?: string) =>
    `${short ? `-${short}, ` : ""}--${name}${type === "string" ? " VALUE" : ""}`;
  const rows = options.map((
    [name, o],
  ) => [flag(name, o.short, o.type), command.optionHelp?.[name]]);
  rows.push(["-h, --help", "Show this help"]);
  const width = Math.max(...rows.map(([f]) => f!.length)) + 2;
  for (const [f, h] of rows) lines.push(`  ${f!.padEnd(width)}${h ?? ""}`.trimEnd());
  if (command.subcommands?.length) {
    lines.push("", `Run '${path.join(" ")} <command> --help' for details on a command.`);
  }
  return lines.join("\n");
}

/**
 * Runs the command tree on argv and returns the exit code. Usage errors print the
 * problem and a hint to stderr and return 2; a CliError prints its message.
 */
export async function runCli(root: Command, argv: string[], ctx: CliContext): Promise<number> {
  let command = root;
  const path = [root.name];
  let rest = [...argv];
  while (command.subcommands?.length && rest.length > 0 && !rest[0].startsWith("-")) {
    const next = command.subcommands.find((c) => c.name === rest[0]);
    if (!next) {
      const hint = didYouMean(rest[0], command.subcommands.map((c) => c.name));
      ctx.stderr(`unknown command: ${[...path, rest[0]].join(" ")}${hint}`);
      ctx.stderr(`Run '${path.join(" ")} --help' for the list of commands.`);
      return EXIT_USAGE;
    }
    command = next;
    path.push(next.name);
    rest = rest.slice(1);
  }
  const flags = rest.indexOf("--") < 0 ? rest : rest.slice(0, rest.indexOf("--"));
  if (flags.includes("--help") || flags.includes("-h")) {
    ctx.stdout(helpText(command, path));
    return 0;
  }
  if (!command.run) {
    if (rest.length > 0 && rest[0].startsWith("-")) {
      ctx.stderr(`${path.join(" ")}: unknown flag ${rest[0]}; it needs a command first`);
    }
    ctx.stderr(helpText(command, path));
    return EXIT_USAGE;
  }
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs({
      args: checkFlags(command, rest),
      options: command.options ?? {},
      allowPositionals: true,
      strict: true,
    }) as ParsedArgs;
  } catch (error) {
    ctx.stderr(`${path.join(" ")}: ${(error as Error).message}`);
    ctx.stderr(`Run '${path.join(" ")} --help' for usage.`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(parsed, ctx);
  } catch (error) {
    if (error instanceof CliError) {
      ctx.stderr(error.message);
      return error.exitCode;
    }
    throw error;
  }
}

/**
 * Checks the flags before node:util sees them, so every mistake gets a plain message:
 * an unknown flag names the closest known one; a value flag at the end or before another
 * flag says it needs a value; a switch given `=value` says it takes none. A value that
 * looks like a negative number (`--workers -1`) is passed as the flag's value, so the
 * command's own range check answers instead of "argument is ambiguous".
 */
function checkFlags(command: Command, args: string[]): string[] {
  const options = command.options ?? {};
  const byShort = new Map(
    Object.entries(options).flatMap(([name, o]) => o.short ? [[o.short, name] as const] : []),
  );
  const known = [...Object.keys(options).map((n) => `--${n}`), "--help"];
  const out: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-" || /^-[0-9.]/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const eq = arg.indexOf("=");
    const key = long ? arg.slice(2, eq < 0 ? undefined : eq) : arg.slice(1, 2);
    const name = long ? key : byShort.get(key);
    const option = name === undefined ? undefined : options[name];
    if (!option || name === undefined) {
      throw new Error(
        `unknown flag ${long ? `--${key}` : `-${key}`}${didYouMean(`--${key}`, known)}`,
      );
    }
    const inline = long
      ? (eq < 0 ? undefined : arg.slice(eq + 1))
      : (arg.length > 2 ? arg.slice(2) : undefined);
    if (option.type === "boolean") {
      if (inline !== undefined) throw new Error(`--${name} is a switch and takes no value`);
      out.push(`--${name}`);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith("-") && !/^-[0-9.]/.test(next))) {
        throw new Error(`--${name} needs a value`);
      }
      value = next;
      i++;
    }
    out.push(`--${name}=${value}`);
  }
  // After "--", so a positional such as "-1" reaches the command as it was typed.
  return [...out, "--", ...positionals];
}

/** Reads a string option, throwing a usage error when it is required and missing. */
export function stringOption(args: ParsedArgs, name: string): string | undefined;
export function stringOption(args: ParsedArgs, name: string, required: true): string;
export function stringOption(
  args: ParsedArgs,
  name: string,
  required = false,
): string | undefined {
  const value = args.values[name];
  if (typeof value === "string") return value;
  if (required) throw new CliError(`missing required option --${name}`, EXIT_USAGE);
  return undefined;
}
