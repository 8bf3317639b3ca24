/**
 * Runs one command through the CLI's own entry (flag parsing, one-line
 * errors, documented exit codes), in process: `airlock <command> ...args`.
 */
import type { Command } from "../../src/cli/command.js";
import { runAirlockInProcess, type CliResult } from "./cli.js";

export async function runCommand(command: Command, args: string[]): Promise<CliResult> {
  return await runAirlockInProcess([command.name, ...args]);
}
