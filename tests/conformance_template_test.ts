// Jinja2's imports as ansible-core 2.14 runs them (issue 19: the template target's 72615.yml, issue 72615),
// side by side with ansible-playbook on tests/fixtures/conformance_template: the same stdout, stderr and exit
// code.
import { join } from "node:path";
import { ROOT } from "./_run.ts";
import { assertSameAsAnsible } from "./_side_by_side.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_template");

Deno.test(
  "import without context sees no task variables; with context the importer's variables and local names " +
    "(set, loop variable, macro locals) where it imports; as ansible-playbook",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "imports.yml"], 0, {
      expect: String
        .raw`"msg": "A:foo=UNDEF UNDEF\nB:foo=local local\nC:foo=UNDEF\nD:foo=macro\nE:foo=loopF:foo=local\n"`,
    });
  },
);

Deno.test(
  "an import with context sees the importing template's names (a top-level set, a macro's locals), one " +
    "without sees no variables, as ansible-playbook",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "import.yml"], 0, {
      expect: '"msg": "[outer-level:a/nested-level] [outer-level:c/nested-level]\\n"',
    });
  },
);
