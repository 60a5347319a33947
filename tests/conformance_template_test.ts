// Templates as ansible-core 2.14 renders them (issue 19: the template target's 72615.yml
// and unsafe.yml), side by side with ansible-playbook on tests/fixtures/conformance_template.
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

Deno.test("what lookup() returns is unsafe, joined text included: set_fact keeps it untemplated; as ansible-playbook", () => {
  assertSameAsAnsible(DIR, ["-i", "hosts.ini", "lookup_unsafe.yml"], 0, {
    expect: "AnsibleUnsafeText AnsibleUnsafeText",
  });
});
