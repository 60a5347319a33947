// Vault envelopes interoperate with ansible-vault in both directions; wrong passwords name the file.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./_assert.ts";
import { decryptVault, encryptVault, isVaultText, VaultError, VaultSecrets } from "../playbook/vault/mod.ts";
import { loadYamlFile, parseYaml } from "../playbook/yaml/mod.ts";
import type { VaultString } from "../playbook/values.ts";

import { DENO, MAIN, tool } from "./data_env.ts";

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "mito-vault-"));
}

const HOME = fs.mkdtempSync(path.join(os.tmpdir(), "mito-vault-home-"));

function env(_cwd: string): Record<string, string> {
  const home = HOME;
  // A clean HOME and no config so neither tool picks up the developer's settings.
  const e: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    LANG: "C.UTF-8",
  };
  return e;
}

function mito(args: string[], opts: { cwd: string; input?: string }) {
  const r = spawnSync(DENO, ["run", "-A", "-q", MAIN, "vault", ...args], {
    cwd: opts.cwd,
    input: opts.input ?? "",
    encoding: "utf8",
    env: env(opts.cwd),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ansibleVault(args: string[], opts: { cwd: string; input?: string }) {
  const r = spawnSync(tool("/usr/bin/ansible-vault"), args, {
    cwd: opts.cwd,
    input: opts.input ?? "",
    encoding: "utf8",
    env: env(opts.cwd),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const secrets = (password: string, id?: string) =>
  VaultSecrets.fromOptions({ passwords: [{ id, password }] });

Deno.test("encrypt then decrypt round-trips; the body is hex in 80-column lines", () => {
  const ct = encryptVault("line one\nline two\n", "pw");
  const lines = ct.trimEnd().split("\n");
  assertEquals(lines[0], "$ANSIBLE_VAULT;1.1;AES256");
  assert(lines.slice(1, -1).every((l) => /^[0-9a-f]{80}$/.test(l)));
  assert(isVaultText(ct));
  assertEquals(decryptVault(ct, secrets("pw")), "line one\nline two\n");
});

Deno.test("a vault id gives a 1.2 header and matching secrets are tried first", () => {
  const ct = encryptVault("x", "prodpw", "prod");
  assertEquals(ct.split("\n")[0], "$ANSIBLE_VAULT;1.2;AES256;prod");
  const s = VaultSecrets.fromOptions({
    passwords: [{ id: "dev", password: "devpw" }, { id: "prod", password: "prodpw" }],
  });
  assertEquals(s.candidates("prod").map((c) => c.id), ["prod", "dev"]);
  assertEquals(decryptVault(ct, s), "x");
});

Deno.test("a wrong password is a VaultError naming the file", () => {
  const ct = encryptVault("x", "right");
  assertThrows(
    () => decryptVault(ct, secrets("wrong"), "group_vars/all/vault.yml"),
    VaultError,
    "Decryption failed (no vault secrets were found that could decrypt) on group_vars/all/vault.yml",
  );
});

Deno.test("password files are stripped; executable password files are run; vault ids name sources", () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, "plain"), "  filepw \n");
  fs.writeFileSync(path.join(dir, "script.sh"), "#!/bin/sh\necho scriptpw\n", { mode: 0o755 });
  const s = VaultSecrets.fromOptions({
    passwordFiles: [path.join(dir, "plain")],
    vaultIds: [`prod@${path.join(dir, "script.sh")}`],
  });
  assertEquals(s.list().map((x) => [x.id, new TextDecoder().decode(x.password)]), [
    ["prod", "scriptpw"],
    ["default", "filepw"],
  ]);
  // a "*-client" script is told which vault id is wanted
  fs.writeFileSync(
    path.join(dir, "keyring-client.sh"),
    '#!/bin/sh\n[ "$1" = --vault-id ] && echo "pw-for-$2"\n',
    {
      mode: 0o755,
    },
  );
  const c = VaultSecrets.fromOptions({ vaultIds: [`staging@${path.join(dir, "keyring-client.sh")}`] });
  assertEquals(new TextDecoder().decode(c.list()[0].password), "pw-for-staging");
  fs.writeFileSync(path.join(dir, "failing.sh"), "#!/bin/sh\nexit 3\n", { mode: 0o755 });
  assertThrows(
    () => VaultSecrets.fromOptions({ passwordFiles: [path.join(dir, "failing.sh")] }),
    VaultError,
    `Vault password script ${path.join(dir, "failing.sh")} returned non-zero (3)`,
  );
  assertThrows(
    () => VaultSecrets.fromOptions({ passwordFiles: [path.join(dir, "missing")] }),
    VaultError,
    "missing",
  );
});

Deno.test("--ask-vault-pass without a terminal is a clear error", () => {
  assertThrows(
    () => VaultSecrets.fromOptions({ askVaultPass: true, prompt: undefined }),
    VaultError,
    "there is no terminal",
  );
});

Deno.test("mito encrypts, ansible-vault decrypts (1.1 and 1.2 with a vault id); mode is kept", () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, "pw"), "hunter2\n");
  fs.writeFileSync(path.join(dir, "secret.yml"), "db_password: s3cret\n", { mode: 0o640 });
  const r = mito(["encrypt", "--vault-password-file", "pw", "secret.yml"], { cwd: dir });
  assertEquals([r.code, r.stderr], [0, "Encryption successful\n"]);
  const enc = fs.readFileSync(path.join(dir, "secret.yml"), "utf8");
  assert(enc.startsWith("$ANSIBLE_VAULT;1.1;AES256\n"));
  assertEquals(fs.statSync(path.join(dir, "secret.yml")).mode & 0o777, 0o640);
  assertEquals(fs.readdirSync(dir).sort(), ["pw", "secret.yml"]);
  const a = ansibleVault(["view", "--vault-password-file", "pw", "secret.yml"], { cwd: dir });
  assertEquals([a.code, a.stdout], [0, "db_password: s3cret\n"]);

  fs.writeFileSync(path.join(dir, "other.txt"), "id data\n");
  const r2 = mito(["encrypt", "--vault-id", "prod@pw", "--output", "other.vault", "other.txt"], { cwd: dir });
  assertEquals(r2.code, 0, r2.stderr);
  assert(
    fs.readFileSync(path.join(dir, "other.vault"), "utf8").startsWith("$ANSIBLE_VAULT;1.2;AES256;prod\n"),
  );
  const a2 = ansibleVault(["decrypt", "--vault-id", "prod@pw", "--output", "-", "other.vault"], { cwd: dir });
  assertEquals([a2.code, a2.stdout], [0, "id data\n"]);
});

