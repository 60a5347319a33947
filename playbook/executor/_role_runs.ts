// Which hosts have run which roles in a play, as Ansible's has_run decides it: a role placed again (by
// `roles:` or as a dependency, with the same identity) is skipped silently for a host that completed it.
import type { RoleInstance } from "../model.ts";

export class RoleRuns {
  /** Hosts where a task of the role ran (ok or failed: not skipped, not unreachable). */
  #ran = new Map<string, Set<string>>();
  /** Hosts that then reached the end of the role's tasks. */
  #done = new Map<string, Set<string>>();

  taskRan(role: RoleInstance | undefined, host: string): void {
    if (role?.dedup) add(this.#ran, role.dedup.key, host);
  }

  /** The end of the role's tasks: it completes only where one of its tasks ran. */
  reachedEnd(role: RoleInstance, host: string): void {
    if (role.dedup && this.#ran.get(role.dedup.key)?.has(host)) add(this.#done, role.dedup.key, host);
  }

  /** Whether the host skips this placement of the role: it completed one of the same identity. */
  hasRun(role: RoleInstance | undefined, host: string): boolean {
    const d = role?.dedup;
    return d !== undefined && !d.allowDuplicates && (this.#done.get(d.key)?.has(host) ?? false);
  }
}

function add(m: Map<string, Set<string>>, key: string, host: string): void {
  let s = m.get(key);
  if (!s) m.set(key, s = new Set());
  s.add(host);
}
