/**
 * The write side of the registry client against a real Distribution 2.8
 * (plain and token auth): monolithic and chunked blob uploads read back
 * byte for byte, "exists" without a new session, a wrong source refused and
 * cancelled, empty blobs, cross-repository mounts, and an image pushed with
 * manifestPut that skopeo reads back unchanged.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import type { RegistryClient } from "../../src/registry/client.js";
import { connectRegistry, type RegistryOptions } from "../../src/registry/connect.js";
import { hasCode, readAll } from "../harness/fault-checks.js";
import { startRegistry, type RegistryVariant, type TestRegistry } from "../harness/registry.js";
import { runSkopeo } from "../harness/tools.js";

const MiB = 1024 * 1024;
const NO_AUTH_FILE = "/nonexistent/airlock-upload-test/auth.json";

interface Blob {
  bytes: Buffer;
  digest: string;
  size: number;
}

function blobOf(bytes: Buffer): Blob {
  return { bytes, digest: "sha256:" + createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
}

/** The bytes as a stream of `piece`-sized slices (no copies). */
function streamOf(bytes: Buffer, piece = MiB): () => Readable {
  return () =>
    Readable.from(
      (function* slices() {
        for (let at = 0; at < bytes.length; at += piece) yield bytes.subarray(at, at + piece);
      })(),
    );
}

/** Access-log lines of the registry for `method` on paths starting with `/v2/<repository>/`. */
function accessLines(registry: TestRegistry, method: string, repository: string): string[] {
  const prefix = `"${method} /v2/${repository}/`;
  return registry
    .logs()
    .split("\n")
    .filter((line) => line.includes(prefix));
}

/**
 * Upload sessions of `repository` whose bytes the registry still keeps on
 * disk. (A cancelled session of registry:2 leaves an empty stub directory
 * behind: its DELETE handler rewrites the hash state after removing the data.)
 */
async function uploadsLeft(registry: TestRegistry, repository: string): Promise<string[]> {
  const dir = join(registry.storageDir, "docker/registry/v2/repositories", repository, "_uploads");
  const sessions = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [];
    throw err;
  });
  const withData = await Promise.all(
    sessions.map(async (id) => ((await exists(join(dir, id, "data"))) ? [id] : [])),
  );
  return withData.flat();
}

async function exists(path: string): Promise<boolean> {
  return await stat(path).then(
    () => true,
    () => false,
  );
}

async function readBack(client: RegistryClient, repository: string, blob: Blob): Promise<Buffer> {
  return await readAll(await client.blobGet(repository, blob));
}

