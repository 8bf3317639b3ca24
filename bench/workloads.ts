// Workloads for `npm run bench`, built by the same committed generator as the test fixtures.
import { buildImage, buildLayer } from "../test/harness/image-builder.js";
import { pushNode } from "../test/harness/fixture-push.js";
import { mapSettled } from "../src/util/pool.js";

/**
 * Pushes `count` small single-platform images (`bench/tiny-N:v1`, sharing a
 * base layer) into a plain registry; returns their references.
 */
export async function pushTinyImages(baseUrl: string, host: string, count: number): Promise<string[]> {
  const base = await buildLayer([{ path: "etc/" }, { path: "etc/os-release", content: "ID=bench\n" }]);
  const refs: string[] = [];
  const results = await mapSettled(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      const app = await buildLayer([{ path: "app/" }, { path: "app/id", content: `tiny ${i}\n` }]);
      const image = buildImage("oci", { os: "linux", architecture: "amd64" }, [base, app], {
        env: [`N=${i}`],
      });
      await pushNode(baseUrl, `bench/tiny-${i}`, image, ["v1"]);
      return `${host}/bench/tiny-${i}:v1`;
    },
  );
  for (const r of results) {
    if (r.status === "rejected") throw r.reason;
    refs.push(r.value);
  }
  return refs;
}
