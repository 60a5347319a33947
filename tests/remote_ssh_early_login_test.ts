// The early login (transports/ssh_early_login.ts) end to end against the test sshd: a run remembers its
// first ssh login, the next run with the same command line starts it before loading anything and uses it
// only if the run's own first ssh spawn is exactly that command. `ssh` on PATH is a wrapper that logs each
// start (and fails on demand), so the tests count the ssh processes each run started.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { testEnv } from "./_testenv.ts";
import { mitoIn, type Ran } from "./_run.ts";

const PLAY = [
  "- hosts: all",
  "  gather_facts: false",
  "  tasks:",
  "    - command: echo hello",
  "      register: out",
  "    - debug:",
  "        var: out.stdout",
  "",
].join("\n");

interface Setup {
  dir: string;
  run(env?: Record<string, string>): Ran;
  /** ssh processes started so far. */
  starts(): number;
  /** The logins remembered so far (one file per command line). */
  remembered(): string[];
  inventory(extraSshArgs: string): void;
  /** Makes every ssh started from now on fail as a refused connection does (after `delayS`). */
  failing(delayS: number): void;
  done(): void;
}

function setup(): Setup {
  const env = testEnv();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-early-login-"));
  fs.chmodSync(dir, 0o755);
  const log = path.join(dir, "ssh.log");
  const fail = path.join(dir, "fail");
  fs.mkdirSync(path.join(dir, "bin"));
  fs.writeFileSync(
    path.join(dir, "bin", "ssh"),
    [
      "#!/bin/sh",
      `echo "$$" >> '${log}'`,
      `if [ -e '${fail}' ]; then`,
      `  sleep "$(cat '${fail}')"`,
      "  echo 'ssh: connect to host 127.0.0.1 port 1: Connection refused' >&2",
      "  exit 255",
      "fi",
      'exec /usr/bin/ssh "$@"',
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(dir, "ansible.cfg"), "[defaults]\nretry_files_enabled = False\n");
  fs.writeFileSync(path.join(dir, "play.yml"), PLAY);
  const inventory = (extra: string) =>
    fs.writeFileSync(
      path.join(dir, "hosts"),
      `target ansible_host=${env.sshd.host} ansible_port=${env.sshd.port} ` +
        `ansible_user=${env.accounts.sudo_nopassword.user} ansible_ssh_private_key_file=${env.clientKey} ` +
        `ansible_python_interpreter=/usr/bin/python3 ` +
        `ansible_ssh_common_args='-o UserKnownHostsFile=${env.sshd.knownHosts} -o StrictHostKeyChecking=yes${extra}'\n`,
    );
  inventory("");
  const cache = path.join(dir, "cache");
  return {
    dir,
    run: (extra = {}) =>
      mitoIn(dir, ["-i", "hosts", "play.yml"], {
        PATH: `${path.join(dir, "bin")}:/usr/bin:/bin`,
        XDG_CACHE_HOME: cache,
        ...extra,
      }),
    starts: () => fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").length : 0,
    remembered: () => {
      const d = path.join(cache, "mito", "logins");
      return fs.existsSync(d) ? fs.readdirSync(d) : [];
    },
    inventory,
    failing: (delayS) => fs.writeFileSync(fail, String(delayS)),
    done: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** The recap line of a run's one host. */
function recap(r: Ran): string {
  return r.stdout.split("\n").find((l) => l.startsWith("target "))?.replace(/\s+/g, " ").trim() ?? "";
}

Deno.test("the next identical run starts the remembered login early and uses it: one ssh per run, same output", () => {
  const s = setup();
  try {
    const first = s.run();
    assertEquals(first.code, 0, first.stdout + first.stderr);
    assert(first.stdout.includes('"out.stdout": "hello"'), first.stdout);
    assertEquals(s.starts(), 1);
    assertEquals(s.remembered().length, 1);

    const second = s.run();
    assertEquals(second.code, 0, second.stdout + second.stderr);
    assertEquals(second.stdout, first.stdout);
    // It started the remembered login before anything else and then spawned nothing more: the run's
    // spawn took the early process (the next run shows that a different spawn is a second process).
    assertEquals(s.starts(), 2);

    // The inventory changes what ssh runs: the early login (the old argv) is killed unused, the run's own
    // spawn logs in, and its command line is remembered in its place.
    s.inventory(" -o ConnectionAttempts=1");
    const changed = s.run();
    assertEquals(changed.code, 0, changed.stdout + changed.stderr);
    assertEquals(changed.stdout, first.stdout);
    assertEquals(s.starts(), 4);
    assertEquals(s.remembered().length, 1);
    const again = s.run();
    assertEquals(again.code, 0, again.stdout + again.stderr);
    assertEquals(s.starts(), 5);
  } finally {
    s.done();
  }
});

Deno.test("MITO_EARLY_LOGIN=0 neither starts nor remembers a login", () => {
  const s = setup();
  try {
    for (let i = 1; i <= 2; i++) {
      const r = s.run({ MITO_EARLY_LOGIN: "0" });
      assertEquals(r.code, 0, r.stdout + r.stderr);
      assertEquals(s.starts(), i);
    }
    assertEquals(s.remembered(), []);
  } finally {
    s.done();
  }
});

Deno.test("a remembered login that fails, before or after the run takes it, fails the run as any login does", () => {
  const s = setup();
  try {
    const ok = s.run();
    assertEquals(ok.code, 0, ok.stdout + ok.stderr);
    for (const delayS of [0, 1]) {
      s.failing(delayS);
      const before = s.starts();
      const early = s.run();
      const plain = s.run({ MITO_EARLY_LOGIN: "0" });
      assertEquals(plain.code, 4, plain.stdout + plain.stderr);
      assert(plain.stdout.includes("UNREACHABLE!"), plain.stdout);
      assertEquals(
        recap(plain),
        "target : ok=0 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0",
      );
      assertEquals([early.code, early.stdout], [plain.code, plain.stdout]);
      // the early login ran; the run's own spawn started another ssh only if the early one had ended
      assert(s.starts() - before >= 2, `${s.starts() - before} ssh starts`);
    }
    // A failed login is not remembered in place of the one that worked.
    assertEquals(s.remembered().length, 1);
  } finally {
    s.done();
  }
});
