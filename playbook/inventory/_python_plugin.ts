// An inventory plugin mito does not have itself (a collection's, or one in an inventory_plugins/ folder),
// run by ansible-core on the controller when it is installed (bootstrap/inventory_plugin.py): the
// inventory so far goes to it, the inventory it leaves comes back.
import * as childProcess from "node:child_process";
import { EMBEDDED } from "../../bootstrap/_embedded.ts";
import { type InventoryData, InventoryError } from "./_data.ts";
import { toPlain } from "../template/mod.ts";

export interface PythonPluginOptions {
  /** The controller's Python, which must import ansible. */
  python: string;
  /** Folders whose inventory_plugins/ Ansible adds (the playbook's, --playbook-dir). */
  basedirs: string[];
  /** Directories of the sources parsed before (the plugin's inventory.processed_sources). */
  processed: string[];
  extraVars?: Record<string, unknown>;
  cwd?: string;
  /** --flush-cache: the plugin does not read its inventory cache. */
  flushCache?: boolean;
  /** The plugin is in the enabled list (not named by a configuration): one that does not want the source declines it. */
  enabled?: boolean;
}

interface Returned {
  missing?: boolean;
  declined?: boolean;
  loadable?: string[];
  error?: string;
  groups?: {
    name: string;
    vars: Record<string, unknown>;
    priority: number;
    children: string[];
    hosts: string[];
  }[];
  hosts?: { name: string; vars: Record<string, unknown> }[];
}

/** Variables Ansible's add_host sets itself: mito tells them from the host's source. */
const SOURCE_VARS = new Set(["inventory_file", "inventory_dir"]);

function runBridge(python: string, request: unknown, cwd?: string): Returned | undefined {
  const r = childProcess.spawnSync(python, ["-c", EMBEDDED["bootstrap/inventory_plugin.py"]], {
    input: JSON.stringify(request),
    encoding: "utf8",
    cwd,
    maxBuffer: 1 << 28,
    stdio: ["pipe", "pipe", "inherit"],
  });
  if (r.error) return undefined;
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new InventoryError(`ansible-core's inventory plugin runner failed: exit ${r.status}`);
  }
}

/**
 * Which of `names` (enabled plugins mito lacks) ansible-core has; undefined when it cannot be imported.
 */
export function ansibleInventoryPlugins(
  names: string[],
  opts: Pick<PythonPluginOptions, "python" | "basedirs" | "cwd">,
): string[] | undefined {
  const out = runBridge(opts.python, { probe: names, basedirs: opts.basedirs, extra_vars: {} }, opts.cwd);
  return out && !out.missing ? out.loadable ?? [] : undefined;
}

/**
 * Runs the plugin `name` on `file` over `inv`: "missing" when ansible-core cannot be imported (the caller
 * then says mito lacks the plugin), "declined" when an enabled plugin does not want the source. The
 * plugin's failure is an InventoryError with its message.
 */
export function runPythonInventoryPlugin(
  name: string,
  file: string,
  inv: InventoryData,
  opts: PythonPluginOptions,
): "ran" | "missing" | "declined" {
  const request = {
    path: file,
    plugin: name,
    enabled: opts.enabled === true,
    cache: opts.flushCache !== true,
    basedirs: opts.basedirs,
    extra_vars: toPlain(opts.extraVars ?? {}),
    inventory: {
      processed: opts.processed,
      groups: [...inv.groups.values()].map((g) => ({
        name: g.name,
        vars: toPlain(g.vars),
        priority: g.priority ?? null,
        children: g.children,
      })),
      hosts: [...inv.hosts.values()].map((h) => ({
        name: h.name,
        vars: toPlain(h.vars),
        groups: [...h.groups],
      })),
    },
  };
  const out = runBridge(opts.python, request, opts.cwd);
  if (!out || out.missing) return "missing";
  if (out.declined) return "declined";
  if (out.error !== undefined) throw new InventoryError(out.error);
  for (const g of out.groups ?? []) {
    const group = inv.addGroup(g.name);
    group.vars = g.vars;
    if (g.priority !== 1 || group.priority !== undefined) group.priority = g.priority;
  }
  for (const h of out.hosts ?? []) {
    const host = inv.addHost(h.name);
    for (const [k, v] of Object.entries(h.vars)) if (!SOURCE_VARS.has(k)) host.vars[k] = v;
  }
  for (const g of out.groups ?? []) {
    for (const c of g.children) inv.addChild(g.name, c);
    for (const h of g.hosts) inv.addHost(h, g.name);
  }
  return "ran";
}
