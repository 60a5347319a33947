// --tags / --skip-tags selection as Ansible's Taggable.evaluate_tags, including always/never/tagged/untagged.

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

/** Tags written as a list, a comma-separated string or a scalar. */
export function tagList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.flatMap(tagList);
  return String(v).split(",").map((t) => t.trim()).filter(Boolean);
}
