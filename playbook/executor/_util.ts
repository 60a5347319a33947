// Small value rules the executor's parts share.
import type { Item, Task } from "../model.ts";
import { boolean } from "../py/boolean.ts";

/** A plain dict (not a list, a class instance or a lazy mapping). */
export const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** A keyword's value read as Ansible's boolean(), not strict: anything that is not a true value is false. */
export const bool = (v: unknown): boolean => boolean(v, { strict: false });

/** The tasks of a list of items, blocks' sections walked in order. */
export function flatten(items: Item[]): Task[] {
  const out: Task[] = [];
  for (const it of items) {
    if (it.kind === "task") out.push(it);
    else out.push(...flatten(it.block), ...flatten(it.rescue), ...flatten(it.always));
  }
  return out;
}

/** A copy without the values that templated to `omit` (list entries and dict keys), at every level. */
export function removeOmit(v: unknown, omit: string): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== omit).map((x) => removeOmit(x, omit));
  if (isMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== omit) out[k] = removeOmit(x, omit);
    return out;
  }
  return v;
}
