// The `environment:` keyword as ansible-core 2.14 applies it (issue 19), side by side with
// ansible-playbook on tests/fixtures/conformance_env: the same stdout, stderr and exit code.
import { join } from "node:path";
import { ROOT } from "./_run.ts";
import { assertSameAsAnsible } from "./_side_by_side.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_env");

Deno.test(
  "environment: templated for local_action and delegate_to localhost, not for lookups nor raw; an undefined variable " +
    "in it fails controller-side actions too; a non-mapping entry skipped with a warning; as ansible-playbook",
  () => {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "controller.yml"], 0, {
      expect: "could not parse environment value, skipping: [5]",
    });
  },
);
