// A child process of layer-pool.ts: writes the layers it is sent, one at a time, and answers
// each with its digests.
import { textPool, type LayerSpec } from "./layer-content.js";
import { writeLayerFile, type LayerBlob } from "./layer-file.js";

/** A job from the pool. */
export interface LayerJob {
  id: number;
  seed: string;
  spec: LayerSpec;
  file: string;
}

/** The answer to a job: its blob, or why it failed. */
export type LayerAnswer = { id: number; blob: LayerBlob } | { id: number; error: string };

const pools = new Map<string, Buffer>();

process.on("message", (job: LayerJob) => {
  let pool = pools.get(job.seed);
  if (pool === undefined) pools.set(job.seed, (pool = textPool(job.seed)));
  writeLayerFile(job.spec, job.seed, pool, job.file).then(
    (blob) => process.send?.({ id: job.id, blob } satisfies LayerAnswer),
    (error: unknown) => process.send?.({ id: job.id, error: String(error) } satisfies LayerAnswer),
  );
});
