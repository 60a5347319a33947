// `mito doc` beside ansible-doc (ansible-core 2.14 installed here): the text of a module's documentation,
// -j, -s, -l and -F print byte for byte what ansible-doc prints, for ansible-core's modules, collections'
// (doc fragments merged, redirected names followed, PowerShell modules documented by their .py) and a
// library's; without ansible-core, a built-in's own spec.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { DENO, ROOT, runIn } from "./_run.ts";
import { builtinSpec, docText, documentationText, listModules, moduleDoc } from "../playbook/module_docs.ts";
import { indentFlowLines } from "../playbook/ansible_doc.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-doc-"));
globalThis.addEventListener("unload", () => fs.rmSync(dir, { recursive: true, force: true }));
fs.writeFileSync(path.join(dir, "ansible.cfg"), "");
fs.mkdirSync(path.join(dir, "library"));
fs.writeFileSync(
  path.join(dir, "library", "greet.py"),
  'DOCUMENTATION = r"""\nmodule: greet\nshort_description: Says hello\ndescription: Greets.\noptions:\n' +
    "  name:\n    description: Whom to greet.\n    required: true\n    type: str\n" +
    "  loud:\n    description: Shout.\n    type: bool\n    default: false\n" +
    '"""\n',
);
const mito = (args: string[], env: Record<string, string> = {}) =>
  runIn(dir, DENO, ["run", "-q", "-A", path.join(ROOT, "cli/main.ts"), "doc", ...args], env);

/** Both tools on the same arguments (stdout is not a terminal: both lay text out in 79 columns). */
function assertSameAsAnsibleDoc(args: string[]): string {
  const theirs = runIn(dir, "/usr/bin/ansible-doc", args);
  const ours = mito(args);
  assertEquals([ours.code, theirs.code], [0, 0], ours.stderr);
  assertEquals(ours.stdout, theirs.stdout, args.join(" "));
  assert(ours.stdout.length > 100, ours.stdout);
  return ours.stdout;
}

Deno.test("doc NAME: ansible-doc's text, byte for byte, for ansible-core's, collections' and a library's modules", () => {
  // One run each: ansible-doc joins the texts of the modules named.
  assertSameAsAnsibleDoc([
    "ansible.builtin.copy",
    "command",
    "file",
    "ping",
    "apt",
    "lineinfile",
    "user",
    "ansible.legacy.shell",
    "include_tasks",
  ]);
  // fragments from collections, a PowerShell module's .py sidecar, a name the collection redirects
  assertSameAsAnsibleDoc([
    "ansible.posix.sysctl",
    "community.general.ufw",
    "community.general.system.ufw",
    "ansible.windows.win_copy",
    "cisco.ios.ios_config",
    "amazon.aws.ec2_instance",
  ]);
  // YAML PyYAML reads and a strict parser refuses (quoted and flow lines no more indented than their
  // start), a fragment named bare from the module's own collection, `DOCUMENTATION = \` on its own line
  assertSameAsAnsibleDoc([
    "amazon.aws.ec2_vol_info",
    "ansible.windows.win_environment",
    "community.general.github_deploy_key",
    "community.docker.docker_container",
    "infinidat.infinibox.infini_user",
    "azure.azcollection.azure_rm_backupazurevm_info",
    // fragments named ns.coll.a.b.VAR with b.py beside a.py, and VAR of a bare name
    "netapp_eseries.santricity.netapp_e_syslog",
    "community.vmware.vmware_first_class_disk",
  ]);
  const lib = assertSameAsAnsibleDoc(["-M", "library", "greet"]);
  assert(lib.startsWith("> GREET    ("), lib);
});

