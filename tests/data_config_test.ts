// ansible.cfg and ANSIBLE_* settings resolve as ansible-core 2.14 resolves them.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertEquals, assertThrows } from "./_assert.ts";
import { tool } from "./data_env.ts";
import { ConfigError, findConfigFile, loadConfig } from "../playbook/config/mod.ts";

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "mito-cfg-"));
  fs.chmodSync(d, 0o755);
  return d;
}

const CFG = `[defaults]
forks = 20
inventory = hosts, other/inv
roles_path = roles:~/shared/roles
host_key_checking = False
remote_user = deploy
timeout: 30
stdout_callback = yaml ; a trailing comment
vault_password_file = ~/.vault_pass
gathering = explicit
# a comment line
; another

[privilege_escalation]
become = yes
become_user = admin

[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=30m
`;

Deno.test("defaults are ansible-core 2.14's when no config file or variable is set", () => {
  const home = tmp();
  const c = loadConfig({ env: {}, cwd: tmp(), home });
  assertEquals(c.file, fs.existsSync("/etc/ansible/ansible.cfg") ? "/etc/ansible/ansible.cfg" : undefined);
  if (c.file) return; // a machine-wide config changes the defaults; nothing more to check here
  assertEquals(
    [c.forks, c.timeout, c.hostKeyChecking, c.become, c.becomeMethod, c.becomeUser, c.strategy, c.gathering],
    [5, 10, true, false, "sudo", "root", "linear", "implicit"],
  );
  assertEquals(c.inventory, ["/etc/ansible/hosts"]);
  assertEquals(c.rolesPath, [`${home}/.ansible/roles`, "/usr/share/ansible/roles", "/etc/ansible/roles"]);
  assertEquals([c.stdoutCallback, c.interpreterPython, c.hashBehaviour, c.remoteTmp], [
    "default",
    "auto",
    "replace",
    "~/.ansible/tmp",
  ]);
  assertEquals([c.vaultPasswordFiles, c.vaultIdentityList, c.remoteUser, c.privateKeyFile], [
    [],
    [],
    undefined,
    undefined,
  ]);
});

Deno.test("./ansible.cfg values, paths resolved beside the file, match ansible-config dump", () => {
  const dir = tmp();
  const home = tmp();
  fs.writeFileSync(path.join(dir, "ansible.cfg"), CFG);
  const c = loadConfig({ env: {}, cwd: dir, home });
  assertEquals(c.file, path.join(dir, "ansible.cfg"));
  assertEquals(c.inventory, [path.join(dir, "hosts"), path.join(dir, "other/inv")]);
  assertEquals(c.rolesPath, [path.join(dir, "roles"), path.join(home, "shared/roles")]);
  assertEquals([c.forks, c.timeout, c.hostKeyChecking, c.remoteUser, c.stdoutCallback, c.gathering], [
    20,
    30,
    false,
    "deploy",
    "yaml",
    "explicit",
  ]);
  assertEquals([c.become, c.becomeUser, c.pipelining, c.sshArgs], [
    true,
    "admin",
    true,
    "-o ControlMaster=auto -o ControlPersist=30m",
  ]);
  assertEquals(c.vaultPasswordFiles, [path.join(home, ".vault_pass")]);
  assertEquals(c.sources.forks, `${path.join(dir, "ansible.cfg")}:2`);

  const r = spawnSync(tool("/usr/bin/ansible-config"), ["dump", "--only-changed"], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: "/usr/bin:/bin", HOME: home },
  });
  const dumped = Object.fromEntries(
    r.stdout.trim().split("\n").map((l) => /^(\w+)\([^)]*\) = (.*)$/.exec(l)).filter((m) => m).map((
      m,
    ) => [m![1], m![2]]),
  );
  assertEquals(dumped.DEFAULT_FORKS, String(c.forks));
  assertEquals(dumped.DEFAULT_TIMEOUT, String(c.timeout));
  assertEquals(dumped.DEFAULT_HOST_LIST, `[${c.inventory.map((p) => `'${p}'`).join(", ")}]`);
  assertEquals(dumped.DEFAULT_ROLES_PATH, `[${c.rolesPath.map((p) => `'${p}'`).join(", ")}]`);
  assertEquals(dumped.DEFAULT_VAULT_PASSWORD_FILE, c.vaultPasswordFiles[0]);
  assertEquals(dumped.DEFAULT_STDOUT_CALLBACK, c.stdoutCallback);
  assertEquals(dumped.HOST_KEY_CHECKING, "False");
  assertEquals(dumped.DEFAULT_BECOME_USER, "admin");
});