for (const variant of ["plain", "token"] satisfies RegistryVariant[]) {
  describe(`blob upload to registry:2 (${variant})`, () => {
    let registry: TestRegistry;
    let options: RegistryOptions;
    let client: RegistryClient;

    before(async () => {
      registry = await startRegistry(variant);
      options = { plainHttp: true, authFile: NO_AUTH_FILE };
      if (registry.username !== undefined && registry.password !== undefined) {
        options.credential = { username: registry.username, password: registry.password };
      }
      client = await connectRegistry(registry.host, options);
    });
    after(async () => {
      await client.close();
      await registry.stop();
    });

    it("uploads 3 MiB in one PUT; HEAD and GET see the same bytes", async () => {
      const blob = blobOf(randomBytes(3 * MiB + 11));
      let progress = 0;
      const onProgress = (bytes: number): void => void (progress = bytes);
      assert.equal(
        await client.blobUpload("up/mono", blob, streamOf(blob.bytes), { onProgress }),
        "uploaded",
      );
      assert.equal(progress, blob.size);
      assert.equal(accessLines(registry, "PATCH", "up/mono").length, 0);
      assert.equal(accessLines(registry, "PUT", "up/mono").length, 1);
      assert.equal(await client.blobHead("up/mono", blob.digest), blob.size);
      assert.ok((await readBack(client, "up/mono", blob)).equals(blob.bytes));
    });

    it("uploads 40 MiB in 5 MiB PATCHes; a second upload is 'exists' without a POST", async () => {
      const blob = blobOf(randomBytes(40 * MiB + 3));
      const opts = { chunkSize: 5 * MiB, monolithicMax: 8 * MiB };
      assert.equal(await client.blobUpload("up/chunked", blob, streamOf(blob.bytes), opts), "uploaded");
      assert.equal(accessLines(registry, "PATCH", "up/chunked").length, 9);
      assert.equal(await client.blobHead("up/chunked", blob.digest), blob.size);
      assert.ok((await readBack(client, "up/chunked", blob)).equals(blob.bytes));
      let opened = 0;
      const open = (): Readable => {
        opened++;
        return streamOf(blob.bytes)();
      };
      assert.equal(await client.blobUpload("up/chunked", blob, open, opts), "exists");
      assert.equal(opened, 0);
      assert.equal(accessLines(registry, "POST", "up/chunked").length, 1);
    });

    for (const [shape, size, opts, patches] of [
      ["buffered", 300 * 1024, {}, 0],
      ["streamed", 3 * MiB, {}, 0],
      ["chunked", 3 * MiB, { chunkSize: MiB, monolithicMax: MiB }, 2],
    ] as const) {
      it(`refuses a wrong source (${shape}) with ERR_DIGEST_MISMATCH and cancels the session`, async () => {
        const blob = blobOf(randomBytes(size));
        const wrong = Buffer.from(blob.bytes);
        wrong.writeUInt8(wrong.readUInt8(size - 1) ^ 1, size - 1);
        const repo = `up/wrong-${shape}`;
        await assert.rejects(
          client.blobUpload(repo, blob, streamOf(wrong), opts),
          hasCode("ERR_DIGEST_MISMATCH"),
        );
        assert.equal(await client.blobHead(repo, blob.digest), undefined);
        assert.equal(await client.blobHead(repo, blobOf(wrong).digest), undefined);
        // A buffered blob is verified before any session opens; the others cancel theirs.
        const posts = accessLines(registry, "POST", repo).length;
        assert.equal(posts, shape === "buffered" ? 0 : 1);
        const deletes = accessLines(registry, "DELETE", repo).filter(
          (line) => !/HTTP\/1\.1" 401 /.test(line),
        );
        assert.equal(deletes.length, posts);
        // The last chunk waits for verification: the registry got the first two only.
        assert.equal(accessLines(registry, "PATCH", repo).length, patches);
        // registry:2 races a DELETE against a PUT it is still reading after the client cut it,
        // and may keep that session's data until its upload purger runs: only checked when
        // no request was in flight.
        if (shape === "chunked") assert.deepEqual(await uploadsLeft(registry, repo), []);
      });
    }

    it("refuses a short source with ERR_SIZE_MISMATCH", async () => {
      const blob = blobOf(randomBytes(2 * MiB));
      const short = streamOf(blob.bytes.subarray(0, MiB));
      await assert.rejects(client.blobUpload("up/short", blob, short), hasCode("ERR_SIZE_MISMATCH"));
      assert.equal(await client.blobHead("up/short", blob.digest), undefined);
    });

    it("uploads a zero-byte blob and the {} config blob", async () => {
      for (const blob of [blobOf(Buffer.alloc(0)), blobOf(Buffer.from("{}"))]) {
        assert.equal(await client.blobUpload("up/empty", blob, streamOf(blob.bytes)), "uploaded");
        assert.equal(await client.blobHead("up/empty", blob.digest), blob.size);
        assert.ok((await client.blobGetBytes("up/empty", blob)).equals(blob.bytes));
      }
    });

    it("mounts a blob from another repository with one token for both scopes", async () => {
      const blob = blobOf(randomBytes(64 * 1024));
      await client.blobUpload("mount/source", blob, streamOf(blob.bytes));
      const fresh = await connectRegistry(registry.host, options);
      const tokensBefore = registry.tokenRequests?.length ?? 0;
      try {
        assert.equal(await fresh.blobMount("mount/target", blob.digest, "mount/source"), true);
      } finally {
        await fresh.close();
      }
      if (registry.tokenRequests !== undefined) {
        const asked = registry.tokenRequests.slice(tokensBefore).map((r) => [...r.scopes].sort());
        assert.deepEqual(asked, [["repository:mount/source:pull", "repository:mount/target:pull,push"]]);
      }
      assert.equal(await client.blobHead("mount/target", blob.digest), blob.size);
      assert.ok((await readBack(client, "mount/target", blob)).equals(blob.bytes));
    });

    it("answers false for a mount of an absent blob and cancels the session it opened", async () => {
      const absent = blobOf(randomBytes(32));
      assert.equal(await client.blobMount("mount/none", absent.digest, "mount/source"), false);
      assert.equal(accessLines(registry, "DELETE", "mount/none").filter((l) => /" 204 /.test(l)).length, 1);
      assert.equal(await client.blobHead("mount/none", absent.digest), undefined);
    });

    it("pushes config, layer and manifest; skopeo reads the same manifest bytes", async () => {
      const layer = blobOf(gzipSync(randomBytes(200 * 1024)));
      const diffId = "sha256:" + createHash("sha256").update(randomBytes(8)).digest("hex");
      const configJson = {
        architecture: "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: [diffId] },
      };
      const config = blobOf(Buffer.from(JSON.stringify(configJson)));
      for (const blob of [config, layer]) await client.blobUpload("img/app", blob, streamOf(blob.bytes));
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: { mediaType: "application/vnd.oci.image.config.v1+json", ...descriptorOf(config) },
          layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...descriptorOf(layer) }],
        }),
      );
      const digest = await client.manifestPut(
        "img/app",
        "v1",
        manifest,
        "application/vnd.oci.image.manifest.v1+json",
      );
      assert.equal(digest, blobOf(manifest).digest);
      const ref = `docker://${registry.host}/img/app:v1`;
      const { stdout } = await runSkopeo(["inspect", "--raw", ...registry.skopeoFlags(), ref]);
      assert.ok(stdout.equals(manifest), `skopeo read ${stdout.toString("utf8")}`);
    });
  });
}

function descriptorOf(blob: Blob): { digest: string; size: number } {
  return { digest: blob.digest, size: blob.size };
}
