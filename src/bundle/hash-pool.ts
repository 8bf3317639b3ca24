/**
 * sha256 of file ranges on worker threads, so verifying a bundle uses every
 * core: the main thread reads the tar's headers while workers hash blobs
 * (from the page cache) by offset. The pool is the one that create-bundle
 * copies and hashes with (stream/range-workers.ts).
 */
export { RangeWorkers as HashPool } from "../stream/range-workers.js";
