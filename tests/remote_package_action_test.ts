// package and service as Ansible's actions: the manager's module is chosen from `use`, the fact, or the
// fact gathered for the task, and gets every other argument (library/ stand-ins for apt and systemd
// report what they were handed). Compared with ansible-playbook: the same screen output and exit code.
import { join } from "node:path";
import { assertEquals } from "./_assert.ts";
import { mitoIn, ROOT, runIn } from "./_run.ts";

const DIR = join(ROOT, "tests/fixtures/package_action");

Deno.test("package/service: the manager's module gets the task's arguments, as ansible-playbook's actions hand them", () => {
  const a = runIn(DIR, "/usr/bin/ansible-playbook", ["-i", "hosts.ini", "dispatch.yml"]);
  const m = mitoIn(DIR, ["-i", "hosts.ini", "dispatch.yml"]);
  assertEquals(a.code, 0, a.stdout + a.stderr);
  assertEquals(m.stdout, a.stdout);
  assertEquals(m.stderr, a.stderr);
  assertEquals(m.code, 0);
});
