// Python action plugins as ansible-core 2.14 runs them (issue 19), side by side with ansible-playbook on
// tests/fixtures/conformance_plugins: the play context a plugin reads, the action plugins it loads through
// its shared loader, and until's retries around them: the same stdout (times aside), stderr and exit code.
import * as fs from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { assertEquals } from "./_assert.ts";
import { normalise } from "./_compare.ts";
import { mitoIn, ROOT, runIn } from "./_run.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_plugins");

Deno.test(
  "an action plugin's play context has every attribute of Ansible's, from the variables Ansible maps to each; " +
    "the shell action it loads runs through mito; until retries 3 times unless told, as ansible-playbook",
  () => {
    // the retried command counts down in a file of its own
    const dir = fs.mkdtempSync(join(os.tmpdir(), "mito-conform-plugins-"));
    try {
      const argv = ["-i", "hosts.ini", "-v", "-e", `counter_dir=${dir}`, "play_context.yml"];
      const a = runIn(DIR, "/usr/bin/ansible-playbook", argv);
      const m = mitoIn(DIR, argv);
      assertEquals(a.code, 0, a.stdout + a.stderr);
      assertEquals(normalise(m.stdout), normalise(a.stdout));
      assertEquals(m.stderr, a.stderr);
      assertEquals(m.code, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
