/**
 * A user's script, type-checked (never run) by test/integration/scratch-project.test.ts in a
 * project that installs airlock by name: every verb the package exports, called with its
 * option and result types written out, as a user who annotates would.
 */
import { Writable } from "node:stream";
import type { Readable } from "node:stream";
import {
  appendLayers,
  checkImageListLock,
  connectRegistry,
  copyImage,
  createBundle,
  deleteImage,
  diffLockBytes,
  diffLockFiles,
  exportImage,
  exportImageToFile,
  flattenImage,
  getBlob,
  getConfig,
  getDigest,
  getManifest,
  inspectBundle,
  inspectImage,
  isAirlockError,
  listCatalog,
  listTags,
  loadImageList,
  lockImageList,
  login,
  logout,
  manifestDigest,
  mirrorConfig,
  mutateImage,
  openSource,
  openTarget,
  planLock,
  pullImage,
  pushBundle,
  pushImage,
  readLock,
  rebaseImage,
  resolveCredential,
  serveRegistry,
  syncImages,
  tagImage,
  takeInventory,
  validateImageList,
  verifyBundle,
  verifyBundles,
  writeLock,
  writeMirrorConfig,
  type BundleEvent,
  type BundlePart,
  type BundleRef,
  type BundleSummary,
  type ConfigChanges,
  type CopyEvent,
  type CopyOptions,
  type CopyResult,
  type CreateBundleOptions,
  type DeltaSize,
  type CreateBundleResult,
  type Credential,
  type CredentialSource,
  type EditOptions,
  type ExistingTagPolicy,
  type ExportOptions,
  type FetchedManifest,
  type FetchProgress,
  type ImageInspection,
  type ImageList,
  type ImageListDocument,
  type ImageOutcome,
  type ImageSource,
  type InspectOptions,
  type Inventory,
  type InventoryEvent,
  type InventoryOptions,
  type InventoryResult,
  type Lock,
  type LockCheckOptions,
  type LockCheckResult,
  type LockDiff,
  type LockOptions,
  type LockResult,
  type LoginResult,
  type LogoutResult,
  type OpenedTarget,
  type OpenOptions,
  type ParseResult,
  type PlanOptions,
  type PlatformOptions,
  type PullOptions,
  type PushBundleOptions,
  type PushBundleResult,
  type PushEvent,
  type PushStats,
  type RebaseOptions,
  type RefResult,
  type RegistryClient,
  type RegistryOptions,
  type RemoteOptions,
  type ResolvedBytes,
  type Resolver,
  type ServedRegistry,
  type ServeOptions,
  type SparseIndexPolicy,
  type MirrorConfigOptions,
  type MirrorConfigResult,
  type SyncedImage,
  type SyncOptions,
  type TarIndex,
  type VerifyBundlesOptions,
  type VerifyReport,
  verifySignatures,
  type CertificateIdentity,
  type ImageVerdict,
  type SignatureFailure,
  type SignaturePolicy,
  type VerifySignaturesOptions,
  type VerifySignaturesResult,
} from "airlock";

const REGISTRY = "registry.example.com";
const IMAGE = `${REGISTRY}/team/app:1.2`;

