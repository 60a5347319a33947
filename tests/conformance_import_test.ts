// Jinja2's imports as ansible-core 2.14 runs them (issue 19: the template target's issue 72615), side by
// side with ansible-playbook on tests/fixtures/conformance_import: the same stdout, stderr and exit code.
import { join } from "node:path";
import { ROOT } from "./_run.ts";
import { assertSameAsAnsible } from "./_side_by_side.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_import");

Deno.test(
  "an import with context sees the importing template's names (a top-level set, a macro's locals), one " +
    "without sees no variables, as ansible-playbook",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "import.yml"], 0, {
      expect: '"msg": "[outer-level:a/nested-level] [outer-level:c/nested-level]\\n"',
    });
  },
);
