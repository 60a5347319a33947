// Where a file named by a task (a lookup's term, copy's src, template's src) is looked for: Ansible's
// path_dwim_relative_stack over the task's search path, so a role finds its own files/, templates/,
// vars/ and those of the roles it is a dependency of, then the playbook's.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The places searched, in order, and the first of them that exists. */
export interface Needle {
  found?: string;
  searched: string[];
}

/**
 * Ansible's AnsibleFileNotFound message for a file looked for on the controller: the name (or "Could not
 * find file" when there was none) and the places searched.
 */
export function fileNotFoundMessage(source: string | undefined, searched: string[]): string {
  let out = source ? `Could not find or access '${source}'` : "Could not find file";
  if (searched.length) out += `\nSearched in:\n\t${searched.join("\n\t")}`;
  return out + " on the Ansible Controller.\nIf you are using a module and expect the file to exist on the " +
    "remote, see the remote_src option";
}

/** A path ending in a `tasks` directory (Ansible's RE_TASKS). */
const TASKS_DIR = /(?:^|\/)+tasks\/?$/;

/** Ansible's imperfect role detection: a role directory, or a role's tasks directory. */
function isRole(p: string): boolean {
  const abs = path.resolve(p);
  const parent = path.dirname(p);
  if (TASKS_DIR.test(p) && ["main.yml", "main.yaml", "main"].some((m) => fs.existsSync(path.join(p, m)))) {
    return true;
  }
  return [abs, parent].some((d) =>
    ["tasks", "meta"].some((sub) =>
      ["main.yml", "main.yaml", "main"].some((m) => fs.existsSync(path.join(d, sub, m)))
    )
  );
}

/**
 * Finds `source` as Ansible's path_dwim_relative_stack: an absolute (or ~) path as it is; otherwise, for
 * each search path, `<path>/<subdir>/<source>` then `<path>/<source>` (a path inside a role's tasks/
 * directory searches the role's `<subdir>/` instead), and last the play's base directory the same way.
 * `<subdir>/` is not added when the source already starts with it.
 */
export function findInSearchPath(paths: string[], subdir: string, source: string, basedir: string): Needle {
  if (source.startsWith("~") || source.startsWith("/")) {
    const p = path.resolve(source.replace(/^~(?=$|\/)/, os.homedir()));
    return { found: fs.existsSync(p) ? p : undefined, searched: [] };
  }
  const searched: string[] = [];
  const addSubdir = source.split("/")[0] !== subdir;
  for (const p of paths) {
    const abs = path.resolve(basedir, p);
    const parent = path.dirname(abs);
    if (parent.endsWith("/tasks") && isRole(p)) {
      searched.push(path.join(path.dirname(parent), subdir, source), path.join(parent, source));
    } else {
      if (addSubdir) searched.push(path.join(abs, subdir, source));
      searched.push(path.join(abs, source));
    }
  }
  if (addSubdir) searched.push(path.join(basedir, subdir, source));
  searched.push(path.join(basedir, source));
  return { found: searched.find((c) => fs.existsSync(c)), searched };
}
