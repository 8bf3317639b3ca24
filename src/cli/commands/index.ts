import type { Command } from "../command.js";
import { createBundleCommand } from "./bundle.js";
import { copyCommand, pullCommand, pushCommand } from "./copy.js";
import { exportCommand } from "./export.js";
import { appendCommand, flattenCommand, mutateCommand, rebaseCommand } from "./mutate.js";
import { syncCommand } from "./sync.js";
import { deleteCommand, tagCommand } from "./tag-delete.js";
import { diffCommand, lockCommand } from "./lock.js";
import { inspectBundleCommand, pushBundleCommand, verifyBundleCommand } from "./seed.js";
import { serveCommand } from "./serve.js";
import { inventoryCommand } from "./inventory.js";
import { mirrorConfigCommand } from "./mirror-config.js";
import { verifySignaturesCommand } from "./signatures.js";
import { validateCommand } from "./validate.js";
import { loginCommand, logoutCommand } from "./login.js";
import { completionCommand, helpCommand } from "./meta.js";
import {
  blobCommand,
  catalogCommand,
  configCommand,
  digestCommand,
  inspectCommand,
  lsCommand,
  manifestCommand,
  manifestDigestCommand,
} from "./read.js";

/** Every command, in the order `airlock --help` lists them. */
export const COMMANDS: readonly Command[] = [
  validateCommand,
  lockCommand,
  diffCommand,
  createBundleCommand,
  verifyBundleCommand,
  inspectBundleCommand,
  pushBundleCommand,
  inventoryCommand,
  verifySignaturesCommand,
  serveCommand,
  mirrorConfigCommand,
  inspectCommand,
  lsCommand,
  catalogCommand,
  digestCommand,
  manifestCommand,
  configCommand,
  blobCommand,
  copyCommand,
  syncCommand,
  pullCommand,
  pushCommand,
  tagCommand,
  deleteCommand,
  exportCommand,
  appendCommand,
  mutateCommand,
  flattenCommand,
  rebaseCommand,
  manifestDigestCommand,
  loginCommand,
  logoutCommand,
  helpCommand,
  completionCommand,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
}
