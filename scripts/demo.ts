// `npm run demo`: airlock's read verbs against a local registry, no internet needed.
// Starts Debian's docker-registry with token auth and the committed test images,
// then runs the real CLI (dist/cli/main.js) the way a user would.
import { spawn } from "node:child_process";
import { startSeededRegistry } from "../test/harness/fixtures.js";
import { airlockFlags } from "../test/harness/cli.js";

async function airlock(args: string[], flags: string[]): Promise<void> {
  console.log(`\n$ airlock ${args.join(" ")}`);
  const child = spawn(process.execPath, ["dist/cli/main.js", ...args, ...flags], { stdio: "inherit" });
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  if (code !== 0) throw new Error(`airlock ${args[0]} exited ${code}`);
}

const { registry } = await startSeededRegistry("token");
try {
  const flags = await airlockFlags(registry);
  const host = registry.host;
  console.log(`A registry with token auth is running at ${host} (credentials in a temporary auth file).`);
  await airlock(["catalog", host], flags);
  await airlock(["ls", `${host}/fixtures/tags`], flags);
  await airlock(["digest", `${host}/fixtures/multi-oci:v1`], flags);
  await airlock(["digest", "--platform", "linux/arm64", `${host}/fixtures/multi-oci:v1`], flags);
  await airlock(
    ["inspect", "--no-tags", "--platform", "linux/arm/v7", `${host}/fixtures/multi-oci:v1`],
    flags,
  );
} finally {
  await registry.stop();
}
