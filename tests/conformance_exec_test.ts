// ansible-core 2.14's execution semantics that mito once missed (issue 19: clear_host_errors,
// any_errors_fatal with includes, refresh_inventory, the task timeout, --flush-cache), side by side with
// ansible-playbook on the playbooks of tests/fixtures/conformance_exec: the same stdout, stderr and exit
// code.
import { join } from "node:path";
import { assertEquals } from "./_assert.ts";
import { mitoIn, ROOT, runIn } from "./_run.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_exec");

function same(name: string, args: string[], code: number): void {
  Deno.test(`${name}, as ansible-playbook`, () => {
    // one host at a time: the results' order is then the same in both
    const argv = ["-i", "hosts.ini", "-f", "1", ...args];
    const a = runIn(DIR, "/usr/bin/ansible-playbook", argv);
    const m = mitoIn(DIR, argv);
    assertEquals(a.code, code, a.stdout + a.stderr);
    assertEquals(m.stdout, a.stdout);
    assertEquals(m.stderr, a.stderr);
    assertEquals(m.code, code);
  });
}

same(
  "meta clear_host_errors forgets the failure its block's always is carrying: the host goes on after the block",
  ["clear_host_errors.yml"],
  2,
);
