// The INI inventory format as Ansible's ini plugin reads it.
import { type InventoryData, InventoryError } from "./_data.ts";
import { expandHostEntry, HostPatternError } from "./_hostpattern.ts";
import { safeGroupName } from "./_group_names.ts";
import { literalEval } from "../py/literal.ts";
import { ShlexError, shlexSplit } from "./_shlex.ts";

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUPNAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

/** An INI value: a Python literal when it reads as one (sets and tuples as lists), else the text. */
export function iniValue(v: string): unknown {
  const lit = literalEval(v, { lstrip: true, sets: true });
  return lit.ok ? lit.value : v;
}

interface Pending {
  line: number;
  state: "vars" | "children";
  name: string;
  parents: string[];
}

export function parseIni(text: string, file: string, inv: InventoryData): void {
  let group = "ungrouped";
  let state = "hosts";
  const pending = new Map<string, Pending>();
  const lines = text.split(/\r?\n/);
  let lineno = 0;
  const fail = (msg: string): never => {
    throw new InventoryError(`${file}:${lineno}: ${msg}`);
  };
  const addPendingChildren = (g: string) => {
    for (const parent of pending.get(g)!.parents) {
      inv.addChild(parent, g);
      if (pending.get(parent)?.state === "children") addPendingChildren(parent);
    }
    pending.delete(g);
  };
  for (const raw of lines) {
    lineno++;
    const line = raw.trim();
    if (!line || line[0] === "#" || line[0] === ";") continue;
    const m = SECTION.exec(line);
    if (m) {
      // Ansible's INI reader makes a section's group name safe first (transform_invalid_group_chars)
      group = inv.groups.has(m[1]) ? m[1] : safeGroupName(m[1], inv.groupChars, inv.warn);
      state = m[2] ?? "hosts";
      if (!["hosts", "children", "vars"].includes(state)) {
        fail(`Section [${m[1]}:${m[2]}] has unknown type: ${state}`);
      }
      if (!inv.groups.has(group)) {
        if (state === "vars" && !pending.has(group)) {
          pending.set(group, { line: lineno, state: "vars", name: group, parents: [] });
        }
        inv.addGroup(group);
      }
      const p = pending.get(group);
      if (p && state !== "vars") {
        if (p.state === "children") addPendingChildren(group);
        else pending.delete(group);
      }
      continue;
    }
    if (line.startsWith("[") && line.endsWith("]")) {
      fail(
        `Invalid section entry: '${line}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters`,
      );
    }
    if (state === "hosts") {
      let tokens: string[];
      try {
        tokens = shlexSplit(line);
      } catch (e) {
        if (e instanceof ShlexError) fail(`Error parsing host definition '${line}': ${e.message}`);
        throw e;
      }
      let expanded: { hosts: string[]; port?: number };
      try {
        expanded = expandHostEntry(tokens[0]);
      } catch (e) {
        if (e instanceof HostPatternError) {
          if (e.located) fail(e.message);
          throw new InventoryError(e.message);
        }
        throw e;
      }
      const vars: Record<string, unknown> = {};
      for (const t of tokens.slice(1)) {
        const eq = t.indexOf("=");
        if (eq < 0) fail(`Expected key=value host variable assignment, got: ${t}`);
        vars[t.slice(0, eq)] = iniValue(t.slice(eq + 1));
      }
      for (const h of expanded.hosts) {
        const host = inv.addHost(h, group, expanded.port);
        Object.assign(host.vars, vars);
      }
    } else if (state === "vars") {
      const eq = line.indexOf("=");
      if (eq < 0) fail(`Expected key=value, got: ${line}`);
      inv.setGroupVar(group, line.slice(0, eq).trim(), iniValue(line.slice(eq + 1).trim()));
    } else {
      const cm = GROUPNAME.exec(line);
      if (!cm) fail(`Expected group name, got: ${line}`);
      const child = cm![1];
      if (!inv.groups.has(child)) {
        const p = pending.get(child);
        if (!p) pending.set(child, { line: lineno, state: "children", name: child, parents: [group] });
        else p.parents.push(group);
      } else {
        inv.addChild(group, child);
      }
    }
  }
  for (const d of pending.values()) {
    if (d.state === "vars") {
      throw new InventoryError(
        `${file}:${d.line}: Section [${d.name}:vars] not valid for undefined group: ${d.name}`,
      );
    }
    throw new InventoryError(
      `${file}:${d.line}: Section [${d.parents.at(-1)}:children] includes undefined group: ${d.name}`,
    );
  }
}
