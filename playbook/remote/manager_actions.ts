// package and service are actions in Ansible, not modules: each picks the module of the target's package
// (service) manager — the `use` argument, else the pkg_mgr (service_mgr) fact, else that one fact gathered
// now — and hands it every other argument unchanged, so whatever apt, dnf or systemd accept passes
// through. The fact gathered here is not kept, as in Ansible.
import type { ModuleResult } from "../runner.ts";
import { actionFail } from "./_results.ts";
import type { Action } from "./actions.ts";
import type { TargetSession } from "./session.ts";

interface Manager {
  /** The fact naming the manager (`ansible_facts.<fact>`). */
  fact: "pkg_mgr" | "service_mgr";
  /** What to run when no manager could be named; undefined fails the task with `undetected`. */
  fallback?: string;
  undetected: string;
  /** Arguments a manager's module does not take, dropped with a warning. */
  unused?: Record<string, readonly string[]>;
  /** ansible-core's own managers, run as `ansible.legacy.<name>` (a `library/` module still overrides). */
  builtin: ReadonlySet<string>;
}

/** The manager's name: `use`, else the known fact, else the fact gathered by setup just for this. */
async function managerName(s: TargetSession, m: Manager, use: unknown): Promise<string> {
  let name = use === undefined || use === null ? "auto" : String(use);
  if (name === "auto") {
    const known = s.request.facts?.[m.fact];
    if (known !== undefined && known !== null) name = String(known);
  }
  if (name === "auto") {
    const r = await s.runModule("ansible.legacy.setup", {
      gather_subset: ["!all"],
      filter: [`ansible_${m.fact}`],
    }, {
      sync: true,
    });
    const facts = r.ansible_facts as Record<string, unknown> | undefined;
    const gathered = facts?.[`ansible_${m.fact}`];
    if (gathered !== undefined && gathered !== null) name = String(gathered);
  }
  return name;
}

function managerAction(m: Manager): Action {
  return async (s, args) => {
    const name = await managerName(s, m, m.fact === "service_mgr" ? lower(args.use) : args.use);
    let module = name;
    if (m.fallback && (!name || name === "auto" || !s.hasModule(name))) module = m.fallback;
    if (module === "auto") return actionFail(m.undetected);
    if (!s.hasModule(module)) return actionFail(`Could not find a module for ${module}.`);
    // The chosen module's module_defaults fill in under the task's arguments.
    const { use: _use, ...rest } = { ...s.request.moduleDefaults?.(module), ...args };
    const warnings: string[] = [];
    for (const k of m.unused?.[module] ?? []) {
      if (k in rest) {
        delete rest[k];
        warnings.push(`Ignoring "${k}" as it is not used in "${module}"`);
      }
    }
    const result: ModuleResult = await s.runModule(
      m.builtin.has(module) ? `ansible.legacy.${module}` : module,
      rest,
    );
    if (warnings.length === 0) return result;
    const before = Array.isArray(result.warnings) ? result.warnings : [];
    return { ...result, warnings: [...warnings, ...before] };
  };
}

const lower = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v);

export const packageAction: Action = managerAction({
  fact: "pkg_mgr",
  // The names ansible-core's pkg_mgr fact gives.
  builtin: new Set([
    "apk",
    "apt",
    "atomic_container",
    "dnf",
    "homebrew",
    "installp",
    "macports",
    "opkg",
    "pacman",
    "pkg5",
    "pkgin",
    "pkgng",
    "portage",
    "sorcery",
    "svr4pkg",
    "swdepot",
    "swupd",
    "urpmi",
    "xbps",
    "yum",
    "zypper",
  ]),
  undetected:
    'Could not detect which package manager to use. Try gathering facts or setting the "use" option.',
});

export const serviceAction: Action = managerAction({
  fact: "service_mgr",
  fallback: "service",
  builtin: new Set(["openwrt_init", "service", "systemd", "sysvinit"]),
  undetected:
    'Could not detect which service manager to use. Try gathering facts or setting the "use" option.',
  unused: { systemd: ["pattern", "runlevel", "sleep", "arguments", "args"] },
});
