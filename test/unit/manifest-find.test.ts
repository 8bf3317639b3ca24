/**
 * RegistryClient.manifestFind over a scripted transport: one GET where the registry is not
 * Docker Hub (a 404 the miss, a 200 the manifest's own bytes), a HEAD first on Docker Hub,
 * whose pull rate limit counts manifest GETs and not HEADs.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { sha256Digest } from "../../src/oci/digest.js";
import { MediaType } from "../../src/oci/media-types.js";
import { RegistryClient } from "../../src/registry/client.js";
import type { RegistryRequest, RegistryResponse, RegistryTransport } from "../../src/registry/transport.js";

// Spaced as a registry may serve it: the digest is of these bytes, never of a re-serialisation.
const BYTES = Buffer.from(`{ "schemaVersion": 2, "mediaType": "${MediaType.OciManifest}", "layers": [] }`);
const DIGEST = sha256Digest(BYTES);

/** A transport whose registry holds BYTES under the tag "v1" and by digest; it records each request. */
function scripted(registry: string): { transport: RegistryTransport; sent: string[] } {
  const sent: string[] = [];
  const send = (req: RegistryRequest): Promise<RegistryResponse> => {
    const ref = req.path.slice(req.path.lastIndexOf("/") + 1);
    sent.push(`${req.method} ${ref}`);
    const found = ref === "v1" || ref === DIGEST;
    const status = found ? 200 : 404;
    assert.ok(req.expect.includes(status), `${req.method} ${ref} expects ${req.expect.join(", ")}`);
    const content = !found ? Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}') : BYTES;
    const body = Object.assign(Readable.from(req.method === "HEAD" ? [] : [content]), {
      dump: () => Promise.resolve(),
    });
    const headers = found
      ? {
          "content-type": MediaType.OciManifest,
          "docker-content-digest": DIGEST,
          "content-length": `${BYTES.length}`,
        }
      : {};
    const url = new URL(`https://${registry}${req.path}`);
    return Promise.resolve({ status, headers, body, url } as unknown as RegistryResponse);
  };
  return { transport: { registry, send } as unknown as RegistryTransport, sent };
}

describe("manifestFind", () => {
  it("asks a registry other than Docker Hub with one GET, hit or miss", async () => {
    const { transport, sent } = scripted("registry.example:5000");
    const client = new RegistryClient(transport);
    const found = await client.manifestFind("app", "v1");
    assert.deepEqual(found, {
      bytes: BYTES,
      digest: DIGEST,
      mediaType: MediaType.OciManifest,
      size: BYTES.length,
    });
    assert.equal(await client.manifestFind("app", "sha256-abc.sig"), undefined);
    assert.deepEqual(sent, ["GET v1", "GET sha256-abc.sig"]);
  });

  it("HEADs first on Docker Hub: a miss costs no GET, a hit is fetched by the digest answered", async () => {
    const { transport, sent } = scripted("docker.io");
    const client = new RegistryClient(transport);
    assert.equal((await client.manifestFind("library/app", "v1"))?.digest, DIGEST);
    assert.equal(await client.manifestFind("library/app", "sha256-abc.sig"), undefined);
    assert.deepEqual(sent, ["HEAD v1", `GET ${DIGEST}`, "HEAD sha256-abc.sig"]);
  });
});
