// `mito stack` for the namespace chain (controller → ssh bastion → ssh inner → sudo), compared with the
// exact expected JSON, and the same hops reported by mitogen_get_stack from inside a run over that chain.
import * as fs from "node:fs";
import * as path from "node:path";
import { assertEquals } from "./_assert.ts";
import { netnsEnv, testEnv } from "./_testenv.ts";
import { DENO, ROOT, runIn } from "./_run.ts";
import { FIXTURES, inventory, recap, runPlay, withOut } from "./netns_env.ts";

const env = testEnv();
const ns = netnsEnv();

const sshArgs = [
  "-C",
  "-o",
  "ControlMaster=auto",
  "-o",
  "ControlPersist=60s",
  "-o",
  `UserKnownHostsFile=${ns.knownHosts}`,
  "-o",
  "StrictHostKeyChecking=yes",
];

function sshHop(hostname: string, username: string, identityFile: string) {
  return {
    kwargs: {
      check_host_keys: "enforce",
      compression: false,
      connect_timeout: 10,
      hostname,
      identities_only: false,
      identity_file: identityFile,
      keepalive_count: 10,
      keepalive_interval: 30,
      password: null,
      port: null,
      python_path: "/usr/bin/python3",
      remote_name: null,
      ssh_args: sshArgs,
      ssh_debug_level: null,
      ssh_path: "ssh",
      username,
    },
    method: "ssh",
  };
}

/** inner_pw with become: the bastion's login, the inner login with the bastion account's key, sudo. */
const EXPECTED_INNER_PW_BECOME = [
  sshHop("10.199.1.2", env.accounts.login.user, env.clientKey),
  sshHop("10.199.2.2", env.accounts.sudo_password.user, ns.keys[env.accounts.login.user]),
  {
    kwargs: {
      connect_timeout: 10,
      password: "********",
      python_path: "/usr/bin/python3",
      remote_name: null,
      sudo_args: ["-H"],
      sudo_path: null,
      username: "root",
    },
    method: "sudo",
  },
];

Deno.test("mito stack inner_pw -b: ssh bastion, ssh inner with the bastion account's key, sudo (password masked)", () => {
  withOut((out) => {
    fs.writeFileSync(path.join(out, "hosts"), inventory());
    const r = runIn(FIXTURES, DENO, [
      "run",
      "-A",
      path.join(ROOT, "cli/bin.ts"),
      "stack",
      "inner_pw",
      "-i",
      path.join(out, "hosts"),
      "-b",
    ]);
    assertEquals([r.code, r.stderr], [0, ""]);
    assertEquals(JSON.parse(r.stdout), EXPECTED_INNER_PW_BECOME);
    assertEquals(r.stdout.includes(env.accounts.sudo_password.password), false);
  });
});

Deno.test("mitogen_get_stack in a run over the chain reports the same hops as mito stack", () => {
  withOut((out) => {
    const r = runPlay(out, inventory(), "stack.yml", ["--limit", "inner_pw"]);
    assertEquals(r.stderr, "");
    assertEquals(recap(r.stdout), [
      "inner_pw : ok=2 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
    ]);
    const stack = JSON.parse(fs.readFileSync(path.join(out, "inner_pw.stack.json"), "utf8"));
    assertEquals(stack, EXPECTED_INNER_PW_BECOME);
  });
});
