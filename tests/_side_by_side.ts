// One command line under ansible-playbook and under mito in the same folder, compared: the conformance
// tests' shared check (issue 19).
import { assertEquals, assertStringIncludes } from "./_assert.ts";
import { mitoIn, runIn } from "./_run.ts";

export interface SideBySide {
  /** Added to both tools' environment. */
  env?: Record<string, string>;
  /**
   * A text ansible-playbook's output must hold: proof the fixture reached what it checks (a playbook
   * that stopped early would match too).
   */
  expect?: string;
}

/** ansible-playbook ends `argv` in `dir` with `code`, and mito prints the same stdout and stderr and ends so. */
export function assertSameAsAnsible(dir: string, argv: string[], code: number, o: SideBySide = {}): void {
  const a = runIn(dir, "/usr/bin/ansible-playbook", argv, o.env);
  const m = mitoIn(dir, argv, o.env);
  assertEquals(a.code, code, a.stdout + a.stderr);
  if (o.expect !== undefined) assertStringIncludes(a.stdout + a.stderr, o.expect);
  assertEquals(m.stdout, a.stdout);
  assertEquals(m.stderr, a.stderr);
  assertEquals(m.code, code);
}
