// `mito doc -l` / `mito doc NAME` (ansible-doc): the modules this controller can run and where each
// comes from, and the options of the one a task of that name would run.
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { type CommandSpec, helpOrVersion, parseCommand } from "./_options.ts";
import { MODULE_PATH, VERBOSE, VERSION_OPTION } from "./_ansible_options.ts";
import { versionText } from "./_version_text.ts";
import { ArgumentError } from "./errors.ts";
import { readSettings } from "../playbook/_settings.ts";
import { CollectionIndex, collectionRoots, sitePackageDirs } from "../playbook/collections.ts";
import {
  ansibleBuiltinRuntime,
  findAnsibleDir,
  ModuleNotFoundError,
  ModuleResolver,
} from "../playbook/remote/modules.ts";
import {
  type DocPlaces,
  docText,
  listModules,
  listText,
  moduleDoc,
  type ModuleEntry,
} from "../playbook/module_docs.ts";

export function docSpec(prog = "mito doc"): CommandSpec {
  return {
    prog,
    positionals: "[plugin ...]",
    positionalHelp: [["plugin", "the module(s) to document"]],
    description:
      "Lists the modules this controller can run and where each comes from, or shows a module's options.",
    groups: [{
      options: [
        VERSION_OPTION,
        VERBOSE,
        MODULE_PATH,
        { name: "list", short: "l", help: "list the modules (of the collections named, if any)" },
        {
          name: "type",
          short: "t",
          metavar: "TYPE",
          help: "the kind of plugin: only module is documented by mito (default=module)",
        },
      ],
    }],
  };
}

function places(moduleDirs: string[]): { places: DocPlaces; resolver: ModuleResolver } {
  const env = process.env;
  const cwd = process.cwd();
  const settings = readSettings({ env, cwd, home: os.homedir() });
  const roots = collectionRoots({
    playbookDirs: [cwd],
    configured: settings.collectionsPath.map((p) => path.resolve(cwd, p)),
    sitePackages: settings.collectionsScanSysPath ? sitePackageDirs() : [],
  });
  const ansibleDir = findAnsibleDir(env);
  const libraryPaths = [...moduleDirs, ...settings.libraryPath].map((p) => path.resolve(cwd, p));
  const resolver = new ModuleResolver({
    libraryPaths,
    collections: new CollectionIndex(roots, { builtinRuntime: ansibleBuiltinRuntime(env) }),
    ...(ansibleDir ? { ansibleDir } : {}),
    prefer: (env.MITO_MODULES ?? "auto") as "auto",
  });
  return { places: { ansibleDir, collectionRoots: roots, libraryPaths }, resolver };
}

/** The module a task of this name would run, as its list entry. */
function resolvedEntry(name: string, p: DocPlaces, resolver: ModuleResolver): ModuleEntry {
  const found = resolver.resolve(name);
  const all = listModules(p);
  if (found.kind === "builtin") {
    return all.find((e) => e.source === "mito" && e.path === `modules/${found.name}.py`)!;
  }
  const entry = all.find((e) => e.path === found.path);
  return entry ?? { name, source: "library", path: found.path, description: "" };
}

const SOURCE_WORDS = {
  "ansible-core": "ansible-core's",
  collection: "the collection's",
  library: "the library's",
};

export function doc(argv: string[], prog = "mito doc"): Promise<number> {
  const spec = docSpec(prog);
  const parsed = parseCommand(spec, argv);
  const print = (text: string) => {
    process.stdout.write(text);
    return Promise.resolve(0);
  };
  const answered = helpOrVersion(spec, parsed, versionText, (t) => process.stdout.write(t));
  if (answered !== undefined) return Promise.resolve(answered);
  const type = String(parsed.values.type ?? "module");
  if (type !== "module") {
    throw new ArgumentError(`argument -t/--type: mito documents modules only, not '${type}'`);
  }
  const moduleDirs = ((parsed.values["module-path"] ?? []) as string[]).flatMap((p) => p.split(":")).filter(
    Boolean,
  );
  const { places: p, resolver } = places(moduleDirs);
  const columns = process.stdout.isTTY ? process.stdout.columns ?? 80 : 80;
  if (parsed.values.list) {
    let entries = listModules(p);
    if (parsed.positionals.length) {
      entries = entries.filter((e) => parsed.positionals.some((c) => e.name.startsWith(`${c}.`)));
    }
    return print(listText(entries, columns));
  }
  if (!parsed.positionals.length) throw new ArgumentError("give a module name, or -l to list them");
  let code = 0;
  for (const name of parsed.positionals) {
    let entry: ModuleEntry;
    try {
      entry = resolvedEntry(name, p, resolver);
    } catch (err) {
      if (!(err instanceof ModuleNotFoundError)) throw err;
      process.stderr.write(
        `[WARNING]: module ${name} not found in: ${p.libraryPaths.join(":") || "(no library path)"}\n`,
      );
      code = 1;
      continue;
    }
    // A built-in standing in for an installed ansible-core module is documented by that module's
    // DOCUMENTATION (the options a task writes); without ansible-core, by the built-in's own spec.
    const documented = entry.source === "mito"
      ? listModules(p).find((e) => e.source === "ansible-core" && e.name === entry.name) ?? entry
      : entry;
    const runsAs = entry.source === "mito"
      ? `mito's built-in module (${entry.path}, inside this program)`
      : `${SOURCE_WORDS[entry.source]} module, served to targets by mito (${entry.path})`;
    process.stdout.write(docText(moduleDoc(documented, p), runsAs, columns));
  }
  return Promise.resolve(code);
}
