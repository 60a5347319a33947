// ansible-core 2.14's execution semantics that mito once missed (issue 19: clear_host_errors,
// any_errors_fatal with includes, refresh_inventory, the task timeout, --flush-cache), side by side with
// ansible-playbook on the playbooks of tests/fixtures/conformance_exec: the same stdout, stderr and exit
// code.
import { join } from "node:path";
import { assertEquals } from "./_assert.ts";
import { mitoIn, ROOT, runIn } from "./_run.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_exec");

/**
 * `stderrLines` compares only the first lines of stderr: where an error names a position mito does not
 * keep (a scalar argument's own line and column), the rest of the text differs.
 */
function same(name: string, args: string[], code: number, opts: { stderrLines?: number } = {}): void {
  Deno.test(`${name}, as ansible-playbook`, () => {
    // one host at a time: the results' order is then the same in both
    const argv = ["-i", "hosts.ini", "-f", "1", ...args];
    const a = runIn(DIR, "/usr/bin/ansible-playbook", argv);
    const m = mitoIn(DIR, argv);
    const head = (s: string) => s.split("\n").slice(0, opts.stderrLines).join("\n");
    assertEquals(a.code, code, a.stdout + a.stderr);
    assertEquals(m.stdout, a.stdout);
    assertEquals(head(m.stderr), head(a.stderr));
    assertEquals(m.code, code);
  });
}

same(
  "meta clear_host_errors forgets the failure its block's always is carrying: the host goes on after the block",
  ["clear_host_errors.yml"],
  2,
);

same(
  "an include that cannot be loaded fails the hosts that reached it (include_tasks: a failed result; " +
    "include_role: the error shown) and the others go on; the next play is announced when none is left",
  ["include_load_fails.yml"],
  2,
  { stderrLines: 1 },
);

same(
  "under any_errors_fatal an include_tasks of a file that is not there ends the play for every host",
  ["-e", "what=tasks", "any_errors_fatal_include.yml"],
  2,
);

same(
  "under any_errors_fatal an include_role of a role that is nowhere ends the play for every host",
  ["-e", "what=role", "any_errors_fatal_include.yml"],
  2,
  { stderrLines: 1 },
);

same(
  "run_once runs on the first host whose turn it is, not on one that is in its rescue meanwhile",
  ["run_once_round.yml"],
  0,
);
