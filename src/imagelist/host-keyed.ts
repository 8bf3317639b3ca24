/**
 * The host-keyed formats: skopeo sync YAML and mindthegap images.yaml. Both
 * map a registry host to its images; they differ in key names and extras.
 */

import { isRecord, entriesOf, type ReadContext, type ReadEntry } from "./context.js";
import { reportDuplicates } from "./duplicates.js";
import * as mindthegap from "../generated/validate-mindthegap.js";
import * as skopeoSync from "../generated/validate-skopeo-sync.js";
import { FOREIGN_MESSAGES, type HostKeyedFormat } from "./foreign-schemas.js";
import { readForeignSettings } from "./foreign-settings.js";
import { makeEntry } from "./image-entry.js";
import type { Path } from "./paths.js";
import { DEFAULT_PLATFORMS } from "./platforms.js";
import { checkUniqueHost } from "./registries.js";
import { schemaErrors } from "./schema-check.js";
import { reportSchemaErrors } from "./schema-messages.js";
import {
  checkReference,
  checkRegex,
  checkSemverRange,
  referenceSelector,
  type WrittenReference,
} from "./selectors.js";
import type { ImageList, RegistrySettings, TagSelector } from "./types.js";

/** Reads a skopeo sync or mindthegap document; problems and warnings go to `ctx.reporter`. */
export function readHostKeyedList(value: unknown, format: HostKeyedFormat, ctx: ReadContext): ImageList {
  const schema = format === "skopeo-sync" ? skopeoSync : mindthegap;
  reportSchemaErrors(schemaErrors(schema, value), ctx.reporter, FOREIGN_MESSAGES);
  const registries: Record<string, RegistrySettings> = {};
  const read: ReadEntry[] = [];
  const seen = new Map<string, string>();
  for (const [key, config] of entriesOf(value)) {
    const host = checkUniqueHost(key, [key], seen, ctx.reporter);
    if (host === undefined || !isRecord(config)) continue;
    const settings = readForeignSettings(config, [key], host, format, ctx);
    if (Object.keys(settings).length > 0) registries[host] = settings;
    read.push(...readRepositories(config, key, host, format, ctx));
  }
  reportDuplicates(read, ctx.reporter);
  const platforms = [...DEFAULT_PLATFORMS];
  return { file: ctx.file, format, platforms, registries, images: read.map((r) => r.entry) };
}

function readRepositories(
  config: Record<string, unknown>,
  key: string,
  host: string,
  format: HostKeyedFormat,
  ctx: ReadContext,
): ReadEntry[] {
  const out: ReadEntry[] = [];
  for (const [repo, tags] of entriesOf(config.images)) {
    out.push(...readTagList(`${host}/${repo}`, tags, [key, "images", repo], format, ctx));
  }
  if (format !== "skopeo-sync") return out;
  for (const [repo, pattern] of entriesOf(config["images-by-tag-regex"])) {
    const path = [key, "images-by-tag-regex", repo];
    const checked = checkRegex(pattern, path, ctx.reporter);
    if (checked !== undefined)
      out.push(...repositoryEntry(`${host}/${repo}`, path, { kind: "regex", pattern: checked }, ctx));
  }
  for (const [repo, range] of entriesOf(config["images-by-semver"])) {
    const path = [key, "images-by-semver", repo];
    // skopeo uses Masterminds/semver, where "," means "and"; node-semver writes that as a space.
    const written = typeof range === "string" ? range.replace(/\s*,\s*/g, " ") : range;
    const checked = checkSemverRange(written, path, ctx.reporter);
    if (checked !== undefined)
      out.push(...repositoryEntry(`${host}/${repo}`, path, { kind: "semver", range: checked }, ctx));
  }
  return out;
}

/** `repo: [tag, sha256:…]`: one entry per tag or digest; `repo: []` is every tag (skopeo) or a mistake (mindthegap). */
function readTagList(
  name: string,
  tags: unknown,
  path: Path,
  format: HostKeyedFormat,
  ctx: ReadContext,
): ReadEntry[] {
  if (!Array.isArray(tags) || checkRepository(name, path, ctx) === undefined) return [];
  if (tags.length === 0) {
    if (format === "skopeo-sync") return repositoryEntry(name, path, { kind: "regex", pattern: "^.*$" }, ctx);
    ctx.reporter.problem(
      path,
      "an empty list selects no images in a mindthegap images.yaml; list the tags to carry",
    );
    return [];
  }
  const out: ReadEntry[] = [];
  tags.forEach((tag, i) => {
    if (typeof tag !== "string") return;
    const source = tag.includes(":") ? `${name}@${tag}` : `${name}:${tag}`;
    const itemPath = [...path, i];
    const ref = checkReference(source, itemPath, ctx.reporter);
    if (ref === undefined) return;
    const entry = makeEntry(source, itemPath, ref, referenceSelector(ref), DEFAULT_PLATFORMS, false, ctx);
    out.push({ entry, path: itemPath });
  });
  return out;
}

/** An entry for a whole repository (regex or semver selector). */
function repositoryEntry(name: string, path: Path, selector: TagSelector, ctx: ReadContext): ReadEntry[] {
  const ref = checkRepository(name, path, ctx);
  if (ref === undefined) return [];
  return [{ entry: makeEntry(name, path, ref, selector, DEFAULT_PLATFORMS, false, ctx), path }];
}

/** Checks a repository key (`host/repo`, reported at the key): a valid name with no tag or digest. */
function checkRepository(name: string, path: Path, ctx: ReadContext): WrittenReference | undefined {
  const ref = checkReference(name, path, ctx.reporter, "key");
  if (ref?.explicit !== true) return ref;
  ctx.reporter.problem(
    path,
    "a repository key takes no tag or digest; list tags and digests under it",
    "key",
  );
  return undefined;
}
