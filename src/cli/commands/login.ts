import { text } from "node:stream/consumers";
import { AirlockError } from "../../errors.js";
import { flag, stringValue, type Command, type Io, type OptionValues } from "../command.js";
import { writeJson } from "../output.js";
import { isTerminal, promptLine } from "../prompt.js";

export const loginCommand: Command = {
  name: "login",
  registryRefs: { args: [0] },
  summary: "store credentials for a registry (docker config.json format)",
  usage: "REGISTRY [-u USER] [--password-stdin]",
  help: `Checks USER and the password against REGISTRY, then stores them in the docker
config.json format: --authfile, else REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json,
else ~/.docker/config.json. Nothing is stored if the registry refuses them. On a
terminal, airlock asks for the user name (unless -u) and the password (not echoed)
unless --password-stdin or --password gives it; without a terminal one of them is needed.
  -u, --username USER   the user name
  --password-stdin      read the password from stdin (for scripts; needs -u)
  -p, --password PASS   the password on the command line (visible to other users; avoid)`,
  options: {
    username: { type: "string", short: "u" },
    password: { type: "string", short: "p" },
    "password-stdin": { type: "boolean" },
  },
  args: [1, 1],
  async run({ positionals, values, remote, io, say, json }) {
    const registry = positionals[0] ?? "";
    const fromStdin = flag(values, "password-stdin");
    const inline = stringValue(values, "password");
    if (inline !== undefined && fromStdin) {
      throw new AirlockError("ERR_USAGE", "use either --password or --password-stdin, not both");
    }
    const username = await readUsername(values, fromStdin, io, remote.signal);
    let password: string;
    if (fromStdin) password = (await text(io.stdin)).replace(/\r?\n$/, "");
    else if (inline !== undefined) {
      say("warning: --password on the command line is visible to other users; prefer --password-stdin");
      password = inline;
    } else password = await askPassword(registry, username, io, remote.signal);
    const { login } = await import("../../verbs/login.js");
    const result = await login(registry, { username, password }, remote);
    if (json) await writeJson(io.stdout, result);
    else say(`Login Succeeded: credentials for ${result.registry} stored in ${result.authFile}`);
  },
};

async function readUsername(
  values: OptionValues,
  fromStdin: boolean,
  io: Io,
  signal?: AbortSignal,
): Promise<string> {
  const given = stringValue(values, "username");
  if (given !== undefined) return given;
  if (fromStdin) throw new AirlockError("ERR_USAGE", "--password-stdin needs the user name: add -u USER");
  if (!isTerminal(io.stdin)) {
    throw new AirlockError(
      "ERR_USAGE",
      "login needs --username (-u) and --password-stdin when stdin is not a terminal",
    );
  }
  return await promptLine(io, "Username: ", { echo: true, signal });
}

async function askPassword(
  registry: string,
  username: string,
  io: Io,
  signal?: AbortSignal,
): Promise<string> {
  if (!isTerminal(io.stdin)) {
    throw new AirlockError(
      "ERR_USAGE",
      "login needs the password: pipe it to --password-stdin (stdin is not a terminal to ask on)",
    );
  }
  return await promptLine(io, `Password for ${username} at ${registry}: `, { echo: false, signal });
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
