// --diff as ansible-playbook shows it: a task's diff before its status line, and in a loop each item's
// diff before that item's line (Ansible calls v2_on_file_diff for each item as it finishes).
import { assertEquals } from "./_assert.ts";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mitoIn, ROOT, runIn } from "./_run.ts";

const DIR = path.join(ROOT, "tests/diff_order");

Deno.test("--diff: each loop item's diff before its line, as ansible-playbook", () => {
  const a = fs.mkdtempSync(path.join(os.tmpdir(), "mito-diff-"));
  const m = fs.mkdtempSync(path.join(os.tmpdir(), "mito-diff-"));
  try {
    const real = runIn(DIR, "ansible-playbook", ["-i", "hosts.ini", "play.yml", "--diff", "-e", `dir=${a}`]);
    const mito = mitoIn(DIR, ["-i", "hosts.ini", "play.yml", "--diff", "-e", `dir=${m}`]);
    assertEquals(mito.stdout.split(m).join("DIR"), real.stdout.split(a).join("DIR"));
    assertEquals(mito.code, real.code);
  } finally {
    fs.rmSync(a, { recursive: true, force: true });
    fs.rmSync(m, { recursive: true, force: true });
  }
});
