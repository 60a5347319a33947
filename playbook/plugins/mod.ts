// Ansible's controller-side Python plugins (filters, tests, lookups from collections and plugin folders),
// run by the plugin host: one local Python process for the whole run, started on first need.
import * as fs from "node:fs";
import * as path from "node:path";
import type { CollectionIndex } from "../collections.ts";
import { sitePackageDirs } from "../collections.ts";
import { PluginHost } from "./host.ts";
import { type PluginFolders, pluginFolders, PythonPlugins } from "./resolver.ts";

export { PluginError, PluginHost, PluginHostError } from "./host.ts";
export type { HostInfo, PluginHostOptions } from "./host.ts";
export { type PluginFolders, pluginFolders, PythonPlugins } from "./resolver.ts";
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
  /** Playbook directories, then role directories as they were loaded: their *_plugins folders. */
  adjacent: () => string[];
  /** filter_plugins / test_plugins / lookup_plugins from the configuration. */
  configured: { filter: string[]; test: string[]; lookup: string[] };
  python: string;
  cwd: string;
  env: Record<string, string | undefined>;
  warn: (message: string) => void;
}

/** The plugin source for a run's templar and the host behind it (close it when the run ends). */
export function pythonPlugins(o: PythonPluginsSetup): { plugins: PythonPlugins; host: PluginHost } {
  const host = new PluginHost({
    python: o.python,
    collectionRoots: [...o.collections.roots],
    cwd: o.cwd,
    env: o.env,
    warn: o.warn,
  });
  let folders: PluginFolders | undefined;
  const plugins = new PythonPlugins({
    host,
    collections: o.collections,
    folders: () =>
      folders ??= {
        filter: pluginFolders(o.adjacent(), "filter_plugins", o.configured.filter),
        test: pluginFolders(o.adjacent(), "test_plugins", o.configured.test),
        lookup: pluginFolders(o.adjacent(), "lookup_plugins", o.configured.lookup),
      },
    ansiblePlugins: ansiblePluginsDir(),
    warn: o.warn,
  });
  return { plugins, host };
}
