// Runs before `npm test`: installs node_modules if missing, and makes sure the
// tools the integration tests drive (docker-registry, skopeo, openssl, umoci, containerd's ctr) are on
// PATH, installing them with apt-get when running as root. Silent when all is there.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Command on PATH -> Debian package that provides it. */
const TOOLS = {
  "docker-registry": "docker-registry",
  skopeo: "skopeo",
  openssl: "openssl",
  umoci: "umoci",
  containerd: "containerd",
  ctr: "containerd",
};

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

if (!existsSync(join(root, "node_modules"))) {
  run("npm", ["ci"], { cwd: root });
}

const missingTools = Object.entries(TOOLS).filter(([tool]) => !onPath(tool));
const missing = [...new Set(missingTools.map(([, pkg]) => pkg))];
if (missing.length > 0) {
  if (process.getuid?.() !== 0) {
    const command = `sudo apt-get install -y ${missing.join(" ")}`;
    process.stderr.write(`airlock tests need ${listWords(missing)}: run '${command}'\n`);
    process.exit(1);
  }
  run("apt-get", ["update"]);
  run("apt-get", ["install", "-y", ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

/**
 * Runs a command with inherited stdio; exits this script if it fails.
 * @param {string} command
 * @param {string[]} args
 * @param {import("node:child_process").SpawnSyncOptions} [options]
 */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", ...options });
  if (result.error) {
    process.stderr.write(`prepare-test: ${command} ${args.join(" ")} failed: ${result.error.message}\n`);
    process.exit(1);
  }
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** @param {string} command */
function onPath(command) {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    if (dir === "") return false;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** ["a", "b", "c"] -> "a, b and c" @param {string[]} words */
function listWords(words) {
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}
