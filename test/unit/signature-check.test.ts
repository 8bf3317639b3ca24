// The signature checks over the content-store interface alone: the signed fixtures put in a
// MemoryStore (no registry, no network), each image checked from what is attached to it, as a
// lock records it. The same checks read registries and bundles through the same interface.
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { before, describe, it } from "node:test";
import type { ImageManifest } from "../../src/oci/types.js";
import { checkImage } from "../../src/signature/check-image.js";
import { loadPolicy } from "../../src/signature/policy.js";
import type { AttachedDescriptor, LoadedPolicy, SignatureFailure } from "../../src/signature/types.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { blobsOf, type BuiltNode } from "../harness/image-builder.js";
import { buildSignedImages, IDENTITY, type SignedCase, type SignedImages } from "../harness/signed-images.js";

async function put(store: MemoryStore, node: BuiltNode): Promise<void> {
  for (const blob of blobsOf(node)) {
    await store.blobPut({ mediaType: "application/octet-stream", digest: blob.digest, size: blob.size }, () =>
      Promise.resolve(Readable.from([blob.bytes])),
    );
  }
}

/** What a lock would record as attached to the case's image. */
function attachedOf(signed: SignedImages, which: SignedCase): AttachedDescriptor[] {
  const { image, tagged } = signed.images[which];
  return tagged.flatMap(({ tag, node }): AttachedDescriptor[] => {
    const suffix = /\.(sig|att|sbom)$/.exec(tag)?.[1];
    const at = { subject: image.digest, digest: node.digest, mediaType: node.mediaType, size: node.size };
    if (suffix !== undefined) return [{ kind: `cosign-${suffix}` as AttachedDescriptor["kind"], ...at }];
    if (node.kind !== "index") return [];
    return node.children.map((child) => {
      const manifest = JSON.parse(child.bytes.toString("utf8")) as ImageManifest;
      return {
        kind: "referrer" as const,
        subject: image.digest,
        digest: child.digest,
        mediaType: child.mediaType,
        size: child.size,
        ...(manifest.artifactType !== undefined ? { artifactType: manifest.artifactType } : {}),
      };
    });
  });
}

describe("signature checks over a memory store", () => {
  let signed: SignedImages;
  let store: MemoryStore;
  let policy: LoadedPolicy;

  before(async () => {
    signed = await buildSignedImages(await mkdtemp(join(tmpdir(), "airlock-sigunit-")));
    store = new MemoryStore();
    for (const entry of Object.values(signed.images)) {
      await put(store, entry.image);
      for (const t of entry.tagged) await put(store, t.node);
    }
    policy = await loadPolicy({
      keys: [signed.keyFiles.ecdsa, signed.keyFiles.ed25519],
      identities: [IDENTITY],
      trustedRoot: signed.trustedRootFile,
    });
  });

  const verdict = async (which: SignedCase, checked: LoadedPolicy = policy) => {
    const { image } = signed.images[which];
    const ctx = { source: store, subject: image.digest, subjectBytes: image.bytes, policy: checked };
    return await checkImage(ctx, `sig/${which}`, attachedOf(signed, which));
  };

  const cases: [SignedCase, SignatureFailure | "pass"][] = [
    ["ecdsa", "pass"],
    ["ed25519", "pass"],
    ["rsa", "bad-signature"],
    ["tampered", "bad-signature"],
    ["other-digest", "digest-mismatch"],
    ["unsigned", "missing"],
    ["key-bundle", "pass"],
    ["keyless", "pass"],
    ["keyless-sig", "pass"],
    ["keyless-other", "identity-mismatch"],
    ["keyless-expired", "untrusted-certificate"],
    ["keyless-untrusted", "untrusted-certificate"],
    ["keyless-bad-log", "tlog-invalid"],
    ["keyless-bad-proof", "tlog-invalid"],
  ];
  for (const [which, expected] of cases) {
    it(`sig/${which}: ${expected}`, async () => {
      const v = await verdict(which);
      assert.equal(v.passed ? "pass" : v.failure, expected, v.reason);
      assert.equal(v.image, `sig/${which}`);
    });
  }

  it("an attestation asked for: the cosign .att by key, the keyless provenance bundle", async () => {
    const attesting = { ...policy, attestations: ["https://slsa.dev/provenance/v0.2"] };
    assert.equal((await verdict("ecdsa", attesting)).passed, true);
    assert.equal((await verdict("keyless", attesting)).passed, true);
    assert.equal((await verdict("ed25519", attesting)).failure, "missing");
  });
});
