/** Opening a parsed location as a source or a target. */
import { AirlockError } from "../errors.js";
import { connectRegistry, type RegistryOptions } from "../registry/connect.js";
import { BundleSource } from "./bundle-store.js";
import { DirSource, DirTarget } from "./dir-store.js";
import { DockerArchiveSource } from "./docker-archive-source.js";
import { DockerArchiveTarget } from "./docker-archive-target.js";
import type { ImageSource, ImageTarget } from "./image-store.js";
import { parseLocation, type ImageLocation } from "./location.js";
import { OciArchiveSource, OciArchiveTarget } from "./oci-archive.js";
import { OciDirStore } from "./oci-dir-store.js";
import { RegistryStore } from "./registry-store.js";

export interface OpenOptions extends RegistryOptions {
  signal?: AbortSignal;
}

function asLocation(location: string | ImageLocation): ImageLocation {
  return typeof location === "string" ? parseLocation(location) : location;
}

/**
 * Opens a location for reading; `resolve()` without a ref then finds the
 * image the location names. Archives are indexed (docker-archive: hashed) here.
 */
export async function openSource(
  location: string | ImageLocation,
  options: OpenOptions = {},
): Promise<ImageSource> {
  const loc = asLocation(location);
  switch (loc.transport) {
    case "docker": {
      const { registry, repository, tag, digest } = loc.reference;
      const client = await connectRegistry(registry, options);
      return new RegistryStore(client, repository, { reference: digest ?? tag, owned: true });
    }
    case "oci":
      return await OciDirStore.open(loc.path, loc.ref);
    case "oci-archive":
      return await OciArchiveSource.open(loc.path, loc.ref, options.signal);
    case "docker-archive":
      return await DockerArchiveSource.open(loc.path, loc.ref, options.signal);
    case "dir":
      return new DirSource(loc.path);
    case "bundle":
      return await BundleSource.open(loc.path, loc.ref, options.signal);
  }
}

/** A target and how to close it (a registry target owns its client). */
export interface OpenedTarget {
  target: ImageTarget;
  close: () => Promise<void>;
}

/**
 * Opens a location for writing. Archives and dir: start a temporary file or
 * directory beside the final one; nothing has the final name until commit.
 * @throws AirlockError ERR_USAGE for a bundle (read-only).
 */
export async function openTarget(
  location: string | ImageLocation,
  options: OpenOptions = {},
): Promise<OpenedTarget> {
  const loc = asLocation(location);
  const done = (target: ImageTarget): OpenedTarget => ({ target, close: () => Promise.resolve() });
  switch (loc.transport) {
    case "docker": {
      const { registry, repository, tag, digest } = loc.reference;
      const store = new RegistryStore(await connectRegistry(registry, options), repository, {
        reference: tag ?? digest,
        owned: true,
      });
      return { target: store, close: () => store.close() };
    }
    case "oci":
      return done(new OciDirStore(loc.path, loc.ref));
    case "oci-archive":
      return done(await OciArchiveTarget.create(loc.path, loc.ref));
    case "docker-archive":
      return done(await DockerArchiveTarget.create(loc.path, loc.ref));
    case "dir":
      return done(await DirTarget.create(loc.path));
    case "bundle":
      throw new AirlockError(
        "ERR_USAGE",
        `bundle:${loc.path}: bundles are read-only; write one with airlock create-bundle`,
      );
  }
}
