// Roles from collections, side by side with ansible-playbook: collections beside the playbook, on the
// configured collections path and in Python's site (Debian's ansible package), found by fully qualified
// name, through the `collections` keyword and from a collection role's own collection, with a legacy role
// of the same name under roles/ running only where Ansible would run it. The same output and exit code.
import { join } from "node:path";
import { assertEquals } from "./_assert.ts";
import { mitoIn, ROOT, runIn } from "./_run.ts";

const DIR = join(ROOT, "tests/fixtures/collection_roles");

function same(name: string, args: string[], code: number, env: Record<string, string> = {}): void {
  Deno.test(`collection roles: ${name}, as ansible-playbook`, () => {
    const a = runIn(DIR, "/usr/bin/ansible-playbook", ["-i", "hosts.ini", ...args], env);
    const m = mitoIn(DIR, ["-i", "hosts.ini", ...args], env);
    assertEquals(a.code, code, a.stdout + a.stderr);
    assertEquals(m.stdout, a.stdout);
    assertEquals(m.stderr, a.stderr);
    assertEquals(m.code, code);
  });
}

same("fully qualified, through collections:, dependencies, and modules of the role's collection", [
  "play.yml",
], 0);
same(
  "a collection module importing its collection's module_utils, by full and short name",
  ["modules.yml"],
  0,
);
same(
  "without Python's site collections (collections_scan_sys_path off) the module is refused before the run",
  ["modules.yml"],
  4,
  { ANSIBLE_COLLECTIONS_SCAN_SYS_PATH: "false" },
);
same("a role found nowhere names the collections and paths searched", ["missing.yml"], 1);
same("community.sops._install_age from Python's site ansible_collections", [
  "installed.yml",
  "-e",
  '{"_community_sops_install_age_system_packages": []}',
], 0);
