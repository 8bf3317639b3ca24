/**
 * `mirror-config`: the container runtime configuration that lets a site's
 * nodes pull images by their original names (docker.io/library/nginx:1.27)
 * from the site registry, named exactly as push-bundle names them.
 */
import { open, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { AirlockError, fileErrorReason } from "../errors.js";
import { loadMapping } from "../imagelist/mapping-file.js";
import {
  MIRROR_FORMATS,
  renderMirrorConfig,
  type MirrorFile,
  type MirrorFormat,
  type MirrorSite,
} from "../plan/mirror-formats.js";
import { mirrorHosts, type MirrorHost } from "../plan/mirror-rules.js";
import { parseRegistryTarget, type TargetNaming } from "../ref/target-name.js";
import { writeFileAtomic } from "../stream/atomic-file.js";
import { BundleReader } from "../store/bundle-reader.js";
import { readLock } from "./lock-io.js";
import { findFilteredInBundle, type FilteredImage } from "./filtered-images.js";

export type { MirrorFile, MirrorFormat, MirrorSite } from "../plan/mirror-formats.js";
export type { MirrorHost, MirrorRule } from "../plan/mirror-rules.js";

export interface MirrorConfigOptions {
  format: MirrorFormat;
  /** REGISTRY[/PREFIX], as push-bundle takes it; "http://REGISTRY…" means plain HTTP. */
  to: string;
  keepHost?: boolean;
  /** push-bundle's mapping file of {from, to} rules. */
  mappingFile?: string;
  /** The site speaks plain HTTP. */
  plainHttp?: boolean;
  /** The site's TLS certificate is not verified. */
  insecure?: boolean;
  /** CA certificates (PEM files) the nodes must trust for the site. */
  caFiles?: string[];
  signal?: AbortSignal;
}

export interface MirrorConfigResult {
  format: MirrorFormat;
  /** The files, relative to the output directory; the main one first. */
  files: MirrorFile[];
  /** Every upstream host covered, with its rules. */
  hosts: { host: string; rules: { from: string; to: string }[]; repositories: number }[];
  /** The images the configuration covers. */
  images: number;
  /**
   * Images of bundle inputs carried as sparse indexes: at a registry that refuses those, their tag
   * names a new index (push-bundle's digest map says which). Undefined when a lock was among the
   * inputs (not judged); empty when every tag keeps its upstream digest.
   */
  filtered?: FilteredImage[];
}

/**
 * The runtime configuration for the images of locks or bundles (a file is a
 * bundle when it is a tar, else a lock). Returns the files; writes nothing.
 * @throws AirlockError ERR_USAGE for an unknown format, a bad --to, or a naming the format
 * cannot express; ERR_FILE for an unreadable input.
 */
export async function mirrorConfig(
  inputs: string[],
  options: MirrorConfigOptions,
): Promise<MirrorConfigResult> {
  if (!MIRROR_FORMATS.includes(options.format)) {
    throw new AirlockError(
      "ERR_USAGE",
      `--format must be one of ${MIRROR_FORMATS.join(", ")}, not "${String(options.format)}"`,
    );
  }
  const plainScheme = /^http:\/\//i.test(options.to);
  const { registry, prefix } = parseRegistryTarget(options.to, "--to");
  const naming: TargetNaming = {
    prefix,
    keepHost: options.keepHost,
    rules: options.mappingFile === undefined ? [] : await loadMapping(options.mappingFile),
  };
  const read = await Promise.all(inputs.map((f) => referencesOf(f, options.signal)));
  const references = [...new Set(read.flatMap((r) => r.references))];
  const judged = read.every((r) => r.filtered !== undefined);
  if (references.length === 0) {
    throw new AirlockError("ERR_USAGE", `${inputs.join(", ")}: no images to configure mirrors for`);
  }
  const site: MirrorSite = {
    registry,
    plainHttp: options.plainHttp === true || plainScheme,
    insecure: options.insecure,
    caFiles: await Promise.all((options.caFiles ?? []).map(readCa)),
  };
  const hosts = mirrorHosts(references, naming);
  return {
    format: options.format,
    files: renderMirrorConfig(options.format, hosts, site),
    hosts: hosts.map(summary),
    images: references.length,
    ...(judged ? { filtered: read.flatMap((r) => r.filtered ?? []) } : {}),
  };
}

/**
 * Writes the files: into `out` when it is a directory (or ends in "/"), else
 * the main file to `out` (only for registries.conf and k3s, whose CA files
 * then stay unwritten: the result says where they go). Each file atomically.
 * @returns the paths written.
 */
export async function writeMirrorConfig(result: MirrorConfigResult, out: string): Promise<string[]> {
  const isDir =
    out.endsWith("/") ||
    (await stat(out).then(
      (s) => s.isDirectory(),
      () => false,
    ));
  if (!isDir && result.format === "containerd") {
    throw new AirlockError(
      "ERR_USAGE",
      `-o ${out}: containerd's configuration is a directory tree (certs.d); name a directory`,
    );
  }
  const files = isDir ? result.files : result.files.slice(0, 1);
  const paths = files.map((f) => (isDir ? join(out, f.path) : out));
  for (const [i, f] of files.entries()) await writeFileAtomic(paths[i] as string, f.content);
  return paths;
}

/** The references a lock or a bundle (or a part of one) names; for a bundle, its sparse indexes. */
async function referencesOf(
  file: string,
  signal: AbortSignal | undefined,
): Promise<{ references: string[]; filtered?: FilteredImage[] }> {
  if (await isTar(file)) {
    const reader = await BundleReader.open(file, { signal });
    return {
      references: reader.refs().map((r) => r.reference),
      filtered: await findFilteredInBundle(reader),
    };
  }
  const lock = await readLock(file);
  if (lock === undefined) throw new AirlockError("ERR_FILE", `cannot read ${file}: no such file`);
  return { references: lock.entries.flatMap((e) => e.images.map((i) => i.reference)) };
}

/** A POSIX tar has "ustar" at offset 257 of its first header. */
async function isTar(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (err) {
    throw new AirlockError("ERR_FILE", `cannot read ${file}: ${fileErrorReason(err)}`, { cause: err });
  }
  try {
    const magic = Buffer.alloc(5);
    await handle.read(magic, 0, 5, 257);
    return magic.toString("latin1") === "ustar";
  } finally {
    await handle.close();
  }
}

async function readCa(file: string): Promise<{ path: string; pem: string }> {
  try {
    return { path: resolve(file), pem: await readFile(file, "utf8") };
  } catch (err) {
    throw new AirlockError("ERR_FILE", `cannot read CA file ${file}: ${fileErrorReason(err)}`, {
      cause: err,
    });
  }
}

function summary(h: MirrorHost): MirrorConfigResult["hosts"][number] {
  return { host: h.host, rules: h.rules, repositories: h.repositories.size };
}
