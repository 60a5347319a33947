// MITO_POOL_SIZE bounds how many connections are being set up at once (default 32), whatever the forks:
// six ssh hosts whose interpreter takes a second to start are connected two at a time with a pool of 2.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { testEnv } from "./_testenv.ts";
import { mitoIn } from "./_run.ts";

/** The most intervals open at one instant, from "start T" / "end T" lines. */
function maxOverlap(log: string): number {
  const events = log.trim().split("\n").map((l) => l.split(" ")).map((
    [k, t],
  ) => [Number(t), k === "start" ? 1 : -1]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, d] of events) most = Math.max(most, open += d);
  return most;
}

function run(
  pool: string | undefined,
  variable = "MITO_POOL_SIZE",
): { log: string; stdout: string; code: number } {
  const env = testEnv();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-pool-"));
  fs.chmodSync(dir, 0o755);
  try {
    const log = path.join(dir, "starts.log");
    // One interpreter path per host: the same ssh settings and interpreter would share one context.
    const hosts = ["[targets]"];
    for (let i = 1; i <= 6; i++) {
      const slow = path.join(dir, `slow-python3-h${i}`);
      fs.writeFileSync(
        slow,
        `#!/bin/sh\necho start $(date +%s.%N) >> ${log}\nsleep 1\necho end $(date +%s.%N) >> ${log}\n` +
          `exec /usr/bin/python3 "$@"\n`,
        { mode: 0o755 },
      );
      hosts.push(
        `h${i} ansible_host=${env.sshd.host} ansible_port=${env.sshd.port} ansible_user=root ` +
          `ansible_ssh_private_key_file=${env.clientKey} ansible_python_interpreter=${slow} ` +
          `ansible_ssh_common_args='-o UserKnownHostsFile=${env.sshd.knownHosts} -o StrictHostKeyChecking=yes'`,
      );
    }
    fs.writeFileSync(path.join(dir, "hosts"), hosts.join("\n") + "\n");
    fs.writeFileSync(path.join(dir, "ansible.cfg"), "[defaults]\nforks = 10\n");
    fs.writeFileSync(
      path.join(dir, "play.yml"),
      "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n",
    );
    const r = mitoIn(dir, ["-i", "hosts", "play.yml"], {
      MITO_MODULES: "builtin",
      ...(pool === undefined ? {} : { [variable]: pool }),
    });
    return {
      log: fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "",
      stdout: r.stdout + r.stderr,
      code: r.code,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

Deno.test("MITO_POOL_SIZE=2: at most two connections are being set up at once", () => {
  const r = run("2");
  assertEquals(r.code, 0, r.stdout);
  assertEquals(r.log.trim().split("\n").length, 12, r.log);
  assertEquals(maxOverlap(r.log), 2, r.log);
});

Deno.test("by default the six hosts connect side by side (how many overlap depends on ssh's own pace)", () => {
  const r = run(undefined);
  assertEquals(r.code, 0, r.stdout);
  assert(maxOverlap(r.log) >= 4, r.log);
});

Deno.test("a MITO_POOL_SIZE that is not a positive integer is refused with its value", () => {
  const r = run("many");
  assertMatch(r.stdout, /MITO_POOL_SIZE must be a positive integer, not "many"/);
  assertEquals(r.code === 0, false);
});

Deno.test("Mitogen's MITOGEN_POOL_SIZE=2 bounds the setups as MITO_POOL_SIZE does, and is checked by its name", () => {
  const r = run("2", "MITOGEN_POOL_SIZE");
  assertEquals(r.code, 0, r.stdout);
  assertEquals(maxOverlap(r.log), 2, r.log);
  assertMatch(run("0", "MITOGEN_POOL_SIZE").stdout, /MITOGEN_POOL_SIZE must be a positive integer, not "0"/);
});
