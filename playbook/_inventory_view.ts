// Adapts playbook/inventory's Inventory to the executor's InventoryView: --limit applied to every
// selection, playbook-adjacent group_vars/host_vars layered in, and add_host/group_by changes.
import {
  Inventory,
  InventoryError,
  type InventoryOptions,
  LimitFileError,
  PatternMismatchError,
} from "./inventory/mod.ts";
import type { VaultSecrets } from "./vault/mod.ts";
import type { InventoryView } from "./executor.ts";
import { ExecutionError, PlaybookError } from "./errors.ts";
import { type Slice, sliceOf } from "./slice.ts";

export interface OpenInventoryOptions {
  sources: string[];
  limit: string[];
  /** Only this share of the inventory's hosts (hosts added by add_host later are kept). */
  slice?: Slice;
  vault: VaultSecrets;
  cwd: string;
  /** Directories of the playbooks: their group_vars/ and host_vars/ apply too. */
  playbookDirs: string[];
  unparsedIsFailed?: boolean;
  anyUnparsedIsFailed?: boolean;
  /** The host pattern asked for (ad-hoc); the empty-inventory warning is not given for localhost's names. */
  pattern?: string;
  /** How sources are read: enabled plugins, what the constructed plugin templates with, … */
  plugins?: Pick<
    InventoryOptions,
    | "enabledPlugins"
    | "templar"
    | "extraVars"
    | "useExtraVars"
    | "factsOf"
    | "transformGroupChars"
    | "patternMismatch"
    | "onVerbose"
    | "ansiblePlugins"
  >;
  warn(message: string): void;
}

/** Ansible's LOCALHOST: the names of the implicit localhost. */
const LOCALHOST_NAMES = new Set(["localhost", "127.0.0.1", "::1"]);

export function openInventory(o: OpenInventoryOptions): InventoryView {
  const load = () => {
    try {
      return Inventory.load(o.sources, {
        vault: o.vault,
        cwd: o.cwd,
        onWarning: o.warn,
        unparsedIsFailed: o.unparsedIsFailed,
        anyUnparsedIsFailed: o.anyUnparsedIsFailed,
        ...o.plugins,
      });
    } catch (err) {
      // What is left an error after unparsable sources became warnings stops ansible-playbook with exit 1.
      if (err instanceof InventoryError) throw new ExecutionError(err.message);
      throw err;
    }
  };
  let inv = load();
  // What add_host/group_by did, replayed after refresh_inventory (Ansible keeps those hosts).
  const added: (() => void)[] = [];
  const remember = (change: () => void) => {
    change();
    added.push(change);
  };
  if (inv.hosts().length === 0 && !LOCALHOST_NAMES.has(o.pattern ?? "all")) {
    o.warn(
      "provided hosts list is empty, only localhost is available. Note that the implicit localhost does not match 'all'",
    );
  }
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof LimitFileError || err instanceof PatternMismatchError) {
        throw new ExecutionError(err.message);
      }
      if (err instanceof InventoryError) throw new PlaybookError(err.message);
      throw err;
    }
  };
  // The other slices' hosts, as if the inventory had only this slice's (AWX gives each slice's job such an
  // inventory): patterns and --limit then apply to what is left.
  const outside = new Set<string>();
  if (o.slice) {
    const names = inv.hosts().map((h) => h.name);
    const inSlice = new Set(sliceOf(names, o.slice));
    for (const n of names) if (!inSlice.has(n)) outside.add(n);
  }
  const selectHosts = (pattern: string) =>
    guard(() => inv.selectHosts(pattern, { limit: o.limit })).filter((h) => !outside.has(h.name));
  // ansible-playbook refuses to start when --limit leaves none of a non-empty inventory (exit 1)
  if (inv.hosts().length > outside.size && selectHosts("all").length === 0) {
    throw new ExecutionError(
      "Specified inventory, host pattern and/or --limit leaves us with no hosts to target.",
    );
  }
  return {
    select: (pattern) => selectHosts(pattern).map((h) => h.name),
    hostVars: (host) => inv.hostVars(host, { playbookDirs: o.playbookDirs }),
    groupNames: (host) => inv.groupNamesOf(host),
    groups: () => inv.groupsMap(),
    hasHost: (host) => inv.getHost(host) !== undefined,
    isImplicit: (host) => inv.getHost(host)?.implicit === true,
    addHost: (host, groups, vars) => {
      const changed = inv.addHostChanges(host, { groups, vars });
      remember(() => inv.addHost(host, { groups, vars }));
      return changed;
    },
    addToGroup: (host, group, parents) => {
      const changed = inv.groupByChanges(host, group, parents);
      remember(() => {
        // replayed after refresh_inventory: a host the sources no longer have is not brought back
        if (!inv.getHost(host)) return;
        if (!inv.getGroup(group)) inv.addGroup(group);
        for (const parent of parents) inv.addGroup(group, { parent });
        inv.addHost(host, { groups: [group], existing: true });
      });
      return changed;
    },
    refresh: () => {
      inv = load();
      for (const change of added) change();
    },
    sourceOf: (host) => {
      const src = inv.getHost(host)?.source;
      return src && !src.includes(",") ? src : undefined;
    },
  };
}
