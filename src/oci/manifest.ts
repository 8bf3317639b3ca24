import { parse as parseContentType } from "content-type";
import { AirlockError, messageOf } from "../errors.js";
import { MediaType, SCHEMA1_TYPES, isImageManifestType, isIndexType } from "./media-types.js";
import type { Descriptor, ImageManifest, Index } from "./types.js";

/** Manifests, indexes and configs may be held in memory up to this size. */
export const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;

export type ParsedManifest =
  | { kind: "index"; mediaType: string; index: Index }
  | { kind: "image"; mediaType: string; manifest: ImageManifest };

/** Lower-cased media type without parameters, or undefined. */
export function normalizeContentType(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  try {
    return parseContentType(header).type.toLowerCase();
  } catch {
    return header.split(";")[0]?.trim().toLowerCase();
  }
}

/**
 * Parses manifest bytes without changing them. The media type comes from the
 * body's `mediaType`, else the Content-Type, else the shape of the JSON.
 * Schema 1 manifests are refused: their digests cannot be kept.
 */
export function parseManifest(bytes: Uint8Array, contentType?: string, where = "manifest"): ParsedManifest {
  const json = parseJsonObject(bytes, where);
  const mediaType = detectMediaType(json, normalizeContentType(contentType));
  if (SCHEMA1_TYPES.includes(mediaType) || json.schemaVersion === 1) {
    throw new AirlockError(
      "ERR_MANIFEST_UNSUPPORTED",
      `${where} is a Docker schema 1 manifest, which airlock does not support: re-push the image with a current client (e.g. skopeo copy --format v2s2)`,
    );
  }
  if (isIndexType(mediaType)) {
    checkDescriptors(json.manifests, `${where}: manifests`);
    return { kind: "index", mediaType, index: json as unknown as Index };
  }
  if (isImageManifestType(mediaType)) {
    checkDescriptors([json.config], `${where}: config`);
    checkDescriptors(json.layers, `${where}: layers`);
    return { kind: "image", mediaType, manifest: json as unknown as ImageManifest };
  }
  throw new AirlockError(
    "ERR_MANIFEST_UNSUPPORTED",
    `${where} has media type "${mediaType}", which is not an image manifest or index`,
  );
}

function parseJsonObject(bytes: Uint8Array, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    throw new AirlockError("ERR_MANIFEST_INVALID", `${where} is not valid JSON: ${messageOf(err)}`, {
      cause: err,
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AirlockError("ERR_MANIFEST_INVALID", `${where} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function detectMediaType(json: Record<string, unknown>, contentType: string | undefined): string {
  if (typeof json.mediaType === "string" && json.mediaType !== "") return json.mediaType.toLowerCase();
  if (contentType !== undefined && contentType !== "application/json" && contentType !== "text/plain") {
    return contentType;
  }
  if (Array.isArray(json.manifests)) return MediaType.OciIndex;
  if (json.config !== undefined && Array.isArray(json.layers)) return MediaType.OciManifest;
  if (json.schemaVersion === 1) return MediaType.DockerSchema1;
  return contentType ?? "unknown";
}

function checkDescriptors(value: unknown, where: string): asserts value is Descriptor[] {
  if (!Array.isArray(value)) {
    throw new AirlockError("ERR_MANIFEST_INVALID", `${where} is missing or not a list`);
  }
  value.forEach((d: unknown, i) => {
    const ok =
      typeof d === "object" &&
      d !== null &&
      typeof (d as Descriptor).mediaType === "string" &&
      typeof (d as Descriptor).digest === "string" &&
      Number.isSafeInteger((d as Descriptor).size) &&
      (d as Descriptor).size >= 0;
    if (!ok) {
      throw new AirlockError(
        "ERR_MANIFEST_INVALID",
        `${where}[${i}] is not a descriptor (mediaType, digest, size)`,
      );
    }
  });
}
