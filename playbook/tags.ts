// --tags / --skip-tags selection as Ansible's Taggable.evaluate_tags, including always/never/tagged/untagged.
import { pyStr } from "./py/mod.ts";

export function shouldRun(taskTags: Set<string>, only: string[], skip: string[]): boolean {
  const tags = taskTags.size ? taskTags : new Set(["untagged"]);
  const untagged = !taskTags.size;
  const hit = (list: string[]) => list.some((t) => tags.has(t));
  let run = true;
  if (only.length) {
    if (tags.has("always")) run = true;
    else if (only.includes("all") && !tags.has("never")) run = true;
    else if (hit(only)) run = true;
    else if (only.includes("tagged") && !untagged && !tags.has("never")) run = true;
    else run = false;
  }
  if (run && skip.length) {
    if (skip.includes("all")) {
      if (!tags.has("always") || skip.includes("always")) run = false;
    } else if (hit(skip)) run = false;
    else if (skip.includes("tagged") && !untagged) run = false;
  }
  return run;
}

/** Whether a tag is a template (`tags: "{{ the_tags }}"`): what it names is known once templated. */
export function isTemplatedTag(tag: string): boolean {
  return tag.includes("{{") || tag.includes("{%");
}

/** Tags templated as Ansible's evaluate_tags does: each one rendered, a list giving its items. */
export function templateTags(tags: Iterable<string>, render: (tag: string) => unknown): Set<string> {
  const out = new Set<string>();
  for (const tag of tags) {
    if (!isTemplatedTag(tag)) {
      out.add(tag);
      continue;
    }
    const v = render(tag);
    for (const x of Array.isArray(v) ? v : [v]) out.add(pyStr(x));
  }
  return out;
}

/** Tags written as a list, a comma-separated string or a scalar. */
export function tagList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.flatMap(tagList);
  return String(v).split(",").map((t) => t.trim()).filter(Boolean);
}
