// Native text and set_fact as ansible-core 2.14 does them (issue 19: the set_fact and jinja2_native_types
// targets), in both of its templating modes, side by side with ansible-playbook on the playbooks of
// tests/fixtures/conformance_native: the same stdout, stderr and exit code.
import { join } from "node:path";
import { ROOT } from "./_run.ts";
import { assertSameAsAnsible } from "./_side_by_side.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_native");

for (const native of ["0", "1"]) {
  const env = { ANSIBLE_JINJA2_NATIVE: native };
  Deno.test(
    `set_fact turns boolean words into booleans only outside jinja2_native (${native}), unsafe text ` +
      "too, as ansible-playbook",
    () => {
      assertSameAsAnsible(DIR, ["-v", "-i", "hosts.ini", "set_fact_words.yml"], 0, {
        env,
        expect: native === "1"
          ? '"msg": "yes True no no False bool"'
          : '"msg": "True True False False False bool"',
      });
    },
  );

  Deno.test(
    `set_fact keeps a string filter's text as text (jinja2_native ${native}): it prints, travels to a ` +
      "module and is read again as text, type_debug says NativeJinjaText; a value's __class__, as " +
      "ansible-playbook",
    () => {
      assertSameAsAnsible(DIR, ["-v", "-i", "hosts.ini", "native_text.yml"], 0, {
        env,
        expect: '"msg": "NativeJinjaText NativeJinjaText NativeJinjaText NativeJinjaUnsafeText type bool ' +
          'NativeJinjaText"',
      });
    },
  );
}
