// Loading playbooks: structure resolved at load time, and bad input rejected with file and line.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertEquals, assertThrows } from "./_assert.ts";
import { Loader } from "../playbook/loader.ts";
import { PlaybookError } from "../playbook/errors.ts";
import { loadYamlFile, positionOf } from "../playbook/yaml/mod.ts";
import type { Block, Task } from "../playbook/model.ts";

function loaderFor(files: Record<string, string>): { loader: Loader; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-loader-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  const loader = new Loader({
    readYaml: (f) => loadYamlFile(f),
    positionOf: (n) => (typeof n === "object" && n !== null ? positionOf(n) : undefined),
    exists: (f) => fs.existsSync(f),
    isDir: (f) => fs.existsSync(f) && fs.statSync(f).isDirectory(),
    listDir: (d) => fs.readdirSync(d),
    rolesPath: [],
    templateStatic: (v) => v,
    extraVars: {},
  });
  return { loader, dir };
}

function loadError(yaml: string): string {
  const { loader, dir } = loaderFor({ "play.yml": yaml });
  try {
    const err = assertThrows(() => loader.loadPlaybook(path.join(dir, "play.yml")), PlaybookError);
    return err.message.split("\n\nThe offending")[0].replace(dir, "DIR");
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
}

const PLAY = "- hosts: localhost\n  tasks:\n";

Deno.test("tasks: module detection, FQCN, free-form and args:, local_action", () => {
  const { loader, dir } = loaderFor({
    "play.yml": PLAY +
      "    - ansible.builtin.command: ls -l chdir=/tmp\n" +
      "    - action: debug msg=hi\n" +
      "    - local_action:\n        module: ping\n" +
      "    - debug:\n      args:\n        msg: from args\n",
  });
  const [play] = loader.loadPlaybook(path.join(dir, "play.yml")).plays;
  const tasks = play.sections[1].filter((t): t is Task => t.kind === "task" && !t.implicit);
  assertEquals(tasks.map((t) => [t.action, t.args]), [
    ["command", { _raw_params: "ls -l", chdir: "/tmp" }],
    ["debug", { msg: "hi" }],
    ["ping", {}],
    ["debug", { msg: "from args" }],
  ]);
  assertEquals(tasks[2].kw.delegate_to, "localhost");
  fs.rmSync(dir, { recursive: true });
});

Deno.test("import_tasks is expanded at load time; include_tasks stays a task", () => {
  const { loader, dir } = loaderFor({
    "play.yml": PLAY + "    - import_tasks: more.yml\n      tags: t\n    - include_tasks: more.yml\n",
    "more.yml": "- debug: msg=inner\n",
  });
  const [play] = loader.loadPlaybook(path.join(dir, "play.yml")).plays;
  const [imported, included] = play.sections[1] as [Block, Task];
  assertEquals(imported.kind, "block");
  assertEquals(imported.kw.tags, "t");
  assertEquals((imported.block[0] as Task).args, { msg: "inner" });
  assertEquals(included.action, "include_tasks");
  fs.rmSync(dir, { recursive: true });
});

Deno.test("bad input: one clear error naming the file, line and what was expected", () => {
  assertEquals(
    loadError(PLAY + "    - name: x\n      debug: msg=a\n      regsiter: out\n"),
    "'regsiter' is not a valid attribute for a Task (it is neither a keyword nor a module; the task's action is 'debug')\n\n" +
      "The error appears to be in 'DIR/play.yml': line 3, column 7, but may\nbe elsewhere in the file depending on the exact syntax problem.",
  );
  assertEquals(
    loadError(PLAY + "    - debug: msg=a\n      copy: src=b\n").split("\n")[0],
    "conflicting action statements: debug, copy",
  );
  assertEquals(
    loadError(PLAY + "    - name: only a name\n").split("\n")[0],
    "no module/action detected in task.",
  );
  assertEquals(
    loadError(PLAY + "    - debug: msg=a\n      register: 1bad\n").split("\n")[0],
    "Invalid variable name in 'register' specified: '1bad'",
  );
  assertEquals(
    loadError(PLAY + "    - debug: msg=a\n      loop: [1]\n      loop_control:\n        loopvar: x\n").split(
      "\n",
    )[0],
    "'loopvar' is not a valid attribute for a LoopControl",
  );
  assertEquals(
    loadError(PLAY + "    - rescue:\n        - debug: msg=a\n").split("\n")[0],
    "'rescue' and 'always' are only valid together with 'block'",
  );
  assertEquals(loadError("- tasks: []\n").split("\n")[0], "the field 'hosts' is required but was not set");
  assertEquals(
    loadError("hosts: all\n").split("\n")[0],
    "A playbook must be a list of plays, got a dict instead",
  );
  assertEquals(
    loadError(PLAY + "    - debgu: msg=a\n").split("\n")[0].slice(0, 40),
    "couldn't resolve module/action 'debgu'. ",
  );
  assertEquals(
    loadError(PLAY + "    - debug: msg=a\n      ignore_errors: maybe\n").split("\n")[0].slice(0, 48),
    "The field 'ignore_errors' has an invalid value, ",
  );
  assertEquals(
    loadError(PLAY + "    - debug: free form text\n").split("\n")[0].slice(0, 45),
    "this task 'debug' has extra params, which is ",
  );
  assertEquals(
    loadError("- hosts: all\n  roles: [nope]\n").split("\n")[0].slice(0, 27),
    "the role 'nope' was not fou",
  );
});
