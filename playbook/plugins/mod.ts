// Ansible's controller-side Python plugins (filters, tests, lookups from collections and plugin folders),
// run by the plugin host: one local Python process for the whole run, started on first need.
import * as fs from "node:fs";
import * as path from "node:path";
import type { CollectionIndex } from "../collections.ts";
import { sitePackageDirs } from "../collections.ts";
import { PluginHost } from "./host.ts";
import { ActionPlugins } from "./actions.ts";
import { type PluginFolders, pluginFolders, PythonPlugins } from "./resolver.ts";

export { PluginError, PluginHost, PluginHostError } from "./host.ts";
export type { HostInfo, PluginHostOptions } from "./host.ts";
export { type PluginFolders, pluginFolders, PythonPlugins } from "./resolver.ts";
export {
  type ActionCall,
  ActionPluginRaised,
  type ActionPluginRef,
  ActionPlugins,
  ActionStepError,
} from "./actions.ts";
export { ansibleCoreUses, missingAnsibleCore, pluginNames, type PluginUse } from "./preflight.ts";

/** The controller's Python: MITO_CONTROLLER_PYTHON, else Debian's /usr/bin/python3, else python3. */
export function controllerPython(env: Record<string, string | undefined>): string {
  if (env.MITO_CONTROLLER_PYTHON) return env.MITO_CONTROLLER_PYTHON;
  return fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

/** ansible-core's own plugins folder (…/ansible/plugins) in the controller's site directories, if any. */
export function ansiblePluginsDir(sites: string[] = sitePackageDirs()): string | undefined {
  return sites.map((s) => path.join(s, "ansible", "plugins")).find((d) =>
    fs.existsSync(path.join(d, "filter", "core.py"))
  );
}

export interface PythonPluginsSetup {
  collections: CollectionIndex;
  /** Playbook directories: their *_plugins folders come first. */
  playbookDirs: string[];
  /** filter_plugins / test_plugins / lookup_plugins from the configuration. */
  configured: { filter: string[]; test: string[]; lookup: string[]; action?: string[] };
  python: string;
  cwd: string;
  env: Record<string, string | undefined>;
  warn: (message: string) => void;
  /** How many action plugins may run at once (the run's forks); 1 when not given. */
  forks?: number;
}

export interface RunPlugins {
  /** The plugin source for the run's templar. */
  plugins: PythonPlugins;
  /** The host behind it: close it when the run ends. */
  host: PluginHost;
  /**
   * Action plugins, run by hosts of their own: their calls wait for targets, so those channels are read
   * asynchronously, and templating's synchronous calls to `host` never share their FIFOs. Close it when
   * the run ends.
   */
  actions: ActionPlugins;
  /** A role was loaded: its *_plugins folders join the search, after those already there. */
  addRoleDir(dir: string): void;
}

const SUBDIRS = {
  filter: "filter_plugins",
  test: "test_plugins",
  lookup: "lookup_plugins",
  action: "action_plugins",
} as const;

/** The Python plugins of one run. */
export function pythonPlugins(o: PythonPluginsSetup): RunPlugins {
  const newHost = () =>
    new PluginHost({
      python: o.python,
      collectionRoots: [...o.collections.roots],
      cwd: o.cwd,
      env: o.env,
      warn: o.warn,
    });
  const host = newHost();
  const adjacent = [...o.playbookDirs];
  let folders: PluginFolders | undefined;
  const plugins = new PythonPlugins({
    host,
    collections: o.collections,
    folders: () =>
      folders ??= {
        filter: pluginFolders(adjacent, SUBDIRS.filter, o.configured.filter),
        test: pluginFolders(adjacent, SUBDIRS.test, o.configured.test),
        lookup: pluginFolders(adjacent, SUBDIRS.lookup, o.configured.lookup),
      },
    ansiblePlugins: ansiblePluginsDir(),
    warn: o.warn,
  });
  let actionFolders: string[] | undefined;
  const actions = new ActionPlugins({
    newHost,
    maxHosts: o.forks ?? 1,
    collections: o.collections,
    folders: () => actionFolders ??= pluginFolders(adjacent, SUBDIRS.action, o.configured.action ?? []),
  });
  const addRoleDir = (dir: string) => {
    if (adjacent.includes(dir)) return;
    adjacent.push(dir);
    if (fs.existsSync(path.join(dir, SUBDIRS.action))) actionFolders = undefined;
    if (folders && Object.values(SUBDIRS).some((s) => fs.existsSync(path.join(dir, s)))) {
      folders = undefined;
      plugins.foldersChanged();
    }
  };
  return { plugins, host, actions, addRoleDir };
}