Deno.test("ansible-vault encrypts, mito decrypts; encrypt_string values load through !vault", () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, "pw"), "hunter2\n");
  fs.writeFileSync(path.join(dir, "vars.yml"), "token: abc123\nport: 8080\n");
  const a = ansibleVault(["encrypt", "--vault-password-file", "pw", "vars.yml"], { cwd: dir });
  assertEquals(a.code, 0, a.stderr);
  const v = mito(["view", "--vault-password-file", "pw", "vars.yml"], { cwd: dir });
  assertEquals([v.code, v.stdout], [0, "token: abc123\nport: 8080\n"]);
  // the loader decrypts whole vaulted files
  assertEquals(loadYamlFile(path.join(dir, "vars.yml"), { vault: secrets("hunter2") }), {
    token: "abc123",
    port: 8080,
  });
  const d = mito(["decrypt", "--vault-password-file", "pw", "vars.yml"], { cwd: dir });
  assertEquals([d.code, d.stderr], [0, "Decryption successful\n"]);
  assertEquals(fs.readFileSync(path.join(dir, "vars.yml"), "utf8"), "token: abc123\nport: 8080\n");

  const s = ansibleVault(["encrypt_string", "--vault-password-file", "pw", "--name", "api_key", "k-42"], {
    cwd: dir,
  });
  assertEquals(s.code, 0, s.stderr);
  const loaded = parseYaml(s.stdout, { file: "inline.yml", vault: secrets("hunter2") }) as Record<
    string,
    VaultString
  >;
  assertEquals(loaded.api_key.value, "k-42");
});

Deno.test("mito encrypt_string output is accepted by ansible-vault and by Ansible's YAML", () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, "pw"), "hunter2\n");
  const s = mito(["encrypt_string", "--vault-password-file", "pw", "--name", "db_pass", "p@ss"], {
    cwd: dir,
  });
  assertEquals(s.code, 0, s.stderr);
  assert(s.stdout.startsWith("db_pass: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n"), s.stdout);
  fs.writeFileSync(path.join(dir, "vars.yml"), s.stdout);
  const py = spawnSync(tool("/usr/bin/ansible"), [
    "localhost",
    "-m",
    "debug",
    "-a",
    "var=db_pass",
    "-e",
    "@vars.yml",
    "--vault-password-file",
    "pw",
  ], { cwd: dir, encoding: "utf8", env: env(dir) });
  assertStringIncludes(py.stdout, '"db_pass": "p@ss"');
});

Deno.test("a wrong password on the command line fails with exit 1 and names the file", () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, "pw"), "right\n");
  fs.writeFileSync(path.join(dir, "bad"), "wrong\n");
  fs.writeFileSync(path.join(dir, "f.yml"), encryptVault("a: 1\n", "right"));
  const r = mito(["view", "--vault-password-file", "bad", "f.yml"], { cwd: dir });
  assertEquals(r.code, 1);
  assertEquals(
    r.stderr,
    "ERROR! Decryption failed (no vault secrets were found that could decrypt) on f.yml\n",
  );
  const r2 = mito(["encrypt", "--vault-password-file", "pw", "f.yml"], { cwd: dir });
  assertEquals([r2.code, r2.stderr], [1, "ERROR! input is already encrypted: f.yml\n"]);
});

