// Before an Ansible module runs: the `ansible.module_utils` names it imports at its top level must be served
// from the controller (a module_utils folder or ansible-core), or the task fails there with Ansible's words
// (executor/module_common.py's recursive finder), not with an ImportError on the target. Imports inside
// functions and `try`/`if` blocks are optional to Ansible too: only those at the top level are checked.
// Pure: whether a name is served is the caller's callback.

const PREFIX = "ansible.module_utils";

/** An Ansible module imports support code that exists nowhere Ansible looks. */
export class ModuleSupportNotFoundError extends Error {
  override name = "ModuleSupportNotFoundError";
  constructor(readonly module: string, readonly candidates: string[]) {
    super(
      `Could not find imported module support code for ${module}.  Looked for ` +
        `([${candidates.map((c) => `'${c}'`).join(", ")}])`,
    );
  }
}

/** The statements at the module's top level that import, each on one line (continuations joined). */
function topLevelImports(source: string): string[] {
  const out: string[] = [];
  const lines = source.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let stmt = lines[i].replace(/#.*$/, "").trimEnd();
    if (!/^(from|import)\s/.test(stmt)) continue;
    // a parenthesised name list, or a backslash, goes on to the next line
    while (i + 1 < lines.length && (stmt.endsWith("\\") || (stmt.includes("(") && !stmt.includes(")")))) {
      stmt = stmt.replace(/\\$/, "") + " " + lines[++i].replace(/#.*$/, "").trim();
    }
    out.push(stmt);
  }
  return out;
}

/** The module_utils names (as dotted parts) a top-level statement imports, as Ansible's finder lists them. */
function importedParts(stmt: string): string[][] {
  const from = /^from\s+([\w.]+)\s+import\s+(.*)$/.exec(stmt);
  if (from) {
    if (from[1] !== PREFIX && !from[1].startsWith(PREFIX + ".")) return [];
    return from[2].replace(/[()]/g, "").split(",").map((a) => a.trim().split(/\s+/)[0]).filter(Boolean)
      .map((name) => [...from[1].split("."), name]);
  }
  const imp = /^import\s+(.*)$/.exec(stmt);
  if (!imp) return [];
  return imp[1].split(",").map((a) => a.trim().split(/\s+/)[0])
    .filter((name) => name.startsWith(PREFIX + ".")).map((name) => name.split("."));
}

function compareParts(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length - b.length;
}

/** What else Ansible's finder accepts for a name the controller does not serve. */
export interface SupportLookup {
  serves: (fullname: string) => boolean;
  /**
   * Whether ansible-core's routing redirects `ansible.module_utils.<remainder>` (to a collection): Ansible
   * then finds it (a shim). Asked only for a name not served, so a routing table is read only then.
   */
  redirected?: (remainder: string) => boolean;
}

/**
 * Throws ModuleSupportNotFoundError for the first (in Ansible's sorted order) top-level module_utils import
 * of `source` that `serves` knows under none of its candidate names: the name itself and, for a name two
 * or more levels below module_utils (`from ansible.module_utils.x import y`: y may be an attribute of x),
 * its parent; anything under `six` is `six` itself (its `moves` are made at run time). `module` is the
 * module's name as Ansible says it (`ansible.modules.<name>`).
 */
export function checkModuleSupport(source: string, module: string, lookup: SupportLookup): void {
  const seen = new Set<string>();
  const imports = topLevelImports(source).flatMap(importedParts)
    .filter((p) => !seen.has(p.join(".")) && seen.add(p.join(".")))
    .sort(compareParts);
  // every candidate is asked of what is served before any of the routing table (large: read only then)
  const redirected = (name: string) => lookup.redirected?.(name.slice(PREFIX.length + 1)) ?? false;
  for (const parts of imports) {
    const candidates = parts[2] === "six"
      ? [parts.slice(0, 3)]
      : parts.length - 2 > 1
      ? [parts, parts.slice(0, -1)]
      : [parts];
    const names = candidates.map((c) => c.join("."));
    if (!names.some(lookup.serves) && !names.some(redirected)) {
      throw new ModuleSupportNotFoundError(module, names);
    }
  }
}
