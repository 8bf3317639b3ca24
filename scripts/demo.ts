// `npm run demo`: airlock's main job end to end on this machine, no internet needed.
//
// "Upstream" (the internet) is `airlock serve` over an OCI layout of sample images made by the
// committed generator (multi-platform OCI indexes, a Docker manifest list, single images); the
// air-gapped site is an empty local docker-registry. Every step runs the real CLI
// (dist/cli/main.js) the way a user would: validate, lock, create-bundle, inspect-bundle,
// verify-bundle, push-bundle, then a look at the site registry.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildFixtureGraph } from "../test/harness/fixture-images.js";
import { writeOciLayout } from "../test/harness/fixture-skopeo.js";
import { startRegistry } from "../test/harness/registry.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const UPSTREAM = "upstream.example";

async function airlock(args: string[], cwd: string): Promise<void> {
  console.log(`\n$ airlock ${args.join(" ")}`);
  const child = spawn(process.execPath, [CLI, ...args], { stdio: "inherit", cwd });
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  if (code !== 0) throw new Error(`airlock ${args[0] ?? ""} exited ${code}`);
}

/** Starts `airlock serve DIR` on a free port; resolves with its host:port once it says so. */
async function serveLayout(layout: string): Promise<{ host: string; stop: () => void }> {
  const child = spawn(process.execPath, [CLI, "serve", layout, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "inherit", "pipe"],
  });
  const host = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stderr.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const match = /serving \d+ images at https?:\/\/([^\s/]+)/.exec(text);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`airlock serve exited ${code}: ${text}`)));
  });
  return { host, stop: () => child.kill("SIGTERM") };
}

const dir = await mkdtemp(join(tmpdir(), "airlock-demo-"));
const graph = await buildFixtureGraph();
const layout = join(dir, "upstream-layout");
await writeOciLayout(
  layout,
  graph.harness.flatMap((f) => f.tags.map((tag) => ({ ref: `${UPSTREAM}/${f.name}:${tag}`, node: f.node }))),
);
const upstream = await serveLayout(layout);
const site = await startRegistry("plain");
try {
  const u = upstream.host;
  await writeFile(
    join(dir, "airlock.yaml"),
    `# The images the site needs; ${u} (airlock serve) plays the internet.
defaults:
  platforms: all
images:
  - ${u}/fixtures/multi-oci:v1
  - ${u}/fixtures/multi-docker:v1
  - ref: ${u}/fixtures/single-oci:v1
    platforms: [linux/amd64]
  - ref: ${u}/fixtures/tags
    semver: ">=1.1.0 <2"
    platforms: [linux/amd64]
`,
  );
  console.log(
    `upstream: airlock serve at ${u}; site: an empty docker-registry at ${site.host}; working in ${dir}`,
  );
  await mkdir(join(dir, "bundles"));
  await airlock(["validate"], dir);
  await airlock(["lock", "--cache", "cache"], dir);
  await airlock(["create-bundle", "-o", "bundles/demo.tar", "--cache", "cache"], dir);
  await airlock(["inspect-bundle", "bundles/demo.tar"], dir);
  await airlock(["verify-bundle", "bundles/demo.tar"], dir);
  await airlock(
    ["push-bundle", "bundles/demo.tar", "--to", `${site.host}/site`, "--journal", "journal"],
    dir,
  );
  await airlock(["catalog", site.host], dir);
  await airlock(["digest", `${u}/fixtures/multi-oci:v1`], dir);
  await airlock(["digest", `${site.host}/site/fixtures/multi-oci:v1`], dir);
  console.log("\nThe site registry holds every image with the digest it has upstream.");
} finally {
  upstream.stop();
  await site.stop();
}
