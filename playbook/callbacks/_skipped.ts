// ansible-playbook's -vv lines "Skipping callback 'NAME', as we already have a stdout callback.": as it
// loads its callbacks it lists every callback plugin it can find (no collections) and skips each one of
// type stdout, the chosen one included (it was loaded by name before the list). The list is the plugin
// folders in Ansible's order (the playbooks' adjacent callback_plugins, then the configured
// callback_plugins paths), then ansible-core's own callbacks; each folder's *.py files sorted by name, a
// name seen before left out.
import * as fs from "node:fs";
import * as path from "node:path";
import { pyStrCompare } from "../py/str_order.ts";
import { pluginFolders } from "../plugins/resolver.ts";

/** ansible-core 2.14's plugins/callback: each name and whether it is a stdout callback. */
const CORE_CALLBACKS: [string, boolean][] = [
  ["default", true],
  ["junit", false],
  ["minimal", true],
  ["oneline", true],
  ["tree", false],
];

/** A Python callback plugin's CALLBACK_TYPE, read from its source. */
const STDOUT_TYPE = /^\s*CALLBACK_TYPE\s*=\s*(['"])stdout\1/m;

function folderCallbacks(dir: string): [string, boolean][] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((f) => f.endsWith(".py")).sort(pyStrCompare);
  } catch {
    return [];
  }
  return names.map((f) => {
    let source = "";
    try {
      source = fs.readFileSync(path.join(dir, f), "utf8");
    } catch {
      // unreadable: Ansible could not load it either, and it is no stdout callback
    }
    return [f.slice(0, -3), STDOUT_TYPE.test(source)];
  });
}

export function skippedCallbackLines(playbookDirs: string[], configured: string[]): string[] {
  const dirs = pluginFolders(playbookDirs, "callback_plugins", configured);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const [name, stdout] of [...dirs.flatMap(folderCallbacks), ...CORE_CALLBACKS]) {
    if (name === "__init__" || seen.has(name)) continue;
    seen.add(name);
    if (stdout) out.push(`Skipping callback '${name}', as we already have a stdout callback.`);
  }
  return out;
}
