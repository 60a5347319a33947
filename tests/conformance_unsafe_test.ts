// How templating marks values as ansible-core 2.14 does (issue 19: the loops target's issue 64169, the
// template target's unsafe.yml, the `vars` magic variable), side by side with ansible-playbook on the playbooks of
// tests/fixtures/conformance_unsafe: the same stdout, stderr and exit code.
import { join } from "node:path";
import { ROOT } from "./_run.ts";
import { assertSameAsAnsible } from "./_side_by_side.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_unsafe");

Deno.test(
  "what a lookup or a with_<lookup> gives is unsafe, and a template that reads unsafe data (nested, or " +
    "only in a test) gives an unsafe result that is never templated again, as ansible-playbook",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "unsafe.yml"], 0, {
      expect: "\"msg\": \"x{{ ver }} []1.0 2{{ ver }} ['x', '{{ ver }}'] ['x']1.0\"",
    });
  },
);

Deno.test(
  "`vars` holds the task's variables untemplated, without loop variables or itself, as ansible-playbook",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "vars_magic.yml"], 0, {
      expect: `"msg": "1 hi {'all': ['localhost'], 'ungrouped': ['localhost']} ['localhost'] True"`,
    });
  },
);

Deno.test("omit chosen by a template that reads unsafe data still drops the option, as ansible-playbook", () => {
  assertSameAsAnsible(DIR, ["-i", "hosts.ini", "omit_unsafe.yml"], 0, { expect: '"msg": "there"' });
});

for (const native of ["0", "1"]) {
  Deno.test(
    `type_debug names text a YAML file wrote AnsibleUnicode, templated text str, unsafe text ` +
      `AnsibleUnsafeText (jinja2_native ${native}), as ansible-playbook`,
    () => {
      assertSameAsAnsible(DIR, ["-i", "hosts.ini", "type_names.yml", "-e", "extra=1x"], 0, {
        env: { ANSIBLE_JINJA2_NATIVE: native },
        expect: '"msg": "AnsibleUnsafeText str AnsibleUnsafeText ',
      });
    },
  );
}

Deno.test("what lookup() returns is unsafe, joined text included: set_fact keeps it untemplated; as ansible-playbook", () => {
  assertSameAsAnsible(DIR, ["-i", "hosts.ini", "lookup_unsafe.yml"], 0, {
    expect: "AnsibleUnsafeText AnsibleUnsafeText",
  });
});
