// `mito run` over chains that break at different hops: the bastion refuses (the controller's ssh fails),
// the bastion is fine but the host behind it refuses (the bastion's ssh fails), and the inner host named
// without a bastion (no route from the controller). Each such host is unreachable with its cause; the
// host behind the working bastion runs its tasks in the inner namespace all the same.
import * as fs from "node:fs";
import * as path from "node:path";
import { assertEquals, assertStringIncludes } from "./_assert.ts";
import { netnsEnv, testEnv } from "./_testenv.ts";
import { inventory, recap, runPlay, withOut } from "./netns_env.ts";

Deno.test("a broken chain makes only its host unreachable, with the hop's cause; the others run", () => {
  const env = testEnv();
  const ns = netnsEnv();
  const user = env.accounts.sudo_nopassword.user;
  const hosts = inventory([
    "[broken]",
    // Nothing listens on port 2222 in either namespace: connection refused, at once.
    `dead_bastion ansible_host=${ns.bastion.address} ansible_port=2222 ansible_user=${env.accounts.login.user} ` +
    `ansible_ssh_private_key_file=${env.clientKey}`,
    `behind_dead ansible_host=${ns.inner.address} ansible_user=${user} mitogen_via=dead_bastion`,
    `dead_inner ansible_host=${ns.inner.address} ansible_port=2222 ansible_user=${user} mitogen_via=bastion ` +
    `ansible_ssh_private_key_file=${ns.keys[env.accounts.login.user]}`,
    `direct ansible_host=${ns.inner.address} ansible_user=${user} ansible_ssh_private_key_file=${env.clientKey}`,
  ]);
  withOut((out) => {
    const r = runPlay(out, hosts, "unreachable.yml");
    assertEquals(r.stderr, "");
    assertEquals(recap(r.stdout), [
      "behind_dead : ok=0 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0",
      "dead_inner : ok=0 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0",
      "direct : ok=0 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0",
      "inner_nopw : ok=2 changed=2 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
    ]);
    assertEquals(r.code, 4);
    const fatal = (host: string, msg: string) =>
      `fatal: [${host}]: UNREACHABLE! => {"changed": false, "msg": ${
        JSON.stringify(msg)
      }, "unreachable": true}`;
    assertStringIncludes(
      r.stdout,
      fatal(
        "behind_dead",
        // its first hop, from the controller, is refused: ssh's own words, as Ansible's ssh plugin gives them
        "Failed to connect to the host via ssh: ssh: connect to host 10.199.1.2 port 2222: Connection refused",
      ),
    );
    assertStringIncludes(
      r.stdout,
      fatal(
        "dead_inner",
        "Failed to connect to the host: ssh to 10.199.2.2: connection refused (ssh: connect to host 10.199.2.2 port 2222: " +
          "Connection refused)\nssh: connect to host 10.199.2.2 port 2222: Connection refused",
      ),
    );
    assertStringIncludes(
      r.stdout,
      fatal(
        "direct",
        // reached from the controller: ssh's own words, as Ansible's ssh plugin gives them
        "Failed to connect to the host via ssh: ssh: connect to host 10.199.2.2 port 22: No route to host",
      ),
    );
    assertEquals(JSON.parse(fs.readFileSync(path.join(out, "inner_nopw.json"), "utf8")), [
      "10.199.2.2/24",
      "127.0.0.1/8",
    ]);
    assertEquals(fs.readdirSync(out).sort(), ["hosts", "inner_nopw.json"]);
  });
});
