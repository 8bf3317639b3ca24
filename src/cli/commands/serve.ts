import { DEFAULT_LISTEN } from "../../serve/listen.js";
import type { ServedRegistry } from "../../serve/server.js";
import { flag, stringValue, type Command } from "../command.js";
import { writeJson } from "../output.js";

export const serveCommand: Command = {
  name: "serve",
  summary: "serve bundles or OCI layouts as a read-only registry",
  usage: "BUNDLE…|OCI-DIR…",
  help: `Serves one or more bundles (read from the tar by offset, nothing extracted; several
bundles or parts share their blobs) or OCI layout directories as a read-only OCI
distribution registry, until Ctrl-C. Repositories are named as push-bundle names them:
the source reference without its registry host (docker.io/library/busybox:1.36 is
library/busybox:1.36). Manifests are served byte for byte, so digests hold; each
repository serves only what its images reach. Writes are refused (405). A tag of a
filtered multi-platform image (a sparse index) names an index of the carried platforms,
the one push-bundle writes where a registry refuses sparse indexes, so "skopeo copy --all"
by tag works; the upstream index still answers by its digest.
In a layout directory, an image named with a bare tag ("v1") is served as that tag of a
repository named after the directory.
  --listen HOST:PORT      where to listen (default ${DEFAULT_LISTEN}; port 0 picks a free one;
                          :PORT listens on every interface)
  --tls-cert FILE         serve HTTPS with this PEM certificate (chain)…
  --tls-key FILE          …and this PEM key
  --prefix PATH           serve every repository under PATH (as push-bundle --prefix)
  --keep-host             keep the source registry host as the first path component
                          (127.0.0.1:5000/team/app is 127.0.0.1_5000/team/app)
  --mapping FILE          push-bundle's mapping file (mappings: [{from, to}]); the longest
                          matching "from" wins, other references use the naming above
With -v, one line per request on stderr; with --json, {"url","images"} on stdout once listening.`,
  options: {
    listen: { type: "string" },
    "tls-cert": { type: "string" },
    "tls-key": { type: "string" },
    prefix: { type: "string" },
    "keep-host": { type: "boolean" },
    mapping: { type: "string" },
  },
  args: [1, Number.POSITIVE_INFINITY],
  async run({ positionals, values, remote, io, say, log, json }) {
    const signal = remote.signal;
    const mappingFile = stringValue(values, "mapping");
    const { serveRegistry } = await import("../../serve/server.js");
    const { loadMapping } = await import("../../imagelist/mapping-file.js");
    const server = await serveRegistry(positionals, {
      listen: stringValue(values, "listen"),
      tlsCert: stringValue(values, "tls-cert"),
      tlsKey: stringValue(values, "tls-key"),
      prefix: stringValue(values, "prefix"),
      keepHost: flag(values, "keep-host"),
      mapping: mappingFile === undefined ? undefined : await loadMapping(mappingFile),
      onWarning: (message) => log.warn(message),
      onRequest: flag(values, "verbose") ? (line) => say(`airlock: ${line}`) : undefined,
      signal,
    });
    if (json) await writeJson(io.stdout, { url: server.url, images: server.images, carried: server.carried });
    say(carriedNote(server.carried));
    say(`serving ${server.images} images at ${server.url}`);
    await untilAborted(signal);
    await server.close();
  },
};

/** Whether any tag names another digest than upstream: nothing changed is said too. */
function carriedNote(carried: ServedRegistry["carried"]): string {
  if (carried.length === 0) return "digests: every tag names its upstream digest";
  const named = carried
    .slice(0, 3)
    .map((c) => `${c.repository}:${c.tag}`)
    .join(", ");
  const more = carried.length > 3 ? ` and ${carried.length - 3} more` : "";
  return `digests: ${carried.length} tags of filtered multi-platform images (${named}${more}) name an index of the carried platforms, a new digest, as push-bundle writes where a registry refuses sparse indexes; their upstream index digests still answer`;
}

/** Resolves when the signal aborts (Ctrl-C, SIGTERM); never without a signal. */
function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) resolve();
    signal?.addEventListener("abort", () => resolve(), { once: true });
  });
}
