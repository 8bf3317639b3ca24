/**
 * The shapes of the foreign list formats airlock reads, as JSON Schemas, so
 * their mistakes are reported like airlock.yaml's. Unknown keys are refused,
 * as mindthegap does (`KnownFields(true)`).
 */

import type { SchemaMessages } from "./schema-messages.js";

/** The foreign formats keyed by registry host. */
export type HostKeyedFormat = "skopeo-sync" | "mindthegap";

// Functions, not shared objects: each schema location must be its own object for messages to find it.
const tagLists = (): object => ({
  type: "object",
  additionalProperties: { type: "array", items: { type: "string" } },
});

const stringsByRepository = (): object => ({
  type: "object",
  additionalProperties: { type: "string", minLength: 1 },
});

const credentials = (): object => ({
  type: "object",
  additionalProperties: false,
  properties: {
    username: { type: "string" },
    password: { type: "string" },
    identitytoken: { type: "string" },
  },
});

/** skopeo-sync(1) `--src yaml`: registry host → images, images-by-tag-regex, images-by-semver, TLS, credentials. */
export const SKOPEO_SYNC_SCHEMA = {
  type: "object",
  additionalProperties: {
    type: "object",
    additionalProperties: false,
    properties: {
      images: tagLists(),
      "images-by-tag-regex": stringsByRepository(),
      "images-by-semver": stringsByRepository(),
      credentials: credentials(),
      "tls-verify": { type: "boolean" },
      "cert-dir": { type: "string", minLength: 1 },
    },
  },
};

/** mindthegap images.yaml: registry host → images (repository → tags), tlsVerify, credentials. */
export const MINDTHEGAP_SCHEMA = {
  type: "object",
  additionalProperties: {
    type: "object",
    additionalProperties: false,
    properties: { images: tagLists(), tlsVerify: { type: "boolean" }, credentials: credentials() },
  },
};

/** Wording shared by both foreign formats. */
export const FOREIGN_MESSAGES: SchemaMessages = {
  "#/type": "must be a mapping from registry host to its images",
  "#/additionalProperties/type": "must be a mapping of this registry's settings (images, …)",
  "#/additionalProperties/properties/images/type": "must be a mapping from repository to a list of tags",
  "#/additionalProperties/properties/images/additionalProperties/type": "must be a list of tags or digests",
  "#/additionalProperties/properties/images-by-tag-regex/type":
    "must be a mapping from repository to a regular expression",
  "#/additionalProperties/properties/images-by-semver/type":
    "must be a mapping from repository to a semver range",
};