Deno.test("doc -j and -s: ansible-doc's JSON and task snippets, byte for byte", () => {
  assertSameAsAnsibleDoc(["-j", "ping", "copy", "file", "ansible.posix.sysctl", "community.general.ufw"]);
  assertSameAsAnsibleDoc(["-j", "-M", "library", "greet"]);
  // a redirect wins over a file of the old name, an action is looked up through its routing, and a RETURN
  // assigned twice is its last assignment
  assertSameAsAnsibleDoc([
    "-j",
    "ibm.qradar.rule",
    "cisco.mso.mso_schema_template_externalepg",
    "arista.eos.eos_hostname",
  ]);
  // an old module's ANSIBLE_METADATA dict
  assert(
    assertSameAsAnsibleDoc(["-j", "ansible.posix.rhel_rpm_ostree"]).includes('"supported_by": "community"'),
  );
  assertSameAsAnsibleDoc(["-s", "copy", "file", "command", "ansible.posix.sysctl", "community.general.ufw"]);
  assertSameAsAnsibleDoc(["-s", "ansible.windows.win_ping"]);
});

Deno.test("doc -l and -F: every module ansible-doc lists, its description or its file, byte for byte", () => {
  const all = assertSameAsAnsibleDoc(["-l"]);
  assert(all.includes("\nDEPRECATED:\nansible.builtin.include "), all.slice(-300));
  assertSameAsAnsibleDoc(["-l", "ansible.posix"]);
  assertSameAsAnsibleDoc(["-l", "-M", "library", "ansible.legacy"]);
  // the file of a PowerShell module is its .ps1 or its .py, as the directory lists them
  assertSameAsAnsibleDoc(["-F", "ansible.windows"]);
});

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

Deno.test("documentation YAML: a quoted or flow value's later lines are indented past its start, values unchanged", () => {
  const text = "a:\n  - \"one\n  two\"\n  - [x,\n  y]\nb: |\n  \"not a quote\nc: it's 'q\n  r'\n";
  assertEquals(
    indentFlowLines(text),
    "a:\n  - \"one\n    two\"\n  - [x,\n    y]\nb: |\n  \"not a quote\nc: it's 'q\n  r'\n",
  );
});

Deno.test("doc on a terminal: the terminal's width less one, through $PAGER, as ansible-doc", () => {
  const onTerminal = (cmd: string) =>
    runIn(dir, "/usr/bin/script", ["-qec", `stty cols 132; ${cmd}`, "/dev/null"], { PAGER: "cat" });
  for (const args of ["copy ansible.posix.sysctl", "-l ansible.posix", "-s file"]) {
    const theirs = onTerminal(`/usr/bin/ansible-doc ${args}`);
    const ours = onTerminal(`${DENO} run -q -A ${path.join(ROOT, "cli/main.ts")} doc ${args}`);
    assertEquals([ours.code, theirs.code], [0, 0], ours.stderr);
    assertEquals(ours.stdout, theirs.stdout, args);
  }
  // 131 columns: wider than off a terminal
  const wide = onTerminal(`${DENO} run -q -A ${path.join(ROOT, "cli/main.ts")} doc copy`).stdout;
  assert(wide.split("\r\n").some((l) => l.length > 79), wide.slice(0, 400));
});

Deno.test("doc: an unknown module is ansible-doc's warning; a bad collection filter or no name, its error", () => {
  const unknown = mito(["no_such_module"]);
  assertEquals([unknown.code, unknown.stdout, unknown.stderr], [
    0,
    "",
    "[WARNING]: no_such_module was not found\n",
  ]);
  for (const args of [["-l", "nocollection"], []]) {
    const theirs = runIn(dir, "/usr/bin/ansible-doc", args);
    const ours = mito(args);
    assertEquals([ours.code, ours.stderr], [theirs.code, theirs.stderr], args.join(" "));
  }
  assertEquals(
    mito([]).stderr,
    "ERROR! Missing name(s), incorrect options passed for detailed documentation.\n",
  );
  const become = mito(["-t", "become", "-l"]);
  assertEquals([become.code, become.stderr], [
    2,
    "mito doc: error: argument -t/--type: mito documents modules only, not 'become'\n",
  ]);
});
