/**
 * What every GitOps command shares: --repo and --output, turning model errors into CLI
 * errors, printing changes.
 */
import { stringify } from "yaml";
import {
  type CliContext,
  CliError,
  type Command,
  EXIT_USAGE,
  type ParsedArgs,
  stringOption,
} from "../../cli/command.ts";
import { type Change, formatChange } from "../changes.ts";
import { RepoError } from "../errors.ts";
import { findRepoRoot } from "../fs.ts";
import { loadRepo } from "../repo.ts";

/** The --repo option. */
export const REPO_OPTION = { repo: { type: "string" as const } };
/** Help of --repo. */
export const REPO_HELP = {
  repo: "Cluster repository (default: the git root of the current directory)",
};
/** --repo and --output, for read commands. */
export const READ_OPTIONS = { ...REPO_OPTION, output: { type: "string" as const, short: "o" } };
/** Help of the read options. */
export const READ_HELP = { ...REPO_HELP, output: "table (default), json or yaml" };

/**
 * The repository a command works on. Every file of it must parse: a YAML syntax error
 * anywhere fails the command with the file and line (Flux could not apply the repository
 * either), so no command reports on, or edits next to, a file it could not read.
 */
export function repoRoot(args: ParsedArgs, ctx: CliContext): string {
  const root = findRepoRoot(ctx.cwd, { repo: stringOption(args, "repo") });
  loadRepo(root, { strict: true });
  return root;
}

/** A command whose action may throw RepoError (shown as-is, exit 1). */
export function gitopsCommand(
  command: Omit<Command, "run"> & {
    run(args: ParsedArgs, ctx: CliContext): Promise<number> | number;
  },
): Command {
  return {
    ...command,
    async run(args, ctx) {
      try {
        return await command.run(args, ctx);
      } catch (error) {
        if (error instanceof RepoError) throw new CliError(error.message, 1, { cause: error });
        throw error;
      }
    },
  };
}

/** Prints "Created …" / "Updated …" / "Removed …" lines. */
export function printChanges(ctx: CliContext, changes: Change[]): number {
  for (const change of changes) ctx.stdout(formatChange(change));
  return 0;
}

/** What a read command shows: its data, and the same as a table. */
export interface OutputView {
  /** The command's arguments (for --output). */
  args: ParsedArgs;
  data: unknown;
  table: () => string;
}

/** Prints `data` as --output asks: the table text, JSON or YAML. */
export function printOutput(ctx: CliContext, view: OutputView): number {
  const format = stringOption(view.args, "output") ?? "table";
  if (format === "table") ctx.stdout(view.table());
  else if (format === "json") ctx.stdout(JSON.stringify(view.data, null, 2));
  else if (format === "yaml") ctx.stdout(stringify(view.data).trimEnd());
  else throw new CliError(`unknown --output ${format} (table, json or yaml)`, EXIT_USAGE);
  return 0;
}

/** A whole-number option and its bounds. */
export interface IntOption {
  name: string;
  min: number;
  max: number;
}

/** A whole-number option within bounds, or undefined when absent. */
export function intOption(args: ParsedArgs, option: IntOption): number | undefined {
  const { name, ...bounds } = option;
  const value = stringOption(args, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^[0-9]+$/.test(value.trim()) || n < bounds.min || n > bounds.max) {
    throw new CliError(
      `--${name} ${value}: must be a whole number from ${bounds.min} to ${bounds.max}`,
      EXIT_USAGE,
    );
  }
  return n;
}

/** The single positional argument `what` (e.g. NAME), or a usage error. */
export function positional(args: ParsedArgs, what: string): string {
  if (args.positionals.length !== 1) {
    throw new CliError(
      args.positionals.length === 0 ? `missing ${what}` : `expected one ${what}, got ` +
        args.positionals.join(" "),
      EXIT_USAGE,
    );
  }
  return args.positionals[0];
}
