// Async jobs polled to their end as Ansible's task executor and async_wrapper report them (issue 19, the
// async target), side by side with ansible-playbook on tests/fixtures/conformance_async.
import * as fs from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { assertEquals, assertStringIncludes } from "./_assert.ts";
import { mitoIn, ROOT, runIn } from "./_run.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_async");

Deno.test(
  "async results: the action's empty output, the module's stderr, a module that raised as async_wrapper " +
    "reports it, job ids j<digits>.<digits>, ansible_async_dir, as ansible-playbook",
  () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), "mito-conform-async-"));
    // job ids are random: the same text stands for each
    const settled = (out: string) => out.replace(/j\d+\.\d+/g, "J").replace(/^FAILED - RETRYING: .*\n/gm, "");
    try {
      const args = ["-i", "hosts.ini", "-e", `async_dir=${dir}/jobs`, "async.yml"];
      const a = runIn(DIR, "/usr/bin/ansible-playbook", args);
      const m = mitoIn(DIR, args);
      assertEquals(a.code, 0, a.stdout + a.stderr);
      assertStringIncludes(a.stdout, '"said.stderr": "a line on stderr\\n"');
      assertEquals([m.code, settled(m.stdout), m.stderr], [a.code, settled(a.stdout), a.stderr]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
