// The interpreter cap recycles, as Mitogen documents (MITOGEN_MAX_INTERPRETERS, "the least recently used
// idle interpreter is shut down"): 25 become users on one host under a cap of 5, as 25 tasks of a play
// and as one loop's 25 items, never have more than 5 interpreters alive on the target at once. Each task
// counts the interpreters alive then; the users are temporary accounts made here and removed by name.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { assert, assertEquals } from "./_assert.ts";
import { mitoIn } from "./_run.ts";

const USERS = Array.from({ length: 25 }, (_, i) => `mitocap${String(i + 1).padStart(2, "0")}`);
const CAP = 5;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
}

// One line per interpreter of our users: a process of one of them that is the bootstrap's `python3 -c`
// (the counting shell and grep, whose arguments hold that text, start otherwise).
const COUNT = `ps -eo user:20,args | grep -c '^mitocap[0-9][0-9] *[/]usr/bin/python3 -c' || true`;

const playbook = `
- hosts: localhost
  gather_facts: false
  tasks:
${
  USERS.map((u) =>
    `    - shell: "${COUNT}"
      become: true
      become_user: ${u}
      register: r
    - set_fact:
        alive: "{{ (alive | default([])) + [r.stdout | int] }}"
`
  ).join("")
}
    - shell: "${COUNT}"
      become: true
      become_user: "{{ item }}"
      loop: ${JSON.stringify(USERS)}
      register: looped
    - debug:
        msg: "{{ alive }} {{ looped.results | map(attribute='stdout') | map('int') | list }}"
`;

function counts(stdout: string): number[][] {
  const m = /"msg": "(\[.*?\]) (\[.*?\])"/.exec(stdout);
  if (!m) throw new Error(`no counts in:\n${stdout}`);
  return [JSON.parse(m[1]), JSON.parse(m[2])];
}

for (const variable of ["MITOGEN_MAX_INTERPRETERS", "MITO_MAX_INTERPRETERS"]) {
  Deno.test(`${variable}=${CAP}: 25 become users in a play and in a loop never have more than ${CAP} interpreters alive`, () => {
    if (process.getuid?.() !== 0) throw new Error("this test makes temporary accounts: it needs root");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-cap-"));
    const made: string[] = [];
    try {
      for (const u of USERS) {
        spawnSync("userdel", [u]); // a leftover of an interrupted run
        sh("useradd", ["-M", "-d", "/nonexistent", "-s", "/bin/sh", u]);
        made.push(u);
      }
      fs.writeFileSync(path.join(dir, "ansible.cfg"), "[defaults]\nretry_files_enabled = false\n");
      fs.writeFileSync(
        path.join(dir, "hosts"),
        "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
      );
      fs.writeFileSync(path.join(dir, "cap.yml"), playbook);
      const m = mitoIn(dir, ["-i", "hosts", "cap.yml"], { [variable]: String(CAP) });
      assertEquals(m.code, 0, m.stdout + m.stderr);
      const [play, loop] = counts(m.stdout);
      assertEquals(play.length, 25);
      assertEquals(loop.length, 25);
      // the task's own interpreter is alive while it counts; the cap fills up and then holds
      assertEquals(play.slice(0, CAP), [1, 2, 3, 4, 5]);
      for (const n of [...play, ...loop]) {
        assert(n >= 1 && n <= CAP, `${n} interpreters alive: ${play} / ${loop}`);
      }
      assertEquals(loop.slice(-5), [CAP, CAP, CAP, CAP, CAP]);
    } finally {
      for (const u of made) spawnSync("userdel", [u]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
