import { parseArgs } from "node:util";
import { AirlockError, messageOf } from "../errors.js";
import { registryReference } from "../store/location.js";
import { closest } from "../util/suggest.js";
import { applyFalses, prepareBooleans } from "./argv.js";
import { GLOBAL_OPTIONS, type Command, type OptionValues } from "./command.js";

/** The first argument that is not a global flag or a global flag's value. */
export function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("-")) return arg;
    const spec = GLOBAL_OPTIONS[arg.replace(/^--?/, "")];
    if (spec?.type === "string" && !arg.includes("=")) i++;
  }
  return undefined;
}

/** "unknown command", with the closest command when it looks like a typo. */
export function unknownCommand(name: string, commands: readonly Command[]): AirlockError {
  const names = commands.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
  const near = closest(name, names);
  const hint = near === undefined ? "" : `: did you mean "${near}"?`;
  return new AirlockError("ERR_USAGE", `unknown command "${name}"${hint} run "airlock --help" for the list`);
}

export interface CommandLine {
  values: OptionValues;
  /** The command's arguments (its name left out). */
  args: string[];
}

/**
 * Parses the whole command line with the global flags and the command's own;
 * `--NAME=false` works for booleans; an unknown flag gets a did-you-mean.
 */
export function parseCommandLine(command: Command, argv: readonly string[]): CommandLine {
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  const { args, falses } = prepareBooleans(argv, options);
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    const values = applyFalses(parsed.values as OptionValues, falses);
    return { values, args: parsed.positionals.slice(1) };
  } catch (err) {
    const help = `run "airlock ${command.name} --help"`;
    const unknown = /^Unknown option '(-[^']*)'/.exec(messageOf(err))?.[1];
    if (unknown !== undefined) {
      const near = closest(unknown.replace(/^--?/, ""), Object.keys(options));
      const hint = near === undefined || !unknown.startsWith("--") ? "" : ` did you mean --${near}?`;
      throw new AirlockError("ERR_USAGE", `unknown flag ${unknown}:${hint} ${help}`);
    }
    // node:util's messages go on to explain "--"; the first sentence is what matters.
    const text = (messageOf(err).split("\n")[0] ?? "").split(". ")[0] ?? "";
    throw new AirlockError("ERR_USAGE", `${text.replace(/\.$/, "")}: ${help}`);
  }
}

export function checkArgCount(command: Command, args: readonly string[]): void {
  const [min, max] = command.args;
  if (args.length < min || args.length > max) {
    throw new AirlockError(
      "ERR_USAGE",
      `airlock ${command.name} takes ${command.usage}, got ${args.length} argument(s): run "airlock ${command.name} --help"`,
    );
  }
}

/** docker://REF is REF in the arguments and flags a registry command names; other transports are refused. */
export function takeRegistryRefs(command: Command, line: CommandLine): void {
  const needs = `airlock ${command.name} speaks to registries only`;
  for (const i of command.registryRefs?.args ?? []) {
    const arg = line.args[i];
    if (arg !== undefined) line.args[i] = registryReference(arg, needs);
  }
  for (const name of command.registryRefs?.flags ?? []) {
    const value = line.values[name];
    if (typeof value === "string") line.values[name] = registryReference(value, needs);
  }
}
