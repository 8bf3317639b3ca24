/**
 * The built CLI as a child process the test controls: started, watched and
 * killed (SIGKILL included) while it works, unlike runAirlock which only
 * returns once the process ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { onProcessExit } from "./exit-guard.js";

const MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/** How a CLI process ended. */
export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running CLI process. */
export interface CliProcess {
  child: ChildProcess;
  /** Resolves when the process has ended and its output is closed. */
  ended: Promise<ProcessEnd>;
  /** Sends SIGKILL unless the process already ended; resolves with how it ended. */
  kill(): Promise<ProcessEnd>;
}

/** Starts `node dist/cli/main.js ...args` with an empty HOME of its own. */
export async function spawnAirlock(args: string[]): Promise<CliProcess> {
  const home = await mkdtemp(join(tmpdir(), "airlock-home-"));
  onProcessExit(() => rmSync(home, { recursive: true, force: true }));
  const env = { PATH: process.env.PATH, HOME: home };
  const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const ended = new Promise<ProcessEnd>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  const kill = async (): Promise<ProcessEnd> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    return await ended;
  };
  return { child, ended, kill };
}
