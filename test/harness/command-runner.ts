/**
 * Runs one Command object the way the CLI does (flags parsed with the global
 * ones, errors reported as one line with the documented exit code), for
 * commands not yet listed in src/cli/commands/index.ts.
 */
import { Writable, Readable } from "node:stream";
import { parseArgs } from "node:util";
import { isAirlockError, messageOf } from "../../src/errors.js";
import { GLOBAL_OPTIONS, type Command, type OptionValues } from "../../src/cli/command.js";
import { exitCodeFor } from "../../src/cli/exit-codes.js";
import type { CliResult } from "./cli.js";

/** `airlock <command> ...args`, in process. */
export async function runCommand(command: Command, args: string[]): Promise<CliResult> {
  const out: Buffer[] = [];
  let err = "";
  const stdout = new Writable({
    write(chunk: Buffer, _e, cb) {
      out.push(Buffer.from(chunk));
      cb();
    },
  });
  const stderr = new Writable({
    write(chunk: Buffer, _e, cb) {
      err += chunk.toString("utf8");
      cb();
    },
  });
  const say = (line: string): void => void stderr.write(line + "\n");
  let code: number;
  try {
    const parsed = parseArgs({
      args,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
    });
    const [min, max] = command.args;
    if (parsed.positionals.length < min || parsed.positionals.length > max) throw new Error("bad arg count");
    const io = { stdout, stderr, stdin: Readable.from([]) };
    const remote = { plainHttp: parsed.values["plain-http"] === true };
    code =
      (await command.run({
        positionals: parsed.positionals,
        values: parsed.values as OptionValues,
        remote,
        io,
        say,
      })) ?? 0;
  } catch (e) {
    if (!isAirlockError(e)) throw e;
    say(`airlock: error: ${messageOf(e)}`);
    code = exitCodeFor(e.code);
  }
  return { code, stdout: Buffer.concat(out), stderr: err };
}
