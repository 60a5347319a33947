// delegate_to on the test sshd: the delegated task logs in as the delegate's ansible_user (not the
// delegating host's), and delegate_to localhost runs locally as the controller's user.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertEquals, assertMatch } from "./_assert.ts";
import { testEnv } from "./_testenv.ts";
import { mitoIn, ROOT } from "./_run.ts";

Deno.test("a delegated task connects with the delegate's variables; local actions run side by side", () => {
  const env = testEnv();
  const a = env.accounts;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-delegate-"));
  try {
    const hosts = path.join(dir, "hosts");
    const h = `ansible_host=${env.sshd.host} ansible_port=${env.sshd.port}`;
    fs.writeFileSync(
      hosts,
      [
        `web ${h} ansible_user=${a.login.user}`,
        `db ${h} ansible_user=${a.sudo_nopassword.user}`,
        "[many]",
        ...Array.from({ length: 8 }, (_, i) => `m${i}`),
        "[all:vars]",
        `ansible_ssh_private_key_file=${env.clientKey}`,
        `ansible_ssh_common_args='-o UserKnownHostsFile=${env.sshd.knownHosts} -o StrictHostKeyChecking=yes'`,
        "ansible_python_interpreter=/usr/bin/python3",
        "",
      ].join("\n"),
    );
    const r = mitoIn(path.join(ROOT, "tests/via"), [
      "-i",
      hosts,
      "delegate.yml",
      "-e",
      `web_user=${a.login.user} db_user=${a.sudo_nopassword.user} controller_user=${os.userInfo().username}`,
    ], { MITO_MODULES: "builtin" });
    assertEquals(r.stderr, "");
    assertMatch(r.stdout, /web\s+: ok=6\s+changed=4\s+unreachable=0\s+failed=0/);
    for (let i = 0; i < 8; i++) assertMatch(r.stdout, new RegExp(`m${i}\\s+: ok=${i ? 1 : 2}\\s.*failed=0`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
