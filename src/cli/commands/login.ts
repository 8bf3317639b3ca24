import { text } from "node:stream/consumers";
import { AirlockError } from "../../errors.js";
import { flag, stringValue, type Command } from "../command.js";
import { writeJson } from "../output.js";

export const loginCommand: Command = {
  name: "login",
  registryRefs: { args: [0] },
  summary: "store credentials for a registry (docker config.json format)",
  usage: "REGISTRY -u USER --password-stdin",
  help: `Checks USER and the password against REGISTRY, then stores them in the docker
config.json format: --authfile, else REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json,
else ~/.docker/config.json. Nothing is stored if the registry refuses them.
  -u, --username USER   the user name
  --password-stdin      read the password from stdin (recommended)
  -p, --password PASS   the password on the command line (visible to other users; avoid)`,
  options: {
    username: { type: "string", short: "u" },
    password: { type: "string", short: "p" },
    "password-stdin": { type: "boolean" },
  },
  args: [1, 1],
  async run({ positionals, values, remote, io, say, json }) {
    const username = stringValue(values, "username");
    if (username === undefined) throw new AirlockError("ERR_USAGE", "login needs --username (-u)");
    const password = await readPassword(values, io.stdin, say);
    const { login } = await import("../../verbs/login.js");
    const result = await login(positionals[0] ?? "", { username, password }, remote);
    if (json) await writeJson(io.stdout, result);
    else say(`Login Succeeded: credentials for ${result.registry} stored in ${result.authFile}`);
  },
};

async function readPassword(
  values: Record<string, unknown>,
  stdin: NodeJS.ReadableStream,
  say: (line: string) => void,
): Promise<string> {
  const inline = typeof values.password === "string" ? values.password : undefined;
  const fromStdin = flag(values as never, "password-stdin");
  if (inline !== undefined && fromStdin) {
    throw new AirlockError("ERR_USAGE", "use either --password or --password-stdin, not both");
  }
  if (fromStdin) return (await text(stdin)).replace(/\r?\n$/, "");
  if (inline !== undefined) {
    say("warning: --password on the command line is visible to other users; prefer --password-stdin");
    return inline;
  }
  throw new AirlockError("ERR_USAGE", "login needs the password: pipe it to --password-stdin");
}

export const logoutCommand: Command = {
  name: "logout",
  registryRefs: { args: [0] },
  summary: "remove stored credentials for a registry",
  usage: "REGISTRY",
  help: "Removes REGISTRY's entry from the auth file that login writes.",
  options: {},
  args: [1, 1],
  async run({ positionals, remote, io, say, json }) {
    const { logout } = await import("../../verbs/login.js");
    const result = await logout(positionals[0] ?? "", remote);
    if (json) return void (await writeJson(io.stdout, result));
    say(
      result.removed
        ? `Removed login credentials for ${result.registry} from ${result.authFile}`
        : `Not logged in to ${result.registry} (${result.authFile})`,
    );
  },
};