Deno.test("ANSIBLE_* variables override the file; ANSIBLE_CONFIG picks the file", () => {
  const dir = tmp();
  const other = tmp();
  fs.writeFileSync(path.join(dir, "ansible.cfg"), CFG);
  fs.writeFileSync(path.join(other, "custom.cfg"), "[defaults]\nforks = 3\n");
  const c = loadConfig({
    env: {
      ANSIBLE_FORKS: "7",
      ANSIBLE_BECOME: "false",
      ANSIBLE_INVENTORY: "a.ini,b.yml",
      ANSIBLE_ROLES_PATH: "/r1:/r2",
    },
    cwd: dir,
    home: tmp(),
  });
  assertEquals([c.forks, c.become, c.inventory, c.rolesPath], [7, false, [
    path.join(dir, "a.ini"),
    path.join(dir, "b.yml"),
  ], ["/r1", "/r2"]]);
  assertEquals(c.sources.forks, "env: ANSIBLE_FORKS");
  const d = loadConfig({ env: { ANSIBLE_CONFIG: path.join(other, "custom.cfg") }, cwd: dir, home: tmp() });
  assertEquals([d.file, d.forks], [path.join(other, "custom.cfg"), 3]);
});

Deno.test("~/.ansible.cfg is read when there is no ./ansible.cfg; a world-writable cwd is ignored", () => {
  const home = tmp();
  fs.writeFileSync(path.join(home, ".ansible.cfg"), "[defaults]\nforks = 9\n");
  const cwd = tmp();
  fs.writeFileSync(path.join(cwd, "ansible.cfg"), "[defaults]\nforks = 1\n");
  fs.chmodSync(cwd, 0o777);
  const warnings: string[] = [];
  assertEquals(findConfigFile({ env: {}, cwd, home }, warnings), path.join(home, ".ansible.cfg"));
  assertEquals(warnings.length, 1);
  assertEquals(loadConfig({ env: {}, cwd, home }).forks, 9);
});

Deno.test("bad values and bad syntax are errors naming the file and line", () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "ansible.cfg"), "[defaults]\nforks = 5\ntimeout = soon\n");
  assertThrows(
    () => loadConfig({ env: {}, cwd: dir, home: tmp() }),
    ConfigError,
    `${path.join(dir, "ansible.cfg")}:3: invalid value 'soon' for timeout: expected an integer`,
  );
  fs.writeFileSync(path.join(dir, "ansible.cfg"), "[defaults]\nforks = 5\nthis line is wrong\n");
  assertThrows(
    () => loadConfig({ env: {}, cwd: dir, home: tmp() }),
    ConfigError,
    `${path.join(dir, "ansible.cfg")}:3:`,
  );
  fs.writeFileSync(path.join(dir, "ansible.cfg"), "[privilege_escalation]\nbecome = perhaps\n");
  assertThrows(
    () => loadConfig({ env: {}, cwd: dir, home: tmp() }),
    ConfigError,
    ":2: invalid value 'perhaps' for become",
  );
  assertThrows(
    () => loadConfig({ env: { ANSIBLE_FORKS: "many" }, cwd: tmp(), home: tmp() }),
    ConfigError,
    "environment variable ANSIBLE_FORKS: invalid value 'many' for forks",
  );
});
