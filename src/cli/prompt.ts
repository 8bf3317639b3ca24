/**
 * Asking the user on a terminal: a line read in raw mode, echoed or not
 * (passwords). Enter ends it, Backspace erases, Ctrl-U clears, Ctrl-C
 * interrupts; arrow keys and other escape sequences are ignored.
 */

import { StringDecoder } from "node:string_decoder";
import type { ReadStream } from "node:tty";
import { AirlockError } from "../errors.js";

export interface PromptIo {
  stdin: NodeJS.ReadableStream;
  /** Where the question (and, with echo, the answer) is written. */
  stderr: NodeJS.WritableStream;
}

export interface PromptOptions {
  /** Show what is typed (a user name) or not (a password). */
  echo: boolean;
  signal?: AbortSignal;
}

const ENTER = new Set(["\r", "\n", "\u0004"]);
const BACKSPACE = new Set(["\u007f", "\b"]);
const CTRL_C = "\u0003";
const CTRL_U = "\u0015";
const ESCAPE = "\u001b";

/** True when stdin is a terminal airlock can read keystrokes from. */
export function isTerminal(stdin: NodeJS.ReadableStream): stdin is ReadStream {
  const tty = stdin as Partial<ReadStream>;
  return tty.isTTY === true && typeof tty.setRawMode === "function";
}

/**
 * Writes `question` and reads one line from the terminal. The caller checks
 * isTerminal first.
 * @throws AirlockError ERR_ABORTED on Ctrl-C or when `signal` aborts,
 *   ERR_USAGE when stdin is not a terminal or closes before Enter.
 */
export async function promptLine(io: PromptIo, question: string, options: PromptOptions): Promise<string> {
  const stdin = io.stdin;
  if (!isTerminal(stdin)) throw new AirlockError("ERR_USAGE", "cannot ask: stdin is not a terminal");
  // Echo goes off before the question shows: keys typed as soon as it appears must not be echoed.
  const wasRaw = stdin.isRaw;
  stdin.setRawMode(true);
  io.stderr.write(question);
  try {
    return await readLine(stdin, (text) => options.echo && io.stderr.write(text), options.signal);
  } finally {
    stdin.setRawMode(wasRaw);
    stdin.pause();
    io.stderr.write("\n");
  }
}

function readLine(
  stdin: ReadStream,
  echo: (text: string) => void,
  signal: AbortSignal | undefined,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder("utf8");
    const typed: string[] = [];
    const finish = (error?: AirlockError): void => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      signal?.removeEventListener("abort", onAbort);
      if (error === undefined) resolve(typed.join(""));
      else reject(error);
    };
    const onData = (chunk: Buffer | string): void => {
      const text = typeof chunk === "string" ? chunk : decoder.write(chunk);
      // An escape sequence (arrow keys, function keys) arrives as one chunk: ignore it whole.
      if (text.startsWith(ESCAPE)) return;
      for (const char of text) {
        if (ENTER.has(char)) return finish();
        if (char === CTRL_C) return finish(interrupted());
        applyKey(char, typed, echo);
      }
    };
    const onEnd = (): void => finish(new AirlockError("ERR_USAGE", "the terminal closed before Enter"));
    const onAbort = (): void => finish(interrupted());
    if (signal?.aborted === true) return finish(interrupted());
    signal?.addEventListener("abort", onAbort, { once: true });
    stdin.on("data", onData);
    stdin.once("end", onEnd);
    stdin.resume();
  });
}

/** Edits the line so far by one typed character. */
function applyKey(char: string, typed: string[], echo: (text: string) => void): void {
  if (BACKSPACE.has(char)) {
    if (typed.pop() !== undefined) echo("\b \b");
  } else if (char === CTRL_U) {
    echo("\b \b".repeat(typed.length));
    typed.length = 0;
  } else if (char >= " ") {
    typed.push(char);
    echo(char);
  }
}

function interrupted(): AirlockError {
  return new AirlockError("ERR_ABORTED", "interrupted");
}
