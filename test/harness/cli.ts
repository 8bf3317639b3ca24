import { spawn } from "node:child_process";
import { Readable, Writable } from "node:stream";
import { rmSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestRegistry } from "./registry.js";

const MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface CliOptions {
  stdin?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs the built CLI (`dist/cli/main.js`) as a user would, asynchronously (the
 * token issuer lives in this process and must keep answering). The
 * environment never points at the real user's credentials.
 */
export async function runAirlock(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: await isolatedHome(), ...options.env };
  const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
  const out: Buffer[] = [];
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
  child.stdin.end(options.stdin ?? "");
  const code = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (status) => resolve(status ?? -1));
  });
  return { code, stdout: Buffer.concat(out), stderr: err };
}

let home: string | undefined;

/** One empty HOME for every CLI run of this process, removed at exit. */
async function isolatedHome(): Promise<string> {
  home ??= await mkdtemp(join(tmpdir(), "airlock-home-"));
  return home;
}

process.once("exit", () => {
  if (home !== undefined) rmSync(home, { recursive: true, force: true });
});

/** Writes a docker config.json holding the registry's test user, if it has one. */
export async function writeAuthFile(registry: TestRegistry, password = registry.password): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "airlock-auth-"));
  const file = join(dir, "auth.json");
  const auths: Record<string, { auth: string }> = {};
  if (registry.username !== undefined && password !== undefined) {
    auths[registry.host] = { auth: Buffer.from(`${registry.username}:${password}`).toString("base64") };
  }
  await writeFile(file, JSON.stringify({ auths }));
  return file;
}

/** The airlock flags that reach this registry: its CA and an auth file. */
export async function airlockFlags(registry: TestRegistry): Promise<string[]> {
  const flags = ["--authfile", await writeAuthFile(registry)];
  if (registry.caFile !== undefined) flags.push("--ca-file", registry.caFile);
  return flags;
}

/** True when the text looks like a single error line, with no stack trace. */
export function isOneCleanLine(stderr: string): boolean {
  const lines = stderr.trimEnd().split("\n");
  return lines.length === 1 && lines[0]?.startsWith("airlock: error: ") === true && !/\n\s+at /.test(stderr);
}

/**
 * Runs the CLI's entry function in this process, with stdout and stderr
 * captured: the same code path as the binary minus process start-up, for
 * test matrices that would otherwise spawn hundreds of processes.
 */
export async function runAirlockInProcess(
  args: string[],
  options: { stdin?: string } = {},
): Promise<CliResult> {
  const { runCli } = await import("../../src/cli/run.js");
  const out: Buffer[] = [];
  let err = "";
  const stdout = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(Buffer.from(chunk));
      cb();
    },
  });
  const stderr = new Writable({
    write(chunk: Buffer, _enc, cb) {
      err += chunk.toString("utf8");
      cb();
    },
  });
  const stdin = Readable.from([Buffer.from(options.stdin ?? "")]);
  const code = await runCli(args, { stdout, stderr, stdin });
  return { code, stdout: Buffer.concat(out), stderr: err };
}
