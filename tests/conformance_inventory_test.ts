// The inventory layer as ansible-core 2.14 has it (issue 19), side by side with ansible-inventory on the
// sources of tests/fixtures/conformance_inv: the same stdout, stderr and exit code.
import { join } from "node:path";
import { assertEquals, assertStringIncludes } from "./_assert.ts";
import { DENO, ROOT, runIn } from "./_run.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_inv");

/** `ansible-inventory argv` and `mito inventory argv` in DIR end alike; `expect` proves the fixture's point. */
function sameInventory(
  argv: string[],
  code: number,
  o: { env?: Record<string, string>; expect?: string } = {},
) {
  const a = runIn(DIR, "/usr/bin/ansible-inventory", argv, o.env);
  const m = runIn(DIR, DENO, ["run", "-A", join(ROOT, "cli/main.ts"), "inventory", ...argv], o.env);
  assertEquals(a.code, code, a.stdout + a.stderr);
  if (o.expect !== undefined) assertStringIncludes(a.stdout + a.stderr, o.expect);
  assertEquals(m.stdout, a.stdout);
  assertEquals(m.stderr, a.stderr);
  assertEquals(m.code, code);
}

Deno.test("a YAML inventory host written as a number is refused, the source left unparsed, as ansible-inventory", () => {
  sameInventory(["-i", "int_host.yml", "--list"], 0, { expect: "Host pattern 1234 must be a string" });
});

Deno.test("a quoted number is a host name, a float key is refused, as ansible-inventory", () => {
  sameInventory(["-i", "float_host.yml", "--list"], 0, { expect: "Host pattern 1.5 must be a string" });
});
