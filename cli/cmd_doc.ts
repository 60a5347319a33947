// `mito doc` (ansible-doc). With ansible-core installed: ansible-doc's own output for modules (the text,
// -j, -s, -l, -F), byte for byte. Without it: mito's built-in modules and where each comes from, and a
// module's options from its DOCUMENTATION or the built-in's own spec.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { type CommandSpec, helpOrVersion, helpText, parseCommand } from "./_options.ts";
import { MODULE_PATH, VERBOSE, VERSION_OPTION } from "./_ansible_options.ts";
import { versionText } from "./_version_text.ts";
import { DocError, docStub, listPlugins, type PluginDocs, pluginDocs } from "../playbook/ansible_doc.ts";
import {
  docColumns,
  docJson,
  docSite,
  listingText,
  manText,
  snippetText,
} from "../playbook/ansible_doc_text.ts";
import { ArgumentError, CommandError } from "./errors.ts";
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
        { name: "list", short: "l", help: "list the modules (of the collection named, if any)" },
        {
          name: "list_files",
          short: "F",
          help: "list the modules with the file each is read from (of the collection named, if any)",
        },
        { name: "json", short: "j", help: "the documentation as JSON" },
        { name: "snippet", short: "s", help: "the module as a task, each option with its description" },
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

function places(
  moduleDirs: string[],
): { places: DocPlaces; resolver: ModuleResolver; collections: CollectionIndex } {
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
  const collections = new CollectionIndex(roots, { builtinRuntime: ansibleBuiltinRuntime(env) });
  const resolver = new ModuleResolver({
    libraryPaths,
    collections,
    ...(ansibleDir ? { ansibleDir } : {}),
    prefer: (env.MITO_MODULES ?? "auto") as "auto",
  });
  return { places: { ansibleDir, collectionRoots: roots, libraryPaths }, resolver, collections };
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
  const { places: p, resolver, collections } = places(moduleDirs);
  // With ansible-core here, mito documents what ansible-doc documents, as ansible-doc shows it.
  if (p.ansibleDir) {
    return Promise.resolve(ansibleDoc(spec, parsed.values, parsed.positionals, p, collections));
  }
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

/** The file and collection of the module ansible-doc would document for `name`, if any. */
function docFile(
  name: string,
  p: DocPlaces,
  collections: CollectionIndex,
  hops = 0,
): { file: string; collection: string } | undefined {
  // A collection's routing comes before its files (a redirected name is documented by its target, even
  // where a file of the old name remains); a short name is a file of the library or ansible-core first.
  const parts = name.split(".");
  const fq = parts.length >= 3 &&
    !(parts[0] === "ansible" && (parts[1] === "builtin" || parts[1] === "legacy"));
  if (!fq) {
    const direct = unroutedDocFile(name, p);
    if (direct || hops > 5) return direct;
  }
  let routed: string | undefined;
  try {
    routed = collections.routing.route(name, "modules", { quiet: true });
  } catch {
    return undefined;
  }
  if (routed && routed !== name && hops <= 5) return docFile(routed, p, collections, hops + 1);
  return fq ? unroutedDocFile(name, p) : undefined;
}

function unroutedDocFile(name: string, p: DocPlaces): { file: string; collection: string } | undefined {
  const parts = name.split(".");
  const builtin = parts.length === 1 || (parts.length === 3 && parts[0] === "ansible" &&
    (parts[1] === "builtin" || parts[1] === "legacy"));
  if (builtin) {
    const short = parts.at(-1)!;
    if (parts[1] !== "builtin") {
      for (const dir of p.libraryPaths) {
        const file = path.join(dir, `${short}.py`);
        if (fs.existsSync(file)) return { file, collection: "" };
      }
    }
    const file = path.join(p.ansibleDir!, "ansible/modules", `${short}.py`);
    return fs.existsSync(file) ? { file, collection: "ansible.builtin" } : undefined;
  }
  if (parts.length < 3) return undefined;
  for (const root of p.collectionRoots) {
    const dir = path.join(
      root,
      "ansible_collections",
      parts[0],
      parts[1],
      "plugins/modules",
      ...parts.slice(2, -1),
    );
    for (const ext of [".py", ".ps1"]) {
      const file = path.join(dir, parts.at(-1)! + ext);
      if (fs.existsSync(file)) return { file, collection: `${parts[0]}.${parts[1]}` };
    }
  }
  return undefined;
}

/** ansible-doc's own output: -l/-F, -j, -s or the text, for modules. */
function ansibleDoc(
  spec: CommandSpec,
  values: Record<string, unknown>,
  names: string[],
  p: DocPlaces,
  collections: CollectionIndex,
): number {
  const columns = docColumns(!!process.stdout.isTTY, process.stdout.columns);
  const show = (text: string) => {
    if (text) page(text);
  };
  if (values.list || values.list_files) {
    // ansible-doc filters on a lone argument only; given more, it lists everything
    const only = names.length === 1 ? names[0] : undefined;
    if (only !== undefined && !/^\w+\.\w+$/.test(only)) {
      throw new CommandError(`Invalid collection name (must be of the form namespace.collection): ${only}`);
    }
    const found = listPlugins({ ...p, ansibleDir: p.ansibleDir }, only);
    if (!values.list_files) {
      for (const [name, file] of found) found.set(name, docStub(file) ?? "UNDOCUMENTED");
    }
    show(listingText(found, columns, !!values.list_files));
    return 0;
  }
  if (!names.length) {
    // ansible-doc shows its help, then refuses the options (AnsibleOptionsError: exit 5)
    process.stdout.write(helpText(spec));
    throw new CommandError("Missing name(s), incorrect options passed for detailed documentation.", 5);
  }
  const docs: Record<string, PluginDocs> = {};
  for (const name of names) {
    const found = docFile(name, p, collections);
    if (!found) {
      process.stderr.write(`[WARNING]: ${name} was not found\n`);
      continue;
    }
    try {
      docs[name] = pluginDocs(name, found.file, found.collection, {
        ...p,
        route: (n, kind) => collections.routing.route(n, kind, { quiet: true }),
      });
    } catch (err) {
      if (!(err instanceof DocError)) throw err;
      throw new CommandError(
        `module ${name} missing documentation (or could not parse documentation): ${err.message}`,
      );
    }
  }
  if (values.json) show(docJson(docs));
  else if (values.snippet) show(Object.values(docs).map((d) => snippetText(d.doc, columns)).join(""));
  else {
    const site = docSite(p.ansibleDir!);
    show(Object.values(docs).map((d) => manText(d, columns, site)).join(""));
  }
  return 0;
}

/**
 * ansible-doc's pager: off a terminal the text, ended with a newline once (its display); on one, the
 * text as it is through $PAGER, or `less` (LESS=FRSX unless set) when there is one.
 */
function page(text: string): void {
  const plain = () => process.stdout.write(text.endsWith("\n") ? text : text + "\n");
  if (!process.stdout.isTTY) return void plain();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  let cmd = env.PAGER;
  if (cmd === undefined) {
    if (spawnSync("/bin/sh", ["-c", "less --version"], { stdio: "ignore" }).status !== 0) return void plain();
    cmd = "less";
  }
  env.LESS ??= "FRSX";
  spawnSync("/bin/sh", ["-c", cmd], { input: text, stdio: ["pipe", "inherit", "inherit"], env });
}
