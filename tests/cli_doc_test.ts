// `mito doc` beside ansible-doc: -l lists every module ansible-doc lists that mito can run (Windows'
// PowerShell modules aside), with where each comes from, plus mito's built-ins; `mito doc NAME` shows
// the options ansible-doc shows (fragments merged), or a built-in's own spec without ansible-core.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { DENO, ROOT, runIn } from "./_run.ts";
import { builtinSpec, docText, documentationText, listModules, moduleDoc } from "../playbook/module_docs.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-doc-"));
globalThis.addEventListener("unload", () => fs.rmSync(dir, { recursive: true, force: true }));
fs.writeFileSync(path.join(dir, "ansible.cfg"), "");
fs.mkdirSync(path.join(dir, "library"));
fs.writeFileSync(
  path.join(dir, "library", "greet.py"),
  'DOCUMENTATION = r"""\nmodule: greet\nshort_description: Says hello\noptions:\n  name:\n    description: Whom to greet.\n' +
    "    required: true\n    type: str\n  loud:\n    description: Shout.\n    type: bool\n    default: false\n" +
    '"""\n',
);
const mito = (args: string[], env: Record<string, string> = {}) =>
  runIn(dir, DENO, ["run", "-q", "-A", path.join(ROOT, "cli/main.ts"), "doc", ...args], env);

Deno.test("doc -l: every module ansible-doc lists that mito can run, with its source, and mito's built-ins", () => {
  const ours = mito(["-l"]);
  assertEquals([ours.code, ours.stderr], [0, ""]);
  const rows = ours.stdout.trimEnd().split("\n").map((l) => l.split(/\s+/));
  const theirs = runIn(dir, "/usr/bin/ansible-doc", ["-l", "-t", "module"]);
  const theirNames = new Set(
    theirs.stdout.trimEnd().split("\n").map((l) => l.split(/\s+/)[0]).filter((n) => /^\w+\.\w+\.\w/.test(n)),
  );
  const ourNames = new Set(rows.filter((r) => r[1] !== "mito").map((r) => r[0]));
  const missing = [...theirNames].filter((n) => !ourNames.has(n));
  // Windows modules are PowerShell (.ps1) that mito's targets cannot run; include is a removed alias.
  assertEquals(missing.filter((n) => !/^(ansible|community)\.windows\.|^chocolatey\./.test(n)), [
    "ansible.builtin.include",
  ]);
  const builtins = rows.filter((r) => r[1] === "mito").map((r) => r[0]);
  assert(
    builtins.includes("ansible.builtin.copy") && builtins.includes("ansible.builtin.ping"),
    builtins.join(),
  );
  assertEquals(
    rows.find((r) => r[0] === "ansible.builtin.command" && r[1] === "ansible-core")?.length! > 2,
    true,
  );
});

Deno.test("doc -l COLLECTION and -M DIR: that collection's modules; a library's modules, from the library", () => {
  const posix = mito(["-l", "ansible.posix"]).stdout.trimEnd().split("\n");
  assert(posix.every((l) => l.startsWith("ansible.posix.")), posix.join("\n"));
  assert(
    posix.some((l) => /^ansible\.posix\.sysctl +collection +Manage entries in sysctl\.conf/.test(l)),
    posix.join("\n"),
  );
  const lib = mito(["-l", "-M", "library"]).stdout;
  assert(/\ngreet +library +Says hello\n/.test(lib), lib.slice(-300));
});

/** Option name -> the facts both tools show for it. */
function optionFacts(doc: Record<string, Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(doc).map(([k, o]) => [k, {
      required: o.required === true,
      type: o.type ?? null,
      choices: o.choices ?? null,
      aliases: o.aliases ?? null,
    }]),
  );
}

/** Our text's options back as facts: "= name"/"- name" then its "key: value" lines. */
function parseOurs(text: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  let cur: Record<string, unknown> | undefined;
  for (const line of text.split("\n")) {
    const head = /^([=-]) (\S+)$/.exec(line);
    if (head) out[head[2]] = cur = { required: head[1] === "=" };
    const fact = /^ {8}(type|choices|aliases): (.*)$/.exec(line);
    if (cur && fact) {
      cur[fact[1]] = fact[1] === "type" ? fact[2] : fact[2].slice(1, -1).split(", ");
    }
  }
  return out;
}

Deno.test("doc NAME: the options ansible-doc shows, doc fragments merged, for core and collection modules", () => {
  for (
    const name of ["ping", "file", "copy", "lineinfile", "ansible.posix.sysctl", "community.general.ufw"]
  ) {
    const ours = mito([name]);
    assertEquals(ours.code, 0, ours.stderr);
    const theirs = JSON.parse(runIn(dir, "/usr/bin/ansible-doc", ["-j", name]).stdout);
    const theirOptions =
      (Object.values(theirs)[0] as { doc: { options: Record<string, Record<string, unknown>> } }).doc
        .options;
    const stringify = (o: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(optionFacts(o as Record<string, Record<string, unknown>>)).map((
          [k, v],
        ) => [
          k,
          JSON.parse(
            JSON.stringify(
              v,
              (
                _k,
                x,
              ) => (typeof x === "boolean" || x === null ? x : Array.isArray(x) ? x.map(String) : String(x)),
            ),
          ),
        ]),
      );
    assertEquals(stringify(parseOurs(ours.stdout)), stringify(theirOptions), name);
  }
});

Deno.test("doc NAME says what runs it: mito's built-in standing in, or the file served to targets", () => {
  assert(
    mito(["copy"]).stdout.includes(
      "\nRUNS AS: mito's built-in module (modules/copy.py, inside this program)\n",
    ),
  );
  assert(
    mito(["ansible.posix.sysctl"]).stdout.includes(
      "RUNS AS: the collection's module, served to targets by mito (",
    ),
  );
  const lib = mito(["-M", "library", "greet"]);
  assertEquals(parseOurs(lib.stdout), {
    loud: { required: false, type: "bool" },
    name: { required: true, type: "str" },
  });
  assert(lib.stdout.includes("        default: false\n"));
});

Deno.test("a built-in's own options, read from its ARGUMENT_SPEC, where no ansible-core documents it", () => {
  const file = listModules({ collectionRoots: [], libraryPaths: [] }).find((e) =>
    e.name === "ansible.builtin.file"
  )!;
  assertEquals(file.source, "mito");
  const text = docText(moduleDoc(file), "mito's built-in module");
  assert(text.startsWith("> ANSIBLE.BUILTIN.FILE    (modules/file.py)\n"), text.slice(0, 100));
  assertEquals(parseOurs(text).path, { required: true, type: "path", aliases: ["dest", "name"] });
  assert(text.includes("\nAlso takes the file options: mode, owner, group,"), text);
  // shell's spec is command's plus its own keys
  const shell = builtinSpec("modules/shell.py");
  for (const k of Object.keys(builtinSpec("modules/command.py"))) assert(k in shell, k);
  assertEquals(shell._uses_shell, { type: "bool", default: true });
  assertEquals(documentationText('DOCUMENTATION = \\\n  r"""\nmodule: x\n"""\n'), "\nmodule: x\n");
});

Deno.test("doc: an unknown module is a warning and exit 1; a plugin type mito does not document, exit 2", () => {
  const unknown = mito(["no_such_module"]);
  assertEquals(unknown.code, 1);
  assert(unknown.stderr.startsWith("[WARNING]: module no_such_module not found in: "), unknown.stderr);
  const become = mito(["-t", "become", "-l"]);
  assertEquals([become.code, become.stderr], [
    2,
    "mito doc: error: argument -t/--type: mito documents modules only, not 'become'\n",
  ]);
});
