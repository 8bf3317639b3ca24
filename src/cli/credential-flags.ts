/**
 * Credentials given on the command line, skopeo's way: `--creds USER[:PASS]`
 * (every registry), `--src-creds` / `--dest-creds` (one side of copy and
 * sync), and AIRLOCK_USERNAME / AIRLOCK_PASSWORD when --creds is absent.
 * A USER without a password is asked for it on the terminal. No value
 * given here ever reaches an error message but the user name.
 */

import { AirlockError } from "../errors.js";
import type { Io } from "./command.js";
import { isTerminal, promptLine } from "./prompt.js";

export interface UserPassword {
  username: string;
  password: string;
}

/**
 * The value of a `--creds`-style flag (named `flag` in messages): USER:PASS
 * as it is, USER alone with the password asked without echo on a terminal.
 * @throws AirlockError ERR_USAGE for an empty user or password, or for USER
 *   alone without a terminal to ask on.
 */
export async function parseCredsFlag(
  flag: string,
  value: string,
  io: Pick<Io, "stdin" | "stderr">,
  signal?: AbortSignal,
): Promise<UserPassword> {
  const colon = value.indexOf(":");
  const username = colon < 0 ? value : value.slice(0, colon);
  if (username === "") throw new AirlockError("ERR_USAGE", `${flag}: the user name before ":" is empty`);
  if (colon >= 0) {
    const password = value.slice(colon + 1);
    if (password === "")
      throw new AirlockError("ERR_USAGE", `${flag} ${username}: the password after ":" is empty`);
    return { username, password };
  }
  if (!isTerminal(io.stdin)) {
    throw new AirlockError(
      "ERR_USAGE",
      `${flag} ${username} has no password and stdin is not a terminal to ask on: give ${flag} USER:PASSWORD`,
    );
  }
  const password = await promptLine(io, `Password for ${username} (${flag}): `, { echo: false, signal });
  if (password === "") throw new AirlockError("ERR_USAGE", `${flag} ${username}: the password is empty`);
  return { username, password };
}

/**
 * The credential for every registry: --creds, else AIRLOCK_USERNAME with
 * AIRLOCK_PASSWORD (both, or it is an error), else undefined (auth files).
 */
export async function globalCredential(
  creds: string | undefined,
  env: NodeJS.ProcessEnv,
  io: Pick<Io, "stdin" | "stderr">,
  signal?: AbortSignal,
): Promise<UserPassword | undefined> {
  if (creds !== undefined) return await parseCredsFlag("--creds", creds, io, signal);
  const username = env.AIRLOCK_USERNAME ?? "";
  const password = env.AIRLOCK_PASSWORD ?? "";
  if (username === "" && password === "") return undefined;
  if (username === "") {
    throw new AirlockError(
      "ERR_USAGE",
      "AIRLOCK_PASSWORD is set but AIRLOCK_USERNAME is not: set both, or neither",
    );
  }
  if (password === "") {
    throw new AirlockError(
      "ERR_USAGE",
      "AIRLOCK_USERNAME is set but AIRLOCK_PASSWORD is not: set both, or neither",
    );
  }
  return { username, password };
}

/** `--src-creds` / `--dest-creds`, as the copy and sync verbs take them. */
export interface SideCredentials {
  srcOptions?: { credential: UserPassword };
  destOptions?: { credential: UserPassword };
}

/** The flags copy and sync add for one side's credentials. */
export const SIDE_CREDS_OPTIONS = {
  "src-creds": { type: "string" },
  "dest-creds": { type: "string" },
} as const;

export const SIDE_CREDS_HELP = `  --src-creds USER[:PASS]   credentials for the source registry (asks for PASS on a terminal)
  --dest-creds USER[:PASS]  credentials for the destination registry`;

/** Reads --src-creds and --dest-creds (asking for missing passwords, source first). */
export async function sideCredentials(
  values: { "src-creds"?: unknown; "dest-creds"?: unknown },
  io: Pick<Io, "stdin" | "stderr">,
  signal?: AbortSignal,
): Promise<SideCredentials> {
  const sides: SideCredentials = {};
  const src = values["src-creds"];
  if (typeof src === "string")
    sides.srcOptions = { credential: await parseCredsFlag("--src-creds", src, io, signal) };
  const dest = values["dest-creds"];
  if (typeof dest === "string") {
    sides.destOptions = { credential: await parseCredsFlag("--dest-creds", dest, io, signal) };
  }
  return sides;
}

/** Adds the side credentials to options that may already hold side settings (--src-tls-verify). */
export function withSideCredentials<T extends { srcOptions?: object; destOptions?: object }>(
  options: T,
  sides: SideCredentials,
): T {
  return {
    ...options,
    ...(sides.srcOptions === undefined ? {} : { srcOptions: { ...options.srcOptions, ...sides.srcOptions } }),
    ...(sides.destOptions === undefined
      ? {}
      : { destOptions: { ...options.destOptions, ...sides.destOptions } }),
  };
}
