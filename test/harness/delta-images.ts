/**
 * Two image lists for the delta tests, pushed into a source registry: list 1
 * (apps/app1:v1, and apps/app2:v1 for two platforms), list 2 (app1:v1 again,
 * app2:v2 with one layer changed, and a new apps/app3:v1). Every image
 * starts with the same base layer and most share a second one, so list 2
 * shares most of its layers with list 1.
 */
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pushNode } from "./fixture-push.js";
import { buildImage, buildIndex, buildLayer, type Layer } from "./image-builder.js";

const AMD64 = { os: "linux", architecture: "amd64" };
const ARM64 = { os: "linux", architecture: "arm64" };

export interface DeltaLists {
  dir: string;
  list1: string;
  list2: string;
  /** A list whose only image shares no blob with list 1. */
  unrelated: string;
}

const fill = (name: string, n: number): string => `${name} `.repeat(n);

/** Pushes the images into the registry at `url` (host `host`) and writes the three lists in a new directory. */
export async function seedDeltaLists(url: string, host: string): Promise<DeltaLists> {
  const base = await buildLayer([
    { path: "base/" },
    { path: "base/os-release", content: fill("ID=test", 6000) },
  ]);
  const mid = await buildLayer([{ path: "lib/" }, { path: "lib/shared.so", content: fill("shared", 9000) }]);
  const own = (name: string): Promise<Layer> =>
    buildLayer([{ path: "app/" }, { path: `app/${name}`, content: fill(name, 2000) }]);
  const app1 = buildImage("oci", AMD64, [base, mid, await own("app1")], { labels: { app: "1" } });
  const app2 = (version: string, layer: Layer): ReturnType<typeof buildIndex> =>
    buildIndex("oci", [
      buildImage("oci", AMD64, [base, mid, layer], { labels: { app: "2", version } }),
      buildImage("oci", ARM64, [base, mid, layer], { labels: { app: "2", version } }),
    ]);
  const app3 = buildImage("docker", AMD64, [base, await own("app3")], { labels: { app: "3" } });
  const lone = buildImage("oci", AMD64, [await own("lone")], { labels: { app: "lone" } });
  await pushNode(url, "apps/app1", app1, ["v1"]);
  await pushNode(url, "apps/app2", app2("v1", await own("app2 v1")), ["v1"]);
  await pushNode(url, "apps/app2", app2("v2", await own("app2 v2")), ["v2"]);
  await pushNode(url, "apps/app3", app3, ["v1"]);
  await pushNode(url, "other/lone", lone, ["v1"]);
  const dir = await mkdtemp(join(tmpdir(), "airlock-delta-"));
  await mkdir(join(dir, "out"));
  const write = async (name: string, images: string[]): Promise<string> => {
    const file = join(dir, name, "airlock.yaml");
    await mkdir(join(dir, name));
    const lines = images.map((i) => `  - ref: ${host}/${i}\n    platforms: all`).join("\n");
    await writeFile(file, `images:\n${lines}\n`);
    return file;
  };
  return {
    dir,
    list1: await write("list1", ["apps/app1:v1", "apps/app2:v1"]),
    list2: await write("list2", ["apps/app1:v1", "apps/app2:v2", "apps/app3:v1"]),
    unrelated: await write("unrelated", ["other/lone:v1"]),
  };
}
