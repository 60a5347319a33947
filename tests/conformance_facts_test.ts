// What a module's facts become in a host's variables, as ansible-core 2.14 makes them (issue 19: the
// gathering_facts target's test_prevent_injection.yml), side by side with ansible-playbook on
// tests/fixtures/conformance_facts: the same stdout, stderr and exit code.
import { join } from "node:path";
import { ROOT } from "./_run.ts";
import { assertSameAsAnsible } from "./_side_by_side.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_facts");

Deno.test(
  "module facts: ansible_facts without prefixes, the top level without restricted keys (each warned of twice), " +
    "internal keys and a claimed interpreter gone from the answer, clear_facts; as ansible-playbook",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "facts.yml"], 0, {
      expect: '"msg": "localhost 192.0.2.1 AAAA 4"',
    });
  },
);

Deno.test("-e with words that are no k=v: they become _raw_params, not an error; as ansible-playbook", () => {
  assertSameAsAnsible(
    DIR,
    ["-i", "hosts.ini", "extra_vars.yml", "-e", "ansible_facts_parallel: False", "-e", 'b="x\\ty"'],
    0,
    { expect: '"msg": "ansible_facts_parallel: False x\\ty -"' },
  );
});

Deno.test(
  "gather_facts with ansible_facts_modules: each module in turn, facts merged as Ansible merges them, options " +
    "a module does not take warned of, smart standing for setup with setup's module_defaults; as ansible-playbook",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "gather.yml"], 0, { expect: '"msg": "root 2 -"' });
  },
);

Deno.test(
  "ANSIBLE_INJECT_FACT_VARS=0: facts only in ansible_facts, ansible_local always top-level, no warnings; " +
    "as ansible-playbook",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "no_inject.yml"], 0, {
      env: { ANSIBLE_INJECT_FACT_VARS: "0" },
      expect: '"msg": "{} - AAAA"',
    });
  },
);