export async function everyVerb(signal: AbortSignal): Promise<void> {
  // Reading a registry.
  const remote: RemoteOptions = { credential: { username: "u", password: "p" }, signal };
  const platformOptions: PlatformOptions = { ...remote, platform: "linux/arm64" };
  const registryOptions: RegistryOptions = { caFiles: ["ca.pem"], timeoutMs: 30_000 };
  const client: RegistryClient = await connectRegistry(REGISTRY, registryOptions);
  await client.close();
  const source: CredentialSource = { authFile: "auth.json" };
  const credential: Credential | undefined = await resolveCredential(REGISTRY, "team/app", source);
  const digest: string = await getDigest(IMAGE, platformOptions);
  const manifest: FetchedManifest = await getManifest(IMAGE, platformOptions);
  const config: Buffer = await getConfig(IMAGE, platformOptions);
  const blob: Readable = await getBlob(`${REGISTRY}/team/app@${digest}`, remote);
  const tags: string[] = await listTags(`${REGISTRY}/team/app`, remote);
  const catalog: string[] = await listCatalog(REGISTRY, remote);
  const fileDigest: string = await manifestDigest("manifest.json");
  const inspectOptions: InspectOptions = { ...platformOptions, noTags: true };
  const inspection: ImageInspection = await inspectImage(IMAGE, inspectOptions);
  const loggedIn: LoginResult = await login(REGISTRY, { username: "u", password: "p" }, remote);
  const loggedOut: LogoutResult = await logout(REGISTRY, { authFile: loggedIn.authFile });

  // Copying and editing images.
  const copyOptions: CopyOptions = {
    ...remote,
    all: true,
    onEvent: (event: CopyEvent) => void event,
  };
  const copied: CopyResult = await copyImage(`docker://${IMAGE}`, "oci:layout:1.2", copyOptions);
  const openOptions: OpenOptions = { ...registryOptions };
  const opened: ImageSource = await openSource(`docker://${IMAGE}`, openOptions);
  const target: OpenedTarget = await openTarget("oci:copy:1.2", openOptions);
  const fromStores: CopyResult = await copyImage(opened, target.target, copyOptions);
  await Promise.all([opened.close(), target.close()]);
  const pullOptions: PullOptions = { ...copyOptions, format: "oci" };
  const pulled: CopyResult = await pullImage(IMAGE, "app.tar", pullOptions);
  const pushed: CopyResult = await pushImage("app.tar", IMAGE, copyOptions);
  const tagged: RefResult = await tagImage(IMAGE, "1.2-stable", remote);
  const deleted: RefResult = await deleteImage(`${REGISTRY}/team/app:old`, remote);
  const exportOptions: ExportOptions = { ...platformOptions, end: true };
  await exportImage(`docker://${IMAGE}`, new Writable({ write: (_c, _e, done) => done() }), exportOptions);
  await exportImageToFile(`docker://${IMAGE}`, "rootfs.tar", platformOptions);
  const syncOptions: SyncOptions = { ...remote, all: true, onImage: (image: SyncedImage) => void image };
  const synced: SyncedImage[] = await syncImages("sync.yaml", `${REGISTRY}/mirror`, syncOptions);
  const changes: ConfigChanges = { labels: { team: "a" }, env: ["A=1"] };
  const editOptions: EditOptions = { ...platformOptions, tag: "edited" };
  const mutated: string = await mutateImage(IMAGE, changes, editOptions);
  const appended: string = await appendLayers(IMAGE, ["extra/"], editOptions);
  const flattened: string = await flattenImage(IMAGE, editOptions);
  const rebaseOptions: RebaseOptions = { ...editOptions, oldBase: "base:1", newBase: "base:2" };
  const rebased: string = await rebaseImage(IMAGE, rebaseOptions);

  // Lists, locks and bundles, from files and from objects.
  const list: ImageList = await loadImageList("airlock.yaml");
  const checked: ParseResult = await validateImageList("airlock.yaml");
  const document: ImageListDocument = {
    defaults: { platforms: ["linux/amd64"] },
    registries: { [REGISTRY]: { credentials: { usernameEnv: "REG_USER", passwordEnv: "REG_PASS" } } },
    images: [IMAGE, { ref: `${REGISTRY}/team/tool`, semver: ">=2 <3", platforms: "all" }],
  };
  const lockOptions: LockOptions = {
    ...remote,
    list: document,
    output: "site.lock",
    onProgress: (done: number, total: number, reference: string) => void [done, total, reference],
  };
  const locked: LockResult = await lockImageList(lockOptions);
  const lock: Lock = locked.lock;
  const checkOptions: LockCheckOptions = { list: document, lock };
  const lockCheck: LockCheckResult = await checkImageListLock(checkOptions);
  const onDisk: Lock | undefined = await readLock("airlock.lock");
  await writeLock("copy.lock", lock);
  const diff: LockDiff = await diffLockFiles("old.lock", "airlock.lock");
  const deltaBytes: DeltaSize = await diffLockBytes("old.lock", "airlock.lock");
  const resolver: Resolver = {
    manifest: (): Promise<ResolvedBytes> => Promise.reject(new Error("offline")),
    tags: (): Promise<string[]> => Promise.resolve([]),
    config: () => Promise.reject(new Error("offline")),
  };
  const planOptions: PlanOptions = { previous: lock, concurrency: 4 };
  const planned: Lock = await planLock(list, resolver, planOptions);
  const bundleOptions: CreateBundleOptions = {
    ...remote,
    list: document,
    lock,
    output: "bundles/site.tar",
    splitBytes: 4 * 1024 ** 3,
    onEvent: (event: BundleEvent) => {
      if (event.type === "fetch") {
        const progress: FetchProgress = event;
        void progress.bytesDone;
      }
    },
  };
  const bundle: CreateBundleResult = await createBundle(bundleOptions);
  const parts: BundlePart[] = bundle.parts;

  // Inside the gap.
  const report: VerifyReport = await verifyBundle(bundle.file, { signal });
  const verifyOptions: VerifyBundlesOptions = { signal, onBytes: (n: number) => void n };
  const reports: VerifyReport[] = await verifyBundles([bundle.file], verifyOptions);
  const summary: BundleSummary = await inspectBundle(bundle.file);
  const existingTags: ExistingTagPolicy = "skip";
  const sparse: SparseIndexPolicy = "filter";
  const pushOptions: PushBundleOptions = {
    ...remote,
    to: "registry.internal:5000/mirror",
    onExistingTag: existingTags,
    sparseIndex: sparse,
    onEvent: (event: PushEvent) => {
      if (event.type === "image") {
        const outcome: ImageOutcome = event.outcome;
        void outcome.status;
      }
    },
  };
  const result: PushBundleResult = await pushBundle(
    parts.map((p) => p.file),
    pushOptions,
  );
  const stats: PushStats = result.stats;
  const inventoryOptions: InventoryOptions = {
    ...remote,
    registry: "registry.internal:5000/mirror",
    output: "inventory.json",
    onEvent: (event: InventoryEvent) => void event.done,
  };
  const taken: InventoryResult = await takeInventory(inventoryOptions);
  const site: Inventory = taken.inventory;
  const identity: CertificateIdentity = {
    subject: "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main",
    issuer: "https://token.actions.githubusercontent.com",
  };
  const signaturePolicy: SignaturePolicy = {
    keys: ["cosign.pub"],
    identities: [identity],
    trustedRoot: "trusted_root.json",
    attestations: ["slsaprovenance"],
  };
  const signatureOptions: VerifySignaturesOptions = { ...remote, policy: signaturePolicy };
  const signatures: VerifySignaturesResult = await verifySignatures([bundle.file, IMAGE], signatureOptions);
  const verdict: ImageVerdict | undefined = signatures.images[0];
  const failure: SignatureFailure | undefined = verdict?.failure;
  const serveOptions: ServeOptions = { listen: "127.0.0.1:0", signal };
  const served: ServedRegistry = await serveRegistry([bundle.file], serveOptions);
  await served.close();
  const mirrorOptions: MirrorConfigOptions = {
    format: "containerd",
    to: "registry.internal:5000/mirror",
    signal,
  };
  const mirror: MirrorConfigResult = await mirrorConfig([bundle.file], mirrorOptions);
  const mirrorFiles: string[] = await writeMirrorConfig(mirror, "certs.d/");

  const refs: BundleRef[] = [];
  const index: TarIndex | undefined = undefined;
  void [credential, manifest, config, blob, tags, catalog, fileDigest, inspection, loggedOut];
  void [copied, fromStores, pulled, pushed, tagged, deleted, synced, mutated, appended, flattened, rebased];
  void [
    checked,
    lockCheck,
    onDisk,
    diff,
    planned,
    report,
    reports,
    summary,
    stats,
    refs,
    index,
    site,
    deltaBytes,
    failure,
    mirrorFiles,
  ];
}

/** Errors are told by code. */
export function isAbort(err: unknown): boolean {
  return isAirlockError(err) && err.code === "ERR_ABORTED";
}
