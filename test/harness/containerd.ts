/**
 * A private containerd daemon for tests (Debian's containerd 1.6): its own
 * root, state and socket in a temporary directory, the CRI plugin off, and
 * `ctr` pointed at it. SIGKILLed on process exit if nobody stopped it.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "smol-toml";
import { onProcessExit } from "./exit-guard.js";
import { requireTool, runTool, type ToolResult } from "./tools.js";

export interface TestContainerd {
  /** Runs `ctr --address SOCKET ARGS…` (with `env` added to the environment). */
  ctr(args: string[], env?: Record<string, string>): Promise<ToolResult>;
  logs(): string;
  stop(): Promise<void>;
}

export async function startContainerd(): Promise<TestContainerd> {
  requireTool("containerd");
  requireTool("ctr");
  const dir = await mkdtemp(join(tmpdir(), "airlock-containerd-"));
  const unguardDir = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, "containerd.sock");
  const config = {
    version: 2,
    root: join(dir, "root"),
    state: join(dir, "state"),
    disabled_plugins: ["io.containerd.grpc.v1.cri"],
    grpc: { address: socket },
    ttrpc: { address: `${socket}.ttrpc` },
    debug: { address: join(dir, "debug.sock") },
  };
  await writeFile(join(dir, "config.toml"), stringify(config));
  const child = spawn("containerd", ["--config", join(dir, "config.toml")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const unguard = onProcessExit(() => child.kill("SIGKILL"));
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    child.kill("SIGTERM");
    await exited;
    unguard();
    await rm(dir, { recursive: true, force: true });
    unguardDir();
  };
  const deadline = Date.now() + 15_000;
  while (
    !(await access(socket).then(
      () => true,
      () => false,
    ))
  ) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`containerd did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    ctr: (args, env) => runTool("ctr", ["--address", socket, ...args], { env, timeoutMs: 120_000 }),
    logs: () => output,
    stop,
  };
}
