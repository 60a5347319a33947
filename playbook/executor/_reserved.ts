// Variables named like a playbook keyword or a template global: Ansible warns about each when a play
// starts (its variables may hide what the name means in a template), so does mito.
import { BLOCK_KEYWORDS, PLAY_KEYWORDS, TASK_KEYWORDS } from "../model.ts";
import { globalNames } from "../template/mod.ts";

/**
 * The keywords of plays, blocks and tasks, with the private attributes Ansible counts too (async_val,
 * loop_with) and `with_`, which stands for every with_<lookup>.
 */
const RESERVED = new Set<string>([
  ...PLAY_KEYWORDS,
  ...BLOCK_KEYWORDS,
  ...TASK_KEYWORDS,
  "async_val",
  "loop_with",
  "with_",
  ...globalNames(),
]);

/** The reserved names among `names`, in Ansible's warning text, once each. `vars` is never one. */
export function reservedWarnings(names: Iterable<string>): string[] {
  const found = new Set<string>();
  for (const n of names) if (n !== "vars" && RESERVED.has(n)) found.add(n);
  return [...found].map((n) => `Found variable using reserved name: ${n}`);
}
