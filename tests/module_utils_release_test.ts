// Targets that have ansible-core of their own run Ansible's modules with the controller's module_utils,
// as AnsiballZ ships them (docs/protocol.md "Importer"), side by side with ansible-playbook on
// tests/fixtures/module_utils_release: the same stdout, stderr and exit code.
import { join } from "node:path";
import { assertSameAsAnsible } from "./_side_by_side.ts";
import { ROOT } from "./_run.ts";

const DIR = join(ROOT, "tests/fixtures/module_utils_release");

Deno.test(
  "a target whose own ansible-core is another release runs modules with the controller's module_utils " +
    "(its basic.py, which raises, is never imported), as ansible-playbook",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "-f", "1", "release.yml"], 0, {
      expect: '"r.release": "2.14.18"',
    });
  },
);

Deno.test(
  "a playbook's module_utils/ansible_release.py overrides ansible-core's on a target with the controller's " +
    "release and on one with another, as ansible-playbook",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "-f", "1", "override/override.yml"], 0, {
      expect: '"r.release": "overridden by the playbook"',
    });
  },
);

Deno.test(
  "a module importing ansible.module_utils support code found nowhere fails before it runs, with " +
    "Ansible's message, as ansible-playbook",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "missing.yml"], 2, {
      expect: "Could not find imported module support code for ansible.modules.needs_missing.",
    });
  },
);
