import { AirlockError } from "../errors.js";
import { parseRegistry } from "../ref/reference.js";
import { loginFilePath, removeLogin, saveLogin } from "../registry/credentials.js";
import { withClient, type RemoteOptions } from "./options.js";

export interface LoginResult {
  registry: string;
  /** The auth file written. */
  authFile: string;
}

export interface LogoutResult {
  registry: string;
  /** The auth file the login was removed from (or would have been). */
  authFile: string;
  /** False when there was no stored login. */
  removed: boolean;
}

/**
 * Checks the username and password against the registry, then stores them in
 * the docker config.json format (like `docker login` and `crane auth login`).
 * Nothing is written when the registry refuses them.
 */
export async function login(
  registry: string,
  credential: { username: string; password: string },
  options: RemoteOptions = {},
): Promise<LoginResult> {
  const host = parseRegistry(registry);
  if (credential.username === "" || credential.password === "") {
    throw new AirlockError("ERR_USAGE", "login needs a non-empty username and password");
  }
  await withClient(host, { ...options, credential }, async (c) => {
    await c.ping(options);
  });
  const source = { authFile: options.authFile, env: options.env };
  const authFile = await saveLogin(host, credential, source);
  return { registry: host, authFile };
}

/** Removes the stored login for a registry; false when there was none. */
export async function logout(
  registry: string,
  options: Pick<RemoteOptions, "authFile" | "env"> = {},
): Promise<LogoutResult> {
  const host = parseRegistry(registry);
  const source = { authFile: options.authFile, env: options.env };
  const removed = await removeLogin(host, source);
  return { registry: host, authFile: loginFilePath(source), removed };
}
