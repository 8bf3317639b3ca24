/** Secrets never live in an image list: the keys that would hold one, and what to say instead. */

const SECRET_KEYS = new Set(["password", "username", "auth", "token", "identitytoken", "registrytoken"]);

/** True for keys such as `password` or `token` (any case). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase());
}

/** Why `key` is refused and where the secret goes instead; never quotes the value. */
export function secretKeyMessage(key: string): string {
  return (
    `inline credentials are not allowed (${JSON.stringify(key)}): keep secrets out of the list; ` +
    "name environment variables in registries.<host>.credentials.usernameEnv/passwordEnv, or point registries.<host>.authFile at a docker config.json"
  );
}
