// ansible-core 2.14's execution semantics that mito once missed (issue 19: clear_host_errors,
// any_errors_fatal with includes, refresh_inventory, the task timeout, --flush-cache), side by side with
// ansible-playbook on the playbooks of tests/fixtures/conformance_exec: the same stdout, stderr and exit
// code.
import * as fs from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { assertEquals } from "./_assert.ts";
import { spawnSync } from "node:child_process";
import { mitoIn, ROOT, runIn } from "./_run.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_exec");

/** A folder a playbook that changes its own files runs in: a fresh copy of `sub` for each tool. */
function copyOf(sub: string, files: Record<string, string>): () => { dir: string; remove(): void } {
  return () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), "mito-conform-exec-"));
    fs.cpSync(join(DIR, sub), dir, { recursive: true });
    for (const [to, from] of Object.entries(files)) fs.copyFileSync(join(dir, from), join(dir, to));
    return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
  };
}

/**
 * `stderrLines` compares only the first lines of stderr: where an error names a position mito does not
 * keep (a scalar argument's own line and column), the rest of the text differs. `inventory` and `folder`
 * replace hosts.ini and the fixture folder; `env` is added to both tools' environment.
 */
function same(
  name: string,
  args: string[],
  code: number,
  opts: {
    stderrLines?: number;
    inventory?: string;
    env?: Record<string, string>;
    folder?: () => { dir: string; remove(): void };
  } = {},
): void {
  Deno.test(`${name}, as ansible-playbook`, () => {
    // one host at a time: the results' order is then the same in both
    const argv = ["-i", opts.inventory ?? "hosts.ini", "-f", "1", ...args];
    const inFolder = <T>(run: (dir: string) => T): T => {
      const f = opts.folder?.() ?? { dir: DIR, remove() {} };
      try {
        return run(f.dir);
      } finally {
        f.remove();
      }
    };
    const a = inFolder((dir) => runIn(dir, "/usr/bin/ansible-playbook", argv, opts.env));
    const m = inFolder((dir) => mitoIn(dir, argv, opts.env));
    const head = (s: string) => s.split("\n").slice(0, opts.stderrLines).join("\n");
    assertEquals(a.code, code, a.stdout + a.stderr);
    assertEquals(m.stdout, a.stdout);
    assertEquals(head(m.stderr), head(a.stderr));
    assertEquals(m.code, code);
  });
}

same(
  "meta clear_host_errors forgets the failure its block's always is carrying: the host goes on after the block",
  ["clear_host_errors.yml"],
  2,
);

same(
  "an include that cannot be loaded fails the hosts that reached it (include_tasks: a failed result; " +
    "include_role: the error shown) and the others go on; the next play is announced when none is left",
  ["include_load_fails.yml"],
  2,
  { stderrLines: 1 },
);

same(
  "under any_errors_fatal an include_tasks of a file that is not there ends the play for every host",
  ["-e", "what=tasks", "any_errors_fatal_include.yml"],
  2,
);

same(
  "under any_errors_fatal an include_role of a role that is nowhere ends the play for every host",
  ["-e", "what=role", "any_errors_fatal_include.yml"],
  2,
  { stderrLines: 1 },
);

same(
  "run_once runs on the first host whose turn it is, not on one that is in its rescue meanwhile",
  ["run_once_round.yml"],
  0,
);

same(
  "meta refresh_inventory: a host the sources no longer name leaves the play at once and the next one; " +
    "add_host's hosts stay, group_by's groups stay for the hosts still there",
  ["refresh_inventory.yml"],
  0,
  { inventory: "current.ini", folder: copyOf("refresh", { "current.ini": "before.ini" }) },
);

same(
  "a fatal failure in a rescue ends the play for the hosts already waiting on a later task",
  ["fatal_while_waiting.yml"],
  2,
);

/** The pids of the processes whose command line holds `marker`. */
function pidsWith(marker: string): number[] {
  const r = spawnSync("/usr/bin/pgrep", ["-f", marker], { encoding: "utf8" });
  return r.stdout.split("\n").filter((l) => l.trim() !== "").map(Number);
}

Deno.test("the task keyword timeout fails a module still running with Ansible's message and kills it and what it started; as ansible-playbook", () => {
  const marker = `mito-timeout-${crypto.randomUUID()}`;
  const argv = ["-i", "hosts.ini", "-f", "1", "-e", `marker=${marker}`, "task_timeout.yml"];
  const a = runIn(DIR, "/usr/bin/ansible-playbook", argv);
  // ansible-core 2.14 leaves the module's processes running: this test ends the ones its run started
  const left = pidsWith(marker);
  for (const pid of left) Deno.kill(pid, "SIGKILL");
  const m = mitoIn(DIR, argv);
  const leftByMito = pidsWith(marker);
  for (const pid of leftByMito) Deno.kill(pid, "SIGKILL");
  assertEquals(a.code, 0, a.stdout + a.stderr);
  assertEquals(
    left.length,
    2,
    "ansible-playbook's run leaves the shell and its child (what this test expects of it)",
  );
  assertEquals(m.stdout, a.stdout);
  assertEquals(m.stderr, a.stderr);
  assertEquals(m.code, 0);
  assertEquals(leftByMito, []);
});

same("a play's user is the old name of remote_user", ["play_user.yml"], 0);

same("a play with both user and remote_user is refused", ["play_user_and_remote_user.yml"], 4);

// Playbooks ansible-playbook refuses before it runs anything: each with Ansible's message and exit code.
for (
  const [file, code, what] of [
    ["empty_list.yml", 4, "an empty list of plays"],
    ["nothing.yml", 4, "an empty playbook"],
    ["hosts_empty.yml", 4, "a play whose hosts are empty"],
    ["tasks_not_list.yml", 4, "tasks that are not a list"],
    ["handlers_not_list.yml", 4, "handlers that are not a list"],
    ["roles_not_list.yml", 4, "roles that are not a list"],
    ["old_style_role.yml", 1, "the old role,version form of a role entry"],
    ["vars_prompt_no_name.yml", 4, "a vars_prompt entry without a name"],
    ["handler_include_role.yml", 4, "include_role as a handler"],
    ["handler_nested_block.yml", 4, "a block inside a handler block"],
  ] as const
) {
  same(`refused with Ansible's message: ${what}`, [`refused/${file}`], code);
}

same(
  "a handler's templated name is what notify matches, its listen topics are not templated, and a name " +
    "that cannot be templated makes the handler unusable unless it listens",
  ["handler_names_templated.yml"],
  0,
  { env: { ANSIBLE_ERROR_ON_MISSING_HANDLER: "false" } },
);

same(
  "the handlers of a role imported inside an included role or an included tasks file join the play",
  ["included_imports.yml"],
  0,
);

same("a block in the handlers list: its tasks are handlers", ["handler_block.yml"], 0);

same("meta flush_handlers as a handler ends the run when the handler runs", ["handler_flush.yml"], 1);

same(
  "handlers run in one pass per flush: a handler notified by an earlier one in the list runs in the pass, " +
    "one notified by a later one waits for the next flush, and one notifying itself is not run again",
  ["handler_passes.yml"],
  0,
);

same(
  "a handler failing in a flush inside a block with a rescue counts as a failure and the rescue runs",
  ["handler_fails_in_block.yml"],
  0,
);
