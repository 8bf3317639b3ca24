/**
 * The built CLI on a pseudo-terminal, through util-linux `script`: stdin,
 * stdout and stderr are the terminal, so airlock sees a TTY and asks its
 * questions; the test answers each one once it has appeared (typing earlier
 * would let the terminal echo it before airlock turned echo off).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { requireTool } from "./tools.js";

const MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/** Typed once `prompt` has appeared in the terminal's output. */
export interface PtyAnswer {
  prompt: string;
  /** The keys, e.g. "secret\r" (Enter is "\r" on a terminal). */
  keys: string;
}

export interface PtyResult {
  code: number;
  /** Everything the terminal showed (stdout and stderr together, "\r\n" line ends). */
  output: string;
}

const TIMEOUT_MS = 30_000;

/** Runs `airlock ...args` on a terminal, answering `answers` in order; resolves when it exits. */
export async function runAirlockInPty(
  args: string[],
  answers: PtyAnswer[],
  env: NodeJS.ProcessEnv,
): Promise<PtyResult> {
  requireTool("script");
  const command = [process.execPath, MAIN, ...args].map(shellQuote).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    env: { PATH: process.env.PATH, SHELL: "/bin/sh", TERM: "dumb", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  let next = 0;
  let from = 0;
  const answerReady = (): void => {
    const answer = answers[next];
    const at = answer === undefined ? -1 : output.indexOf(answer.prompt, from);
    if (answer === undefined || at < 0) return;
    next++;
    from = at + answer.prompt.length;
    child.stdin.write(answer.keys);
    answerReady();
  };
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
    answerReady();
  });
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
  const code = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (status) => resolve(status ?? -1));
  });
  clearTimeout(timer);
  child.stdin.destroy();
  return { code, output };
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}
