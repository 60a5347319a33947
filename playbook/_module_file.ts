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
  const hit = io.listDir(dir).sort().find((f) => {
    const ext = path.extname(f);
    return ext !== "" && !NOT_MODULES.has(ext) && f.slice(0, -ext.length) === name;
  });
  return hit === undefined ? undefined : path.join(dir, hit);
}
