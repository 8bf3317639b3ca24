/**
 * Docker credential helpers: `docker-credential-<name> get` with the server
 * URL on stdin answers `{"ServerURL","Username","Secret"}` on stdout.
 * Neither the helper's answer nor anything it prints reaches an error message.
 */

import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { AirlockError } from "../errors.js";
import { isRecord, type Credential } from "./auth-file.js";

export interface HelperQuery {
  /** The helper's name, as in `credsStore`/`credHelpers`: "pass" runs `docker-credential-pass`. */
  helper: string;
  serverURL: string;
  /** Where the helper was configured, for messages: `credsStore in /home/me/.docker/config.json`. */
  origin: string;
}

export interface HelperOptions {
  /** The environment the helper runs in; its PATH is where the helper is looked for. */
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  onWarning?: (message: string) => void;
}

type HelperRun =
  | { kind: "exited"; code: number | null; stdout: string; stderr: string }
  | { kind: "spawn-failed"; errno: string | undefined }
  | { kind: "timed-out" };

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_OUTPUT = 1024 * 1024;
const NOT_FOUND = /credentials not found/i;

/**
 * Asks a credential helper for the credential of `serverURL`. Returns
 * undefined when the helper has none ("credentials not found") and when the
 * helper is not installed (reported through `onWarning`). Throws
 * ERR_CREDENTIALS when it fails otherwise, times out, or answers nonsense.
 */
export async function credentialFromHelper(
  query: HelperQuery,
  options: HelperOptions,
): Promise<Credential | undefined> {
  if (!HELPER_NAME.test(query.helper)) {
    throw new AirlockError("ERR_CREDENTIALS", `${query.origin}: "${query.helper}" is not a helper name`);
  }
  const command = `docker-credential-${query.helper}`;
  const run = await runHelperGet(command, query.serverURL, options);
  switch (run.kind) {
    case "exited":
      if (run.code === 0) return parseHelperAnswer(command, run.stdout);
      if (NOT_FOUND.test(run.stdout) || NOT_FOUND.test(run.stderr)) return undefined;
      throw new AirlockError("ERR_CREDENTIALS", `${command} get failed (exit ${run.code ?? "by signal"})`);
    case "spawn-failed":
      if (run.errno !== "ENOENT") {
        throw new AirlockError(
          "ERR_CREDENTIALS",
          `${command}: cannot run it (${run.errno ?? "unknown error"})`,
        );
      }
      options.onWarning?.(
        `${query.origin} names credential helper ${command}, which is not on PATH; ` +
          `continuing without credentials for ${query.serverURL}`,
      );
      return undefined;
    case "timed-out":
      throw new AirlockError(
        "ERR_CREDENTIALS",
        `${command} get gave no answer within ${options.timeoutMs} ms`,
      );
  }
}

/** `{"Username","Secret"}` → a credential; Username "<token>" marks an identity token. */
function parseHelperAnswer(command: string, stdout: string): Credential | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(stdout);
  } catch {
    throw new AirlockError("ERR_CREDENTIALS", `${command} get: the answer is not valid JSON`);
  }
  if (!isRecord(answer) || typeof answer.Secret !== "string") {
    throw new AirlockError("ERR_CREDENTIALS", `${command} get: the answer has no "Secret" string`);
  }
  const username = typeof answer.Username === "string" ? answer.Username : "";
  if (answer.Secret === "") return undefined;
  if (username === "<token>") return { identityToken: answer.Secret };
  return { username, password: answer.Secret };
}

/** Runs `<command> get`, feeding `serverURL` on stdin; never rejects. */
function runHelperGet(command: string, serverURL: string, options: HelperOptions): Promise<HelperRun> {
  return new Promise((resolve) => {
    const child = spawn(command, ["get"], { env: options.env, stdio: "pipe", windowsHide: true });
    const stdout = collectText(child.stdout);
    const stderr = collectText(child.stderr);
    let settled = false;
    const settle = (run: HelperRun): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(run);
    };
    // On timeout, do not wait for the pipes: a grandchild may still hold them open.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      child.stdout.destroy();
      child.stderr.destroy();
      settle({ kind: "timed-out" });
    }, options.timeoutMs);
    child.on("error", (err: NodeJS.ErrnoException) => settle({ kind: "spawn-failed", errno: err.code }));
    child.on("close", (code) => settle({ kind: "exited", code, stdout: stdout(), stderr: stderr() }));
    child.stdin.on("error", () => undefined); // EPIPE when the helper exits without reading
    child.stdin.end(serverURL);
  });
}

/** Accumulates a stream's text up to MAX_OUTPUT bytes; returns a reader of what arrived. */
function collectText(stream: Readable): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on("data", (chunk: Buffer) => {
    if (size >= MAX_OUTPUT) return;
    chunks.push(chunk);
    size += chunk.length;
  });
  return () => Buffer.concat(chunks).toString("utf8");
}
