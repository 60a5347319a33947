// How ansible-core 2.14 finds a task's module or action (issue 19: module_precedence, plugin_loader,
// module_defaults), side by side with ansible-playbook on tests/fixtures/conformance_resolution: the same
// stdout, stderr and exit code.
import { join } from "node:path";
import { assertSameAsAnsible } from "./_side_by_side.ts";
import { ROOT } from "./_run.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_resolution");

Deno.test(
  "every loaded role's library/ serves every task, in the order the roles were loaded, before the " +
    "configured library path, as ansible-playbook",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "library_order.yml"], 0, {
      env: { ANSIBLE_LIBRARY: "lib" },
      expect: '"configured library"',
    });
  },
);

Deno.test(
  "a module kept only as library/_name runs as name, with Ansible's deprecation unless the file is a link",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "alias.yml"], 0, {
      expect: "old_name is kept for backwards compatibility",
    });
  },
);

Deno.test("an action written `action: !unsafe ns.coll.name` is that collection's action", () => {
  assertSameAsAnsible(DIR, ["-i", "hosts.ini", "unsafe_action.yml"], 0, {
    expect: '"r.said": "resol.coll.said"',
  });
});

Deno.test(
  "module_defaults match by the plugin a name resolves to (routing, a module's action_plugin), by action " +
    "groups and their metadata (with its warnings), an inner entry replacing an outer one whole, omit " +
    "taking a default away, debug served too; a module importing only its collection's module_utils runs",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "module_defaults.yml"], 0, {
      expect: '"value": "platform"',
    });
  },
);

Deno.test("validate_action_group_metadata off: the groups' metadata is not warned about", () => {
  assertSameAsAnsible(DIR, ["-i", "hosts.ini", "module_defaults.yml"], 0, {
    env: { ANSIBLE_VALIDATE_ACTION_GROUP_METADATA: "False" },
    expect: '"x": 2',
  });
});

Deno.test(
  "ansible.module_utils.<name> from module_utils/ beside the playbook (a file and a package), a loaded " +
    "role's module_utils/ and the configured module_utils path is served to the target",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "module_utils.yml"], 0, {
      env: { ANSIBLE_MODULE_UTILS: "mu_conf" },
      expect: '"configured module_utils"',
    });
  },
);

for (const kind of ["action", "group"]) {
  Deno.test(`a module_defaults key naming no ${kind} stops the run as the playbook loads (exit 4)`, () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", `module_defaults_unknown_${kind}.yml`], 4, {
      expect: "ERROR! ",
    });
  });
}
