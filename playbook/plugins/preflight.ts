// Before a play starts: the Python plugins the playbooks name that need ansible-core's Python package, so
// that a controller Python without it is reported once, in one line, instead of failing task after task.
// Names are found in the playbooks' text (filters after `|`, tests after `is` or in select()/map(),
// lookup()/query() names, `with_<lookup>` keys or a loaded task's loopWith; a loaded task's action names an
// action plugin); a name that is no Python plugin costs nothing.
import * as fs from "node:fs";
import type { PythonPlugins } from "./resolver.ts";
import type { ActionPlugins } from "./actions.ts";

/** A Python plugin a playbook uses, and the file it comes from. */
export interface PluginUse {
  kind: "filter" | "test" | "lookup" | "action";
  name: string;
  file: string;
}

const NAME = String.raw`[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*`;
const FILTER = new RegExp(String.raw`\|\s*(${NAME})`, "g");
const TEST = new RegExp(String.raw`\bis\s+(?:not\s+)?(${NAME})`, "g");
const BY_NAME = new RegExp(String.raw`\b(select|reject|map)\(\s*['"](${NAME})['"]`, "g");
const BY_ATTR = new RegExp(
  String.raw`\b(?:selectattr|rejectattr)\(\s*['"][^'"]*['"]\s*,\s*['"](${NAME})['"]`,
  "g",
);
const LOOKUP = new RegExp(String.raw`\b(?:lookup|query|q)\(\s*['"](${NAME})['"]`, "g");
const WITH = /^with_(.+)$/;

/** The filter, test and lookup names written anywhere in `data` (plays, tasks, variables). */
export function pluginNames(
  data: unknown,
): { filter: Set<string>; test: Set<string>; lookup: Set<string>; action: Map<string, string> } {
  const out = {
    filter: new Set<string>(),
    test: new Set<string>(),
    lookup: new Set<string>(),
    // a loaded task's action, by the name it was written as
    action: new Map<string, string>(),
  };
  const seen = new Set<object>();
  const text = (s: string) => {
    if (!s.includes("|") && !s.includes(" is ") && !s.includes("(")) return;
    for (const m of s.matchAll(FILTER)) out.filter.add(m[1]);
    for (const m of s.matchAll(TEST)) out.test.add(m[1]);
    for (const m of s.matchAll(BY_NAME)) (m[1] === "map" ? out.filter : out.test).add(m[2]);
    for (const m of s.matchAll(BY_ATTR)) out.test.add(m[1]);
    for (const m of s.matchAll(LOOKUP)) out.lookup.add(m[1]);
  };
  const walk = (v: unknown) => {
    if (typeof v === "string") return text(v);
    if (v === null || typeof v !== "object" || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) return v.forEach(walk);
    const task = v as { action?: unknown; actionWritten?: unknown };
    if (typeof task.action === "string" && typeof task.actionWritten === "string") {
      out.action.set(task.actionWritten, task.action);
    }
    for (const [k, x] of Object.entries(v)) {
      const w = WITH.exec(k);
      if (w) out.lookup.add(w[1]);
      // a loaded task keeps with_<name>'s name as loopWith
      if (k === "loopWith" && typeof x === "string") out.lookup.add(x);
      else walk(x);
    }
  };
  walk(data);
  return out;
}

const IMPORTS_ANSIBLE = /^\s*(?:from\s+ansible(?:\.\w+)*\s+import|import\s+ansible\b)/m;

/** Whether a plugin file needs ansible-core's Python package (lookups always do: LookupBase is Ansible's). */
function needsAnsibleCore(use: PluginUse): boolean {
  if (use.kind === "lookup") return true;
  try {
    return IMPORTS_ANSIBLE.test(fs.readFileSync(use.file, "utf8"));
  } catch {
    return false;
  }
}

/**
 * The Python plugins the playbooks use that need ansible-core (a plugin file importing `ansible` itself),
 * one per file, in the order they were found.
 */
export function ansibleCoreUses(data: unknown, plugins: PythonPlugins, actions?: ActionPlugins): PluginUse[] {
  const names = pluginNames(data);
  const out: PluginUse[] = [];
  // an action plugin always needs it: ActionBase is Ansible's
  for (const [written, action] of actions ? names.action : []) {
    const file = actions!.find(action, written)?.file;
    if (file && !out.some((u) => u.file === file)) out.push({ kind: "action", name: written, file });
  }
  for (const kind of ["filter", "test", "lookup"] as const) {
    for (const name of names[kind]) {
      const file = plugins.sourceFile(kind, name);
      if (file && !out.some((u) => u.file === file) && needsAnsibleCore({ kind, name, file })) {
        out.push({ kind, name, file });
      }
    }
  }
  return out;
}

/** The one line said when the controller's Python cannot import ansible-core for these plugins. */
export function missingAnsibleCore(uses: PluginUse[], python: string): string {
  const [first] = uses;
  const more = uses.length > 1 ? ` (and ${uses.length - 1} more plugin${uses.length > 2 ? "s" : ""})` : "";
  return `the ${first.kind} plugin ${first.name} (${first.file})${more} needs ansible-core's Python package, ` +
    `which ${python} cannot import: install ansible-core for it (apt install ansible-core, or ` +
    `pip install ansible-core), or name a Python that has it in MITO_CONTROLLER_PYTHON`;
}
