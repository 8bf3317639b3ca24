/**
 * Running the external tools the integration tests lean on (skopeo, openssl,
 * docker-registry), with errors that carry the tool's own stderr.
 */
import { execFile, type ExecFileException } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export interface RunToolOptions {
  /** Kill the tool after this long. Default 60 s. */
  timeoutMs?: number;
  cwd?: string;
  /** Variables set on top of this process's environment. */
  env?: Record<string, string>;
}

export interface ToolResult {
  stdout: Buffer;
  stderr: string;
}

/** Debian package that ships each tool, for the install hint. */
const PACKAGE_OF: Record<string, string> = {
  "docker-registry": "docker-registry",
  skopeo: "skopeo",
  openssl: "openssl",
  containerd: "containerd",
  ctr: "containerd",
};

const SECRET_FLAGS = new Set(["--creds", "--src-creds", "--dest-creds", "--password"]);

/** Runs `file args`, resolving with raw stdout; rejects with stderr in the message. */
export function runTool(file: string, args: string[], options: RunToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const execOptions = {
      encoding: "buffer" as const,
      maxBuffer: 256 * 1024 * 1024,
      timeout: options.timeoutMs ?? 60_000,
      cwd: options.cwd,
      env: options.env === undefined ? process.env : { ...process.env, ...options.env },
    };
    execFile(file, args, execOptions, (error, stdout, stderr) => {
      const stderrText = stderr.toString("utf8");
      if (error) {
        const command = [file, ...redactSecrets(args)].join(" ");
        // No `cause`: the exec error's message repeats the command line, credentials included.
        reject(new Error(`${command} failed (${describeExit(error)}): ${stderrText.trim()}`));
        return;
      }
      resolve({ stdout, stderr: stderrText });
    });
  });
}

export function runSkopeo(args: string[], options?: RunToolOptions): Promise<ToolResult> {
  return runTool("skopeo", args, options);
}

/** Returns the tool's path on PATH, or throws with the apt-get command that installs it. */
export function requireTool(name: string): string {
  const found = findOnPath(name);
  if (found === undefined) {
    const pkg = PACKAGE_OF[name] ?? name;
    throw new Error(
      `${name} is not on PATH: run 'sudo apt-get install -y ${pkg}' (or 'node scripts/prepare-test.mjs')`,
    );
  }
  return found;
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function redactSecrets(args: string[]): string[] {
  return args.map((arg, i) => {
    const previous = args[i - 1];
    if (previous !== undefined && SECRET_FLAGS.has(previous)) return "***";
    const [flag] = arg.split("=", 1);
    return flag !== undefined && flag !== arg && SECRET_FLAGS.has(flag) ? `${flag}=***` : arg;
  });
}

function describeExit(error: ExecFileException): string {
  if (error.killed === true) return `killed by ${error.signal ?? "a signal"}, timeout?`;
  if (typeof error.code === "number") return `exit ${error.code}`;
  return error.message;
}
