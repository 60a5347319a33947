// Ansible's gather_facts action when it runs more than the setup module (FACTS_MODULES,
// `ansible_facts_modules`): each facts module in turn, their facts merged as Ansible merges them (dicts
// deep, lists with append_rp: the later module's items last, none twice from the earlier one), the later
// module winning a conflict; a module that fails or skips is named in the result instead.
import { DISPLAY_WARNINGS, type ModuleResult } from "../runner.ts";
import { mergeHash } from "../template/mod.ts";
import { pyStr } from "../py/mod.ts";
import type { Action } from "./actions.ts";

/** The setup module under the names Ansible's gather_facts knows it by: it takes every argument. */
const SETUP = new Set(["setup", "ansible.builtin.setup", "ansible.legacy.setup"]);

/** What the action hands a facts module other than setup: its gathering options go, each warned of. */
function argsFor(module: string, task: Record<string, unknown>, warn: (w: string) => void) {
  const args = { ...task };
  if (!SETUP.has(module)) {
    const subset = args.gather_subset;
    delete args.gather_subset;
    const all = subset === "all" || (Array.isArray(subset) && subset.length === 1 && subset[0] === "all");
    if (!all) warn(`Ignoring subset(${pyStr(subset ?? null)}) for ${module}`);
    for (const [k, what] of [["gather_timeout", "timeout"], ["filter", "filter"]]) {
      if (args[k] !== undefined && args[k] !== null) {
        warn(`Ignoring ${what}(${pyStr(args[k])}) for ${module}`);
      }
      delete args[k];
    }
  }
  for (const k of Object.keys(args)) if (args[k] === null || args[k] === undefined) delete args[k];
  return args;
}

export const gatherFactsAction: Action = async (s, args) => {
  const said: string[] = [];
  let result: Record<string, unknown> = { ansible_facts: {} };
  const failed: Record<string, ModuleResult> = {};
  const skipped: Record<string, ModuleResult> = {};
  const modules = s.request.factsModules ?? ["ansible.legacy.setup"];
  for (const module of modules) {
    // the module's own module_defaults fill in under the task's arguments
    const short = module.replace(/^ansible\.(legacy|builtin)\./, "");
    const own = { ...s.request.moduleDefaults?.(short), ...argsFor(module, args, (w) => said.push(w)) };
    const r = await s.runModule(module, own, { sync: true });
    if (Array.isArray(r[DISPLAY_WARNINGS])) said.push(...(r[DISPLAY_WARNINGS] as string[]));
    if (r.failed) failed[module] = r;
    else if (r.skipped) skipped[module] = r;
    else {
      result = mergeHash(
        result,
        {
          ansible_facts: r.ansible_facts ?? {},
          warnings: r.warnings ?? [],
          deprecations: r.deprecations ?? [],
        },
        true,
        "append_rp",
      );
    }
  }
  const names = (o: Record<string, unknown>) => Object.keys(o).join(", ");
  if (Object.keys(skipped).length) {
    result.msg = `The following modules were skipped: ${names(skipped)}\n`;
    result.skipped_modules = skipped;
    if (Object.keys(skipped).length === modules.length) result.skipped = true;
  }
  if (Object.keys(failed).length) {
    result.failed = true;
    result.msg = `The following modules failed to execute: ${names(failed)}\n`;
    result.failed_modules = failed;
  }
  if (said.length) result[DISPLAY_WARNINGS] = said;
  return result;
};
