// `mito run` through a mitogen_via chain on the test sshd: the controller logs in over ssh as one account
// (key), that context logs in over ssh as another account (password), which becomes root with sudo. The
// process tree shows the hops nest: the module's python is root's, its parent is sudo, whose parent is the
// second account's python; the ssh client that made that login belongs to the first account's python.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertEquals, assertMatch } from "./_assert.ts";
import { testEnv } from "./_testenv.ts";
import { mitoIn, ROOT } from "./_run.ts";

const DIR = path.join(ROOT, "tests/via");

interface Proc {
  pid: number;
  ppid: number;
  user: string;
  comm: string;
  args: string;
}

function procs(text: string): Map<number, Proc> {
  const out = new Map<number, Proc>();
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (m) out.set(+m[1], { pid: +m[1], ppid: +m[2], user: m[3], comm: m[4], args: m[5] });
  }
  return out;
}

Deno.test("a via chain ssh(key) -> ssh(password) -> sudo nests its hops and reports them", () => {
  const env = testEnv();
  const a = env.accounts;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "mito-via-"));
  fs.chmodSync(out, 0o755);
  try {
    const hosts = path.join(out, "hosts");
    const h = `ansible_host=${env.sshd.host} ansible_port=${env.sshd.port}`;
    fs.writeFileSync(
      hosts,
      [
        "[targets]",
        `bastion ${h} ansible_user=${a.login.user} ansible_ssh_private_key_file=${env.clientKey}`,
        // The second login runs as the bastion's account, which cannot read root's key: password only.
        `target ${h} ansible_user=${a.sudo_nopassword.user} ansible_password=${a.sudo_nopassword.password} ` +
        `mitogen_via=bastion ansible_become=true ansible_ssh_args='-o PubkeyAuthentication=no'`,
        "[all:vars]",
        `ansible_ssh_common_args='-o UserKnownHostsFile=${env.sshd.knownHosts} -o StrictHostKeyChecking=yes'`,
        "ansible_python_interpreter=/usr/bin/python3",
        "",
      ].join("\n"),
    );
    const r = mitoIn(DIR, ["-i", hosts, "chain.yml", "-e", `out=${out}`], { MITO_MODULES: "builtin" });
    assertEquals(r.stderr, "");
    assertMatch(r.stdout, /target\s+: ok=4\s+changed=\d+\s+unreachable=0\s+failed=0/);

    const result = JSON.parse(fs.readFileSync(path.join(out, "result.json"), "utf8"));
    assertEquals(result.who, "root");
    assertEquals(result.stack.map((s: { method: string }) => s.method), ["ssh", "ssh", "sudo"]);
    assertEquals(
      result.stack.map((s: { kwargs: Record<string, unknown> }) => s.kwargs.username),
      [
        a.login.user,
        a.sudo_nopassword.user,
        "root",
      ],
    );
    assertEquals(result.stack[1].kwargs.password, "********");

    // Ancestors of the module's shell: root's python (the sudo hop), sudo, then the second account's python.
    const anc = [...procs(fs.readFileSync(path.join(out, "ancestors"), "utf8")).values()];
    // (sudo with a pty runs as two processes, a monitor and its child: one step here)
    const chain = anc.slice(1).map((p) => `${p.user}:${p.comm.startsWith("mito:") ? "mito" : p.comm}`)
      .filter((step, i, all) => step !== all[i - 1]);
    assertEquals(chain.slice(0, 3), ["root:mito", "root:sudo", `${a.sudo_nopassword.user}:mito`]);

    // The second login was made by an ssh client whose parent is the first account's python, itself a
    // login from the controller (its parent is an sshd session, not the sudo or the controller).
    const all = procs(fs.readFileSync(path.join(out, "all"), "utf8"));
    const clients = [...all.values()].filter((p) =>
      p.user === a.login.user && p.comm === "ssh" && p.args.includes(a.sudo_nopassword.user)
    );
    assertEquals(clients.length, 1, `one ssh client of ${a.login.user}: ${JSON.stringify(clients)}`);
    const bastionPy = all.get(clients[0].ppid)!;
    assertEquals([bastionPy.user, bastionPy.comm.startsWith("mito:")], [a.login.user, true]);
    assertMatch(all.get(bastionPy.ppid)?.comm ?? "", /^(sshd|bash|sh)/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
