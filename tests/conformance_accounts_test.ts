// An account a play deletes after running tasks as it (issue 19, the remote_tmp target), side by side with
// ansible-playbook on tests/fixtures/conformance_accounts: mito's interpreter kept as that account ends
// before the user module deletes it.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./_run.ts";
import { assertSameAsAnsible } from "./_side_by_side.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_accounts");
const ACCOUNT = "mitogoneacct";

Deno.test("a user deleted after tasks ran as it (become_user), as ansible-playbook", () => {
  try {
    assertSameAsAnsible(DIR, ["-i", "hosts.ini", "-e", `account=${ACCOUNT}`, "remove_user.yml"], 0, {
      expect: `"who.stdout": "${ACCOUNT}"`,
    });
  } finally {
    // a run that failed halfway leaves the account behind
    spawnSync("userdel", ["-r", ACCOUNT], { stdio: "ignore" });
  }
});
