// Writes many bench layers in parallel: one child process per core, each running layer-worker.ts,
// fed the largest layers first.
import { fork, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { LayerSpec } from "./layer-content.js";
import type { LayerBlob } from "./layer-file.js";
import type { LayerAnswer, LayerJob } from "./layer-worker.js";

const WORKER = join(import.meta.dirname, "layer-worker.ts");

/** Writes each spec into its file; the blobs in the order of `layers`. */
export async function writeLayers(
  seed: string,
  layers: readonly { spec: LayerSpec; file: string }[],
): Promise<LayerBlob[]> {
  const size = (spec: LayerSpec): number => spec.randomMiB + spec.textMiB;
  const order = layers.map((layer, id) => ({ ...layer, id })).sort((a, b) => size(b.spec) - size(a.spec));
  const blobs: LayerBlob[] = new Array<LayerBlob>(layers.length);
  const children = Array.from({ length: Math.min(availableParallelism(), layers.length) }, () =>
    fork(WORKER, [], { execArgv: ["--import", "tsx"] }),
  );
  try {
    let next = 0;
    await Promise.all(
      children.map(async (child) => {
        for (let job = order[next++]; job !== undefined; job = order[next++]) {
          blobs[job.id] = await ask(child, { ...job, seed });
        }
      }),
    );
    return blobs;
  } finally {
    for (const child of children) child.kill();
  }
}

/** Sends one job to a child and waits for its answer. */
function ask(child: ChildProcess, job: LayerJob): Promise<LayerBlob> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`layer worker exited (${code})`));
    child.once("exit", onExit);
    child.once("message", (answer: LayerAnswer) => {
      child.off("exit", onExit);
      if ("error" in answer) reject(new Error(`layer ${job.spec.label}: ${answer.error}`));
      else resolve(answer.blob);
    });
    child.send(job);
  });
}
