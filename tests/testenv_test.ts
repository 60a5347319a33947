// The test environment does what the other tests rely on: key logins to every account, and the sudo
// rules each account stands for.
import { spawnSync } from "node:child_process";
import { assertEquals, assertStringIncludes } from "./_assert.ts";
import { sshOptions, testEnv } from "./_testenv.ts";

function ssh(user: string, command: string) {
  const env = testEnv();
  const r = spawnSync("ssh", [...sshOptions(env), `${user}@${env.sshd.host}`, command], {
    encoding: "utf8",
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

Deno.test("the client key logs in to root and to every account as that account", () => {
  const env = testEnv();
  for (const user of ["root", ...Object.values(env.accounts).map((a) => a.user)]) {
    const r = ssh(user, "id -un");
    assertEquals(r.stdout.trim(), user, r.stderr);
  }
});

Deno.test("sudo rules: NOPASSWD works without a password, the password account is asked for one", () => {
  const env = testEnv();
  assertEquals(ssh(env.accounts.sudo_nopassword.user, "sudo -n id -un").stdout.trim(), "root");
  const r = ssh(env.accounts.sudo_password.user, "sudo -n true");
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "a password is required");
  const withPw = ssh(
    env.accounts.sudo_password.user,
    `echo '${env.accounts.sudo_password.password}' | sudo -S -p '' id -un`,
  );
  assertEquals(withPw.stdout.trim(), "root");
});

Deno.test("the requiretty account cannot sudo without a terminal", () => {
  const env = testEnv();
  const r = ssh(env.accounts.requiretty.user, "sudo -n true");
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "tty");
});
