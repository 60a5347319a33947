// One program, Ansible's names: `mito install-links DIR` links ansible, ansible-playbook, … to it, and
// started through such a link (argv[0], or the script's name from source) it is that command.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertEquals, assertThrows } from "./_assert.ts";
import { DENO, ROOT, runIn } from "./_run.ts";
import { invokedAs, LINK_NAMES } from "../cli/main.ts";
import { createLinks, LinkExistsError } from "../cli/cmd_links.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-links-"));
globalThis.addEventListener("unload", () => fs.rmSync(dir, { recursive: true, force: true }));
fs.writeFileSync(path.join(dir, "ansible.cfg"), "");
fs.writeFileSync(
  path.join(dir, "hosts"),
  "[web]\nlocalhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
);
fs.writeFileSync(path.join(dir, "p.yml"), "- hosts: web\n  gather_facts: false\n  tasks:\n    - ping:\n");
const bin = path.join(dir, "bin");

Deno.test("install-links: one link per Ansible command to the checkout's launcher; again, nothing changes", () => {
  const first = runIn(dir, DENO, ["run", "-q", "-A", path.join(ROOT, "cli/main.ts"), "install-links", bin]);
  const launcher = path.join(ROOT, "mito");
  assertEquals(first.code, 0, first.stderr);
  assertEquals(
    first.stdout,
    Object.keys(LINK_NAMES).map((n) => `created ${path.join(bin, n)} -> ${launcher}\n`).join(""),
  );
  for (const n of Object.keys(LINK_NAMES)) assertEquals(fs.readlinkSync(path.join(bin, n)), launcher);
  const again = createLinks(bin, launcher, false);
  assertEquals(again.map((r) => r.action), Object.keys(LINK_NAMES).map(() => "kept"));
});

Deno.test("install-links leaves a file of the same name alone unless --force", () => {
  const other = path.join(dir, "other");
  fs.mkdirSync(other);
  fs.writeFileSync(path.join(other, "ansible"), "#!/bin/sh\n");
  assertThrows(() => createLinks(other, "/opt/mito", false), LinkExistsError, `${other}/ansible exists`);
  assertEquals(fs.readFileSync(path.join(other, "ansible"), "utf8"), "#!/bin/sh\n");
  const forced = createLinks(other, "/opt/mito", true);
  assertEquals(forced.find((r) => r.link.endsWith("/ansible"))?.action, "replaced");
  assertEquals(fs.readlinkSync(path.join(other, "ansible")), "/opt/mito");
});

Deno.test("the name it is started as picks the command: argv[0] first, then the script's name", () => {
  assertEquals(invokedAs("/usr/local/bin/ansible-playbook", "/usr/local/bin/mito"), "ansible-playbook");
  assertEquals(invokedAs("ansible", undefined), "ansible");
  assertEquals(invokedAs("/usr/bin/deno", "/tmp/x/ansible-vault.ts"), "ansible-vault");
  assertEquals(invokedAs("/usr/bin/deno", "/repo/cli/main.ts"), undefined);
  assertEquals(invokedAs("mito", "/usr/local/bin/mito"), undefined);
});

Deno.test("through the links: ansible-playbook runs a playbook, ansible a module, as the real ones do", () => {
  const pb = runIn(dir, path.join(bin, "ansible-playbook"), ["-i", "hosts", "p.yml"]);
  const realPb = runIn(dir, "/usr/bin/ansible-playbook", ["-i", "hosts", "p.yml"]);
  assertEquals([pb.code, pb.stdout, pb.stderr], [realPb.code, realPb.stdout, realPb.stderr]);
  const adhoc = runIn(dir, path.join(bin, "ansible"), ["-i", "hosts", "web", "-m", "ping", "-o"]);
  assertEquals([adhoc.code, adhoc.stdout, adhoc.stderr], [
    0,
    'localhost | SUCCESS => {"changed": false,"ping": "pong"}\n',
    "",
  ]);
  const inv = runIn(dir, path.join(bin, "ansible-inventory"), ["-i", "hosts", "--graph"]);
  const realInv = runIn(dir, "/usr/bin/ansible-inventory", ["-i", "hosts", "--graph"]);
  assertEquals([inv.code, inv.stdout], [realInv.code, realInv.stdout]);
});

Deno.test("through the links: help and errors carry the command's name", () => {
  const help = runIn(dir, path.join(bin, "ansible-playbook"), ["--help"]);
  assertEquals(help.stdout.split("\n")[0].slice(0, 32), "usage: ansible-playbook [-h] [--");
  const bad = runIn(dir, path.join(bin, "ansible"), ["all", "--frob"]);
  assertEquals([bad.code, bad.stderr], [2, "ansible: error: unrecognized arguments: --frob\n"]);
  const doc = runIn(dir, path.join(bin, "ansible-doc"), ["-l", "ansible.posix"]);
  assertEquals([doc.code, doc.stdout.startsWith("ansible.posix.acl ")], [0, true]);
  const vault = runIn(dir, path.join(bin, "ansible-vault"), ["--help"]);
  assertEquals(vault.stdout.split(" ").slice(0, 2).join(" "), "usage: ansible-vault");
});
