// How task results count and show as ansible-core 2.14 has them (issue 19), side by side with
// ansible-playbook on tests/fixtures/conformance_results: the same stdout, stderr and exit code.
import { join } from "node:path";
import { ROOT } from "./_run.ts";
import { assertSameAsAnsible } from "./_side_by_side.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_results");

function same(name: string, playbook: string, code: number): void {
  Deno.test(`${name}, as ansible-playbook`, () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "-f", "1", playbook], code);
  });
}

same(
  "ignore_unreachable: ok and ignored in the recap, a delegated host labelled by name alone, a loop with an " +
    "unreachable item unreachable as a whole; the reachable tests' refusals",
  "unreachable.yml",
  0,
);
