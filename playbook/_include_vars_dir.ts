// Which files `include_vars: dir:` reads, in which order, as ansible-core 2.14's include_vars action picks
// them: folders walked in path order, `depth` counting folders visited, `files_matching` and
// `ignore_files` as regular expressions on the file name, and `extensions` (where '' means no extension)
// either skipping or refusing a file whose extension is not listed.
import * as fs from "node:fs";
import * as path from "node:path";

export interface VarsDirOptions {
  /** Folders to visit, counted in walk order from the top one; 0 is every folder. */
  depth: number;
  filesMatching?: RegExp;
  /** Patterns matched at the end of a file's name. */
  ignoreFiles: RegExp[];
  /** Valid extensions without their dot; '' is a file without one. */
  extensions: string[];
  /** Skip a file with another extension instead of failing on it. */
  ignoreUnknownExtensions: boolean;
}

/** One folder's files to load; `invalid`: the file whose extension stopped the walk there. */
export interface VarsDirGroup {
  files: string[];
  invalid?: string;
}

/**
 * The files to load, folder by folder (Ansible keeps a folder's variables only once all its files
 * loaded); the walk ends at the first file whose extension is not valid, unless those are skipped.
 */
export function varsDirFiles(dir: string, o: VarsDirOptions): VarsDirGroup[] {
  const groups: VarsDirGroup[] = [];
  let visited = 0;
  for (const folder of walk(dir).sort()) {
    visited++;
    if (o.depth !== 0 && visited > o.depth) break;
    const group: VarsDirGroup = { files: [] };
    groups.push(group);
    const names = fs.readdirSync(folder).filter((n) => !fs.statSync(path.join(folder, n)).isDirectory());
    for (const name of names.sort()) {
      if (o.filesMatching && !o.filesMatching.test(name)) continue;
      if (o.ignoreFiles.some((re) => re.test(name))) continue;
      const valid = o.extensions.includes(path.extname(name).slice(1));
      if (!valid && o.ignoreUnknownExtensions) continue;
      const full = path.join(folder, name);
      if (!valid) {
        group.invalid = full;
        return groups;
      }
      group.files.push(full);
    }
  }
  return groups;
}

/** Every folder under `dir`, itself included (os.walk's roots, links to folders not followed). */
function walk(dir: string): string[] {
  const out = [dir];
  for (const name of fs.readdirSync(dir)) {
    const full = path.join(dir, name);
    if (fs.lstatSync(full).isDirectory()) out.push(...walk(full));
  }
  return out;
}