// Runs argv on a pseudo-terminal, answering each [prompt, answer] in turn, and returns what it showed.
const PTY_DRIVER = `
import json, os, pty, sys, time, select
pairs, argv = json.loads(sys.argv[1]), sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out, seen, deadline = b"", 0, time.time() + 60
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if not r:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    if pairs and pairs[0][0].encode() in out[seen:]:
        seen = len(out)
        os.write(fd, pairs.pop(0)[1].encode() + b"\\n")
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode())
sys.exit(os.waitstatus_to_exitcode(status))
`;

function onTerminal(pairs: [string, string][], args: string[], cwd: string) {
  return spawnSync(tool("/usr/bin/python3"), [
    "-c",
    PTY_DRIVER,
    JSON.stringify(pairs),
    DENO,
    "run",
    "-A",
    "-q",
    MAIN,
    ...args,
  ], {
    cwd,
    encoding: "utf8",
    env: env(cwd),
  });
}

Deno.test("--ask-vault-pass prompts on a terminal without echoing, and refuses without one", () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, "f.yml"), encryptVault("on a tty\n", "typed-pw"));
  const r = onTerminal(
    [["Vault password: ", "typed-pw"]],
    ["vault", "view", "--ask-vault-pass", "f.yml"],
    dir,
  );
  assertEquals([r.status, r.stdout], [0, "Vault password: \r\non a tty\r\n"]);
  const n = mito(["view", "--ask-vault-pass", "f.yml"], { cwd: dir });
  assertEquals(n.code, 1);
  assertStringIncludes(n.stderr, "there is no terminal; use --vault-password-file");
});

Deno.test("encrypt_string --prompt asks for a name and a hidden string on the terminal", () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, "pw"), "hunter2\n");
  const r = onTerminal(
    [["Variable name", "api_token"], ["String to encrypt (hidden): ", "tok-123"]],
    ["vault", "encrypt_string", "--vault-password-file", "pw", "--prompt"],
    dir,
  );
  assertEquals(r.status, 0, r.stdout);
  assert(!r.stdout.includes("tok-123"), r.stdout);
  const yamlText = r.stdout.slice(r.stdout.indexOf("api_token: !vault")).replaceAll("\r\n", "\n").replace(
    /Encryption successful\n?$/,
    "",
  );
  const v = parseYaml(yamlText, { file: "prompted.yml", vault: secrets("hunter2") }) as Record<
    string,
    VaultString
  >;
  assertEquals(v.api_token.value, "tok-123");
});

Deno.test("mito vault create and edit go through $EDITOR and keep the file's vault id", () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, "pw"), "hunter2\n");
  // An editor that appends a line: stands in for a person typing.
  fs.writeFileSync(path.join(dir, "append-editor"), '#!/bin/sh\necho "added: $(basename "$1")" >> "$1"\n', {
    mode: 0o755,
  });
  const run = (args: string[]) =>
    spawnSync(DENO, ["run", "-A", "-q", MAIN, "vault", ...args], {
      cwd: dir,
      encoding: "utf8",
      env: { ...env(dir), EDITOR: path.join(dir, "append-editor") },
    });
  let r = run(["create", "--vault-id", "prod@pw", "new.yml"]);
  assertEquals(r.status, 0, r.stderr);
  const created = fs.readFileSync(path.join(dir, "new.yml"), "utf8");
  assert(created.startsWith("$ANSIBLE_VAULT;1.2;AES256;prod\n"));
  assertEquals(
    ansibleVault(["view", "--vault-id", "prod@pw", "new.yml"], { cwd: dir }).stdout,
    "added: new.yml\n",
  );
  r = run(["edit", "--vault-id", "prod@pw", "new.yml"]);
  assertEquals(r.status, 0, r.stderr);
  assert(fs.readFileSync(path.join(dir, "new.yml"), "utf8").startsWith("$ANSIBLE_VAULT;1.2;AES256;prod\n"));
  assertEquals(
    ansibleVault(["view", "--vault-id", "prod@pw", "new.yml"], { cwd: dir }).stdout,
    "added: new.yml\nadded: new.yml\n",
  );
  r = run(["create", "--vault-id", "prod@pw", "new.yml"]);
  assertEquals([r.status, r.stderr], [1, "ERROR! new.yml exists, please use 'edit' instead\n"]);
  assertEquals(fs.readdirSync(dir).sort(), ["append-editor", "new.yml", "pw"]);
});
