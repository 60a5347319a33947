// The inventory's groups and hosts and the rules that tie them together (Ansible's InventoryData):
// ancestors, depth, `all`/`ungrouped` reconciliation.
import { safeGroupName } from "./_group_names.ts";

export interface Host {
  name: string;
  /** Variables set on the host by inventory sources (not group vars). */
  vars: Record<string, unknown>;
  /** Groups that list the host directly (ancestors are in groupNamesOf). */
  groups: Set<string>;
  /** The implicit localhost, which is in no group. */
  implicit?: boolean;
  /** The inventory source that first named the host. */
  source?: string;
}

export interface Group {
  name: string;
  vars: Record<string, unknown>;
  hosts: string[];
  children: string[];
  parents: string[];
  priority?: number;
  depth: number;
}

export class InventoryError extends Error {
  override name = "InventoryError";
}

/** Ansible's C.LOCALHOST: the names that mean the controller. */
export const LOCALHOST_NAMES = ["localhost", "127.0.0.1", "::1"];

export class InventoryData {
  readonly groups = new Map<string, Group>();
  readonly hosts = new Map<string, Host>();
  currentSource?: string;
  /**
   * Where what Ansible's inventory itself warns about goes (group names, a second localhost); a trial
   * copy of the groups alone has none, and its parse is repeated on the inventory that has.
   */
  warn?: (message: string) => void;
  /** transform_invalid_group_chars: what a group name a variable could not have becomes. */
  groupChars = "never";
  /** Ansible's `localhost`: the first localhost-like host, listed or implicit (a second is warned about). */
  localhost?: string;

  constructor() {
    this.addGroup("all");
    this.addGroup("ungrouped");
    this.addChild("all", "ungrouped");
  }

  /**
   * A copy to parse a source into, so that a source that fails halfway leaves nothing behind. With
   * `groupsOnly`, the groups and their links without hosts or variables: enough to learn whether a
   * text source parses (what it may refer to is groups), at a cost that does not grow with the hosts.
   */
  clone(opts: { groupsOnly?: boolean } = {}): InventoryData {
    const c = new InventoryData();
    c.groups.clear();
    for (const [k, g] of this.groups) {
      c.groups.set(k, {
        ...g,
        vars: opts.groupsOnly ? {} : { ...g.vars },
        hosts: opts.groupsOnly ? [] : [...g.hosts],
        children: [...g.children],
        parents: [...g.parents],
      });
    }
    if (!opts.groupsOnly) {
      for (const [k, h] of this.hosts) {
        c.hosts.set(k, { ...h, vars: { ...h.vars }, groups: new Set(h.groups) });
      }
    }
    c.currentSource = this.currentSource;
    c.groupChars = this.groupChars;
    c.localhost = this.localhost;
    if (!opts.groupsOnly) c.warn = this.warn;
    return c;
  }

  /** Adds a group unless it is there; the name it has may be made safe (transform_invalid_group_chars). */
  addGroup(given: string): Group {
    if (!given) throw new InventoryError(`Invalid empty/false group name provided: ${given}`);
    const name = this.groups.has(given) ? given : safeGroupName(given, this.groupChars, this.warn);
    let g = this.groups.get(name);
    if (!g) {
      g = { name, vars: {}, hosts: [], children: [], parents: [], depth: 0 };
      this.groups.set(name, g);
    }
    return g;
  }

