// Which file of a library folder is the module of a name, as Ansible's module loader finds it: `name.py`,
// `name` itself, else a file of that name with any other extension (`helloworld.sh`, an old-style
// module in shell). Used where the playbook is loaded (is the action known?) and where modules are read.
import * as path from "node:path";

/** Extensions that are never a module's source (compiled Python). */
const NOT_MODULES = new Set([".pyc", ".pyo"]);

export interface LibraryIO {
  exists(file: string): boolean;
  listDir(dir: string): string[];
}

/** The module file for `name` in `dir`, if there is one. */
export function moduleFileIn(dir: string, name: string, io: LibraryIO): string | undefined {
  for (const f of [`${name}.py`, name]) {
    const p = path.join(dir, f);
    if (io.exists(p)) return p;
  }
  if (!io.exists(dir)) return undefined;
  let names: string[];
  try {
    names = io.listDir(dir);
  } catch {
    return undefined; // not a folder (ansible-test sets ANSIBLE_LIBRARY=/dev/null)
  }
  const hit = names.sort().find((f) => {
    const ext = path.extname(f);
    return ext !== "" && !NOT_MODULES.has(ext) && f.slice(0, -ext.length) === name;
  });
  return hit === undefined ? undefined : path.join(dir, hit);
}

/** A module found in library folders; `alias`: found only under the old deprecated `_name`. */
export interface LibraryModule {
  file: string;
  alias: boolean;
}

/**
 * The module `name` in the first of `dirs` that has it, as Ansible's module loader searches its library
 * folders: under its own name in every folder first, then (a name without a leading underscore) as the
 * deprecated `_name` alias, which Ansible still finds.
 */
export function moduleInLibraries(
  dirs: readonly string[],
  name: string,
  io: LibraryIO,
): LibraryModule | undefined {
  for (const dir of dirs) {
    const file = moduleFileIn(dir, name, io);
    if (file) return { file, alias: false };
  }
  return name.startsWith("_") ? undefined : aliasInLibraries(dirs, name, io);
}

/** `_name` in the first of `dirs` that has it (the deprecated-module alias), if any. */
export function aliasInLibraries(
  dirs: readonly string[],
  name: string,
  io: LibraryIO,
): LibraryModule | undefined {
  for (const dir of dirs) {
    const file = moduleFileIn(dir, `_${name}`, io);
    if (file) return { file, alias: true };
  }
  return undefined;
}

/**
 * Ansible's deprecation for a module found under its `_name` alias, said unless that file is a symbolic
 * link (an alias kept on purpose).
 */
export function aliasDeprecation(name: string): string {
  return `${name} is kept for backwards compatibility but usage is discouraged. ` +
    "The module documentation details page may explain more about this rationale.";
}
