/**
 * One docker-registry child process: started with a config file, ready once it
 * logs `listening on 127.0.0.1:PORT`, its output kept for debugging, and
 * SIGKILLed on process exit if nobody stopped it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { onProcessExit } from "./exit-guard.js";

export interface RegistryProcess {
  /** "127.0.0.1:PORT" as logged by the registry. */
  host: string;
  /** Everything the registry wrote so far (stderr log, stdout access log). */
  logs(): string;
  /** SIGTERM, then SIGKILL if it has not exited after `killAfterMs`. Safe to call twice. */
  stop(): Promise<void>;
}

export interface LaunchOptions {
  /** How long to wait for the listening line. Default 10 s. */
  startTimeoutMs?: number;
  killAfterMs?: number;
}

const REGISTRY_BINARY = "docker-registry";
const LISTENING = /listening on (127\.0\.0\.1:\d+)/;

export async function launchRegistry(
  configFile: string,
  options: LaunchOptions = {},
): Promise<RegistryProcess> {
  const child = spawn(REGISTRY_BINARY, ["serve", configFile], {
    stdio: ["ignore", "pipe", "pipe"],
    env: environmentWithoutRegistryOverrides(),
  });
  const unguard = onProcessExit(() => child.kill("SIGKILL"));
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const logs = (): string => output;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= terminate(child, options.killAfterMs ?? 5_000).finally(unguard);
    return stopping;
  };
  try {
    const host = await waitForListening(child, logs, options.startTimeoutMs ?? 10_000);
    return { host, logs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function waitForListening(child: ChildProcess, logs: () => string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (reason: string): void => {
      cleanup();
      reject(new Error(`${REGISTRY_BINARY} ${reason}; its output:\n${logs()}`));
    };
    const onData = (): void => {
      const host = LISTENING.exec(logs())?.[1];
      if (host === undefined) return;
      cleanup();
      resolve(host);
    };
    const onExit = (code: number | null, signal: string | null): void =>
      fail(`exited before listening (code ${code}, signal ${signal})`);
    const onError = (error: Error): void => fail(`could not be started: ${error.message}`);
    const timer = setTimeout(() => fail(`did not log "listening on" within ${timeoutMs} ms`), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      child.off("error", onError);
    };
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}

async function terminate(child: ChildProcess, killAfterMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  await exited;
  clearTimeout(timer);
}

/** REGISTRY_* variables override the config file; a developer's shell must not leak into tests. */
function environmentWithoutRegistryOverrides(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("REGISTRY_")));
}