  /** Adds a host unless it is there; `implicit`: it is the implicit localhost, joining a group, not a new one. */
  addHost(name: string, group?: string, port?: number, implicit = false): Host {
    if (!name) throw new InventoryError("Invalid empty host name provided");
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, vars: {}, groups: new Set(), source: this.currentSource };
      this.hosts.set(name, h);
      if (LOCALHOST_NAMES.includes(name) && !implicit) {
        if (this.localhost === undefined) this.localhost = name;
        else {
          this.warn?.(
            `A duplicate localhost-like entry was found (${name}). First found localhost was ${this.localhost}`,
          );
        }
      }
    }
    if (port !== undefined) h.vars.ansible_port = port;
    if (group !== undefined) {
      const g = this.groups.get(group);
      if (!g) throw new InventoryError(`Could not find group ${group} in inventory`);
      if (!g.hosts.includes(name)) g.hosts.push(name);
      h.groups.add(group);
    }
    return h;
  }

  removeHostFromGroup(host: string, group: string) {
    const g = this.groups.get(group);
    if (g) g.hosts = g.hosts.filter((h) => h !== host);
    this.hosts.get(host)?.groups.delete(group);
  }

  ancestors(group: string): Set<string> {
    const seen = new Set<string>();
    const stack = [...(this.groups.get(group)?.parents ?? [])];
    while (stack.length) {
      const g = stack.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      stack.push(...(this.groups.get(g)?.parents ?? []));
    }
    return seen;
  }

  addChild(parent: string, child: string) {
    const p = this.groups.get(parent);
    const c = this.groups.get(child);
    if (!p) throw new InventoryError(`${parent} is not a known group`);
    if (!c) {
      // a host as child of a group (ungrouped reconciliation)
      this.addHost(child, parent);
      return;
    }
    if (p === c) throw new InventoryError("can't add group to itself");
    if (p.children.includes(child)) return;
    if (this.ancestors(parent).has(child)) {
      throw new InventoryError(
        `Adding group '${child}' as child to '${parent}' creates a recursive dependency loop.`,
      );
    }
    p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
    this.#deepen(c, p.depth + 1);
  }

  #deepen(g: Group, depth: number) {
    if (g.depth >= depth) return;
    g.depth = depth;
    for (const k of g.children) this.#deepen(this.groups.get(k)!, depth + 1);
  }

  setGroupVar(group: string, key: string, value: unknown) {
    const g = this.groups.get(group)!;
    if (key === "ansible_group_priority") g.priority = Number.parseInt(String(value), 10);
    else g.vars[key] = value;
  }

  /** Group names of a host with ancestors, including `all` for inventory hosts. */
  hostGroupsWithAncestors(h: Host): Set<string> {
    const out = new Set<string>();
    for (const g of h.groups) {
      out.add(g);
      for (const a of this.ancestors(g)) out.add(a);
    }
    return out;
  }

  /** A host's groups with their ancestors (`all` among them) in the order Ansible layers their variables. */
  sortedGroups(h: Host): Group[] {
    const gs = [...this.hostGroupsWithAncestors(h)].map((g) => this.groups.get(g)!);
    return gs.sort((a, b) =>
      a.depth - b.depth || (a.priority ?? 1) - (b.priority ?? 1) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    );
  }

  /** Ansible's reconcile: parentless groups join `all`, groupless hosts join `ungrouped`. */
  reconcile() {
    this.currentSource = undefined;
    for (const g of this.groups.values()) this.reconcileGroup(g.name);
    for (const h of this.hosts.values()) this.reconcileHost(h);
  }

  /** A group with no parent joins `all`. */
  reconcileGroup(name: string) {
    const g = this.groups.get(name);
    if (g && g.name !== "all" && g.parents.length === 0) this.addChild("all", g.name);
  }

  /** A host in no group joins `ungrouped`; one in other groups leaves it. */
  reconcileHost(h: Host) {
    const mine = this.hostGroupsWithAncestors(h);
    if (mine.has("ungrouped")) {
      if ([...mine].some((g) => g !== "all" && g !== "ungrouped")) {
        this.removeHostFromGroup(h.name, "ungrouped");
      }
    } else if (!h.implicit) {
      if (mine.size === 0 || (mine.size === 1 && mine.has("all"))) this.addHost(h.name, "ungrouped");
    }
  }

  /** The hosts of a group and its descendants, breadth first as Ansible lists them. */
  groupHosts(name: string): string[] {
    const g = this.groups.get(name);
    if (!g) return [];
    const ordered: Group[] = [g];
    const seen = new Set<string>([name]);
    let frontier = [g];
    while (frontier.length) {
      const next: Group[] = [];
      for (const f of frontier) {
        for (const k of f.children) {
          const kg = this.groups.get(k)!;
          ordered.push(kg);
          if (!seen.has(k)) {
            seen.add(k);
            next.push(kg);
          }
        }
      }
      frontier = next;
    }
    const out: string[] = [];
    const have = new Set<string>();
    for (const kg of ordered) {
      for (const h of kg.hosts) {
        if (have.has(h)) continue;
        have.add(h);
        if (name === "all" && this.hosts.get(h)?.implicit) continue;
        out.push(h);
      }
    }
    return out;
  }
}
