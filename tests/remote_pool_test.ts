// MITO_POOL_SIZE bounds how many connections are being set up at once (default 32), whatever the forks:
// six ssh hosts whose interpreters are slow to start are connected two at a time with a pool of 2.
// No clocks are compared: each slow interpreter marks itself open in a folder and records how many
// setups are open as it starts; for the unbounded case they meet at a rendezvous that only six setups
// running side by side can reach.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertEquals, assertMatch } from "./_assert.ts";
import { testEnv } from "./_testenv.ts";
import { mitoIn } from "./_run.ts";

type Wait = { kind: "pause" } | { kind: "rendezvous"; hosts: number };

/**
 * A shell wrapper around python3 that records "open N" (setups open as it starts, itself included),
 * then either pauses 0.5 s or waits (up to 30 s) until `hosts` wrappers have started, recording "met"
 * or "alone".
 */
function slowInterpreter(dir: string, host: string, wait: Wait): string {
  const marks = path.join(dir, "open");
  const started = path.join(dir, "started");
  const log = path.join(dir, "setups.log");
  const hold = wait.kind === "pause" ? "sleep 0.5\n" : `i=0\n` +
    `while [ "$(ls ${started} | wc -l)" -lt ${wait.hosts} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done\n` +
    `if [ $i -lt 300 ]; then echo met >> ${log}; else echo alone >> ${log}; fi\n`;
  const file = path.join(dir, `slow-python3-${host}`);
  fs.writeFileSync(
    file,
    `#!/bin/sh\nmkdir -p ${marks} ${started}\ntouch ${marks}/${host} ${started}/${host}\n` +
      `echo open $(ls ${marks} | wc -l) >> ${log}\n${hold}rm -f ${marks}/${host}\n` +
      `exec /usr/bin/python3 "$@"\n`,
    { mode: 0o755 },
  );
  return file;
}

function run(
  pool: string | undefined,
  options: { variable?: string; wait?: Wait } = {},
): { log: string[]; stdout: string; code: number } {
  const env = testEnv();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-pool-"));
  fs.chmodSync(dir, 0o755);
  try {
    // One interpreter path per host: the same ssh settings and interpreter would share one context.
    const hosts = ["[targets]"];
    for (let i = 1; i <= 6; i++) {
      const slow = slowInterpreter(dir, `h${i}`, options.wait ?? { kind: "pause" });
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
      ...(pool === undefined ? {} : { [options.variable ?? "MITO_POOL_SIZE"]: pool }),
    });
    const log = path.join(dir, "setups.log");
    return {
      log: fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [],
      stdout: r.stdout + r.stderr,
      code: r.code,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The most setups any interpreter saw open as it started. */
const mostOpen = (log: string[]) =>
  Math.max(...log.filter((l) => l.startsWith("open ")).map((l) => Number(l.slice(5))));

Deno.test("MITO_POOL_SIZE=2: no more than two connections are being set up at once", () => {
  const r = run("2");
  assertEquals(r.code, 0, r.stdout);
  assertEquals(r.log.filter((l) => l.startsWith("open ")).length, 6, r.log.join("\n"));
  assertEquals(mostOpen(r.log) <= 2, true, r.log.join("\n"));
});

Deno.test("by default the six hosts connect side by side: all six setups meet while still open", () => {
  const r = run(undefined, { wait: { kind: "rendezvous", hosts: 6 } });
  assertEquals(r.code, 0, r.stdout);
  assertEquals(
    r.log.filter((l) => l === "met" || l === "alone").sort(),
    Array(6).fill("met"),
    r.log.join("\n"),
  );
});

Deno.test("a MITO_POOL_SIZE that is not a positive integer is refused with its value", () => {
  const r = run("many");
  assertMatch(r.stdout, /MITO_POOL_SIZE must be a positive integer, not "many"/);
  assertEquals(r.code === 0, false);
});

Deno.test("Mitogen's MITOGEN_POOL_SIZE=2 bounds the setups as MITO_POOL_SIZE does, and is checked by its name", () => {
  const r = run("2", { variable: "MITOGEN_POOL_SIZE" });
  assertEquals(r.code, 0, r.stdout);
  assertEquals(mostOpen(r.log) <= 2, true, r.log.join("\n"));
  assertMatch(
    run("0", { variable: "MITOGEN_POOL_SIZE" }).stdout,
    /MITOGEN_POOL_SIZE must be a positive integer, not "0"/,
  );
});
