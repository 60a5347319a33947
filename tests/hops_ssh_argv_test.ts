// The OpenSSH command line mito builds for a hop, and how ssh's failures are classified.
import { assertEquals, assertThrows } from "./_assert.ts";
import { buildSshArgv, classifySshFailure, shellQuote, SshConfigError } from "../transports/_ssh_argv.ts";

Deno.test("shellQuote leaves plain words alone and single-quotes the rest", () => {
  assertEquals(shellQuote("/usr/bin/python3"), "/usr/bin/python3");
  assertEquals(shellQuote("import sys; print('x')"), `'import sys; print('"'"'x'"'"')'`);
  assertEquals(shellQuote(""), "''");
});

Deno.test("a key-based hop: defaults, BatchMode, enforced host keys, quoted remote command", () => {
  const argv = buildSshArgv(
    { hostname: "web1", port: 2222, username: "deploy", identityFile: "/k/id", knownHostsFile: "/k/known" },
    ["/usr/bin/python3", "-c", "print(1)"],
  );
  assertEquals(argv, [
    "ssh",
    "-p",
    "2222",
    "-l",
    "deploy",
    "-i",
    "/k/id",
    "-o",
    "ServerAliveInterval=30",
    "-o",
    "ServerAliveCountMax=10",
    "-o",
    "ConnectTimeout=10",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "UserKnownHostsFile=/k/known",
    "-o",
    "BatchMode=yes",
    "-T",
    "--",
    "web1",
    "/usr/bin/python3 -c 'print(1)'",
  ]);
});

Deno.test("a password hop allows one prompt and no BatchMode; ignore disables known_hosts", () => {
  const argv = buildSshArgv({
    hostname: "h",
    password: "secret",
    compression: false,
    keepaliveInterval: 5,
    keepaliveCount: 2,
    connectTimeout: 3,
    checkHostKeys: "ignore",
    sshPath: "/opt/ssh",
  }, "python3 -c pass");
  assertEquals(argv, [
    "/opt/ssh",
    "-o",
    "Compression=no",
    "-o",
    "ServerAliveInterval=5",
    "-o",
    "ServerAliveCountMax=2",
    "-o",
    "ConnectTimeout=3",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "NumberOfPasswordPrompts=1",
    "-o",
    "PreferredAuthentications=publickey,keyboard-interactive,password",
    "-T",
    "--",
    "h",
    "python3 -c pass",
  ]);
  assertEquals(argv.includes("secret"), false);
});

Deno.test("user ssh flags come first and replace mito's defaults for the same option", () => {
  const argv = buildSshArgv({
    hostname: "h",
    checkHostKeys: "accept",
    debugLevel: 2,
    sshArgs: "-C -o ControlMaster=auto -o ControlPersist=60s",
    sshCommonArgs: "-o ServerAliveInterval=7 -v",
    sshExtraArgs: ["-o", "ConnectTimeout=1"],
  }, "true");
  assertEquals(argv, [
    "ssh",
    "-C",
    "-o",
    "ControlMaster=auto",
    "-o",
    "ControlPersist=60s",
    "-o",
    "ServerAliveInterval=7",
    "-v",
    "-o",
    "ConnectTimeout=1",
    "-v",
    "-o",
    "ServerAliveCountMax=10",
    "-o",
    "StrictHostKeyChecking=accept-new",
    "-o",
    "BatchMode=yes",
    "-T",
    "--",
    "h",
    "true",
  ]);
});

Deno.test("conflicting ssh flags are reported together, naming each flag", () => {
  const err = assertThrows(
    () =>
      buildSshArgv({
        hostname: "h",
        port: 22,
        username: "a",
        password: "pw",
        sshExtraArgs: "-p 2200 -l b -o BatchMode=yes -t",
      }, "true"),
    SshConfigError,
  ) as SshConfigError;
  assertEquals(err.problems.map((p) => p.flag), ["-t", "-p 2200", "-l b", "-o BatchMode=yes"]);
  assertEquals(
    err.message,
    "invalid ssh arguments: -t forces a remote TTY, which would corrupt the binary protocol; " +
      "ssh arguments set port 2200 but the connection uses port 22; " +
      "ssh arguments set user b but the connection logs in as a; " +
      "BatchMode=yes in ssh arguments forbids the password given for this connection",
  );
});

Deno.test("ssh failures are classified from real OpenSSH messages", () => {
  const cases: [string, number, string, string][] = [
    [
      "root@127.0.0.1: Permission denied (publickey,password).\n",
      255,
      "auth",
      "ssh to h: authentication failed (root@127.0.0.1: Permission denied (publickey,password).)",
    ],
    [
      "No ED25519 host key is known for [127.0.0.1]:42222 and you have requested strict checking.\r\n" +
      "Host key verification failed.\r\n",
      255,
      "hostkey-unknown",
      "ssh to h: the host key is not in known_hosts and host key checking is enforced " +
      "(No ED25519 host key is known for [127.0.0.1]:42222 and you have requested strict checking.)",
    ],
    [
      "@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n" +
      "Host key for [127.0.0.1]:42222 has changed and you have requested strict checking.\n" +
      "Host key verification failed.\n",
      255,
      "hostkey-changed",
      "ssh to h: the host key has changed since it was recorded in known_hosts " +
      "(Host key for [127.0.0.1]:42222 has changed and you have requested strict checking.)",
    ],
    [
      "ssh: connect to host 127.0.0.1 port 1: Connection refused\n",
      255,
      "refused",
      "ssh to h: connection refused (ssh: connect to host 127.0.0.1 port 1: Connection refused)",
    ],
    [
      "Connection timed out during banner exchange\n",
      255,
      "timeout",
      "ssh to h: connection timed out (Connection timed out during banner exchange)",
    ],
    [
      "ssh: Could not resolve hostname nosuch.invalid: Name or service not known\n",
      255,
      "dns",
      "ssh to h: the host name could not be resolved " +
      "(ssh: Could not resolve hostname nosuch.invalid: Name or service not known)",
    ],
    [
      "bash: line 1: /usr/bin/python3: No such file or directory\n",
      127,
      "python-missing",
      "ssh to h: the remote interpreter /usr/bin/python3 was not found " +
      "(bash: line 1: /usr/bin/python3: No such file or directory)",
    ],
    ["", 3, "other", "ssh to h: ssh exited with status 3 before the remote runtime started"],
  ];
  for (const [stderr, code, kind, message] of cases) {
    const err = classifySshFailure("h", stderr, code, "/usr/bin/python3");
    assertEquals([err.kind, err.message], [kind, message]);
  }
});
