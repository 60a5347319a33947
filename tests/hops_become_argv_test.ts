// bootstrap/become.py's pure parts, run in the real target interpreter: the sudo/su/doas command lines,
// sudo flag parsing and password prompt recognition.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { assertEquals } from "./_assert.ts";

const bootstrap = fileURLToPath(new URL("../bootstrap", import.meta.url));

/** Runs `expr` (a Python expression over the module `become`) and returns its JSON value. */
function py(expr: string): unknown {
  const code = [
    "import json, sys",
    `sys.path.insert(0, ${JSON.stringify(bootstrap)})`,
    "import become",
    "try:",
    `    out = ${expr}`,
    "except become.BecomeError as e:",
    "    out = {'error': e.kind, 'message': e.message}",
    "sys.stdout.write(json.dumps(out))",
  ].join("\n");
  const text = execFileSync("/usr/bin/python3", ["-c", code], {
    encoding: "utf8",
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    timeout: 10_000,
  });
  return JSON.parse(text);
}

const CMD = `["/usr/bin/python3", "-c", "print('a b')"]`;

Deno.test("sudo: -u, the prompt marker, -n without a password, ansible's default flags", () => {
  // -S is kept where mito types no password (with -n it reads nothing): the command Ansible's shows
  assertEquals(py(`become.sudo_argv(${CMD}, "root", None, None, "-H -S -n", "MARK:")`), [
    "sudo",
    "-H",
    "-S",
    "-u",
    "root",
    "-p",
    "MARK:",
    "-n",
    "--",
    "/usr/bin/python3",
    "-c",
    "print('a b')",
  ]);
  assertEquals(
    py(`become.sudo_argv(["true"], "postgres", "pw", "/usr/local/bin/sudo", "-E -p 'old:'", "M:")`),
    [
      "/usr/local/bin/sudo",
      "-E",
      "-u",
      "postgres",
      "-p",
      "M:",
      "--",
      "true",
    ],
  );
});

Deno.test("sudo flags: forwarded, dropped and refused with the reason", () => {
  assertEquals(py(`become.parse_sudo_flags("-HE -iu admin -g wheel -S -n")`), [[
    "-H",
    "-E",
    "-i",
    "-g",
    "wheel",
    "-S",
  ], "admin"]);
  // with a password -S goes: mito types it on its PTY, and the child's stdin is the protocol's
  assertEquals(py(`become.sudo_argv(["true"], "root", "pw", None, "-H -S -n", "M:")`), [
    "sudo",
    "-H",
    "-u",
    "root",
    "-p",
    "M:",
    "--",
    "true",
  ]);
  assertEquals(py(`become.sudo_argv(["true"], "root", None, None, "-u admin", "M:")`), {
    error: "bad-flags",
    message: "sudo flags name user admin but the become user is root",
  });
  assertEquals(py(`become.parse_sudo_flags("-b")`), {
    error: "bad-flags",
    message: "sudo flag -b runs the command in the background, detached from the protocol",
  });
  assertEquals(py(`become.parse_sudo_flags("-Z")`), {
    error: "bad-flags",
    message: "-Z is not a sudo(8) flag",
  });
  assertEquals(py(`become.parse_sudo_flags(["-u"])`), {
    error: "bad-flags",
    message: "sudo flag -u needs an argument",
  });
  assertEquals(py(`become.parse_sudo_flags("root")`), {
    error: "bad-flags",
    message: "unexpected argument 'root' in sudo flags",
  });
});

Deno.test("su runs the quoted command under the user's shell; doas adds -n without a password", () => {
  assertEquals(py(`become.su_argv(${CMD}, "app", None, "-l")`), [
    "su",
    "-l",
    "app",
    "-c",
    `/usr/bin/python3 -c 'print('"'"'a b'"'"')'`,
  ]);
  assertEquals(py(`become.doas_argv(["true"], "root", None)`), ["doas", "-n", "-u", "root", "--", "true"]);
  assertEquals(py(`become.doas_argv(["true"], "www", "pw", "/usr/bin/doas")`), [
    "/usr/bin/doas",
    "-u",
    "www",
    "--",
    "true",
  ]);
});

Deno.test("password prompts are recognised in several languages, banners are not", () => {
  const prompts = [
    "Password: ",
    "Mot de passe : ",
    "Passwort: ",
    "Contraseña:",
    "Пароль: ",
    "密码：",
    "\rdoas (alice@vm) password: ",
    "alice@127.0.0.1's password: ",
    "[sudo] password for alice: ",
    "Enter passphrase for key '/home/a/.ssh/id_ed25519': ",
  ];
  const notPrompts = ["Last login: today\n", "Password changed.\n", "Your password will expire in 3 days\n"];
  const check = (texts: string[]) =>
    py(`[become._PASSWORD_PROMPT.search(t) is not None for t in ${JSON.stringify(texts)}]`);
  assertEquals(check(prompts), prompts.map(() => true));
  assertEquals(check(notPrompts), notPrompts.map(() => false));
});

Deno.test("prompt markers are unique per spawn", () => {
  const [a, b] = py("[become.unique_marker(), become.unique_marker()]") as string[];
  assertEquals(/^mito-sudo-password-[0-9a-f]{16}:$/.test(a), true);
  assertEquals(a === b, false);
});

Deno.test("sudo, su and doas messages are classified into exact causes", () => {
  const cases: [string, string, string | null][] = [
    ["_SUDO_ERRORS", "sudo: sorry, you must have a tty to run sudo\r\n", "requiretty"],
    ["_SUDO_ERRORS", "sudo: a password is required\r\n", "password-required"],
    ["_SUDO_ERRORS", "sudo: a terminal is required to read the password\r\n", "password-required"],
    ["_SUDO_ERRORS", "Sorry, try again.\r\n", "wrong-password"],
    ["_SUDO_ERRORS", "sudo: 3 incorrect password attempts\r\n", "wrong-password"],
    ["_SUDO_ERRORS", "sudo: unknown user ghost\r\n", "unknown-user"],
    ["_SUDO_ERRORS", "alice is not in the sudoers file.\r\n", "not-allowed"],
    ["_SUDO_ERRORS", "Sorry, user alice is not allowed to execute '/bin/sh' as bob on h.\r\n", "not-allowed"],
    ["_SU_ERRORS", "su: Authentication failure\r\n", "wrong-password"],
    [
      "_SU_ERRORS",
      "su: user ghost does not exist or the user entry does not contain all the required fields\r\n",
      "unknown-user",
    ],
    ["_DOAS_ERRORS", "doas: Authentication failed\r\n", "wrong-password"],
    ["_DOAS_ERRORS", "doas: Authentication required\r\n", "password-required"],
    ["_DOAS_ERRORS", "doas: Operation not permitted\r\n", "not-allowed"],
    ["_SUDO_ERRORS", "Last login: Mon\r\n", null],
  ];
  const got = py(
    `[(lambda r: r and r[0])(become._classify(getattr(become, t[0]), t[1])) for t in ${
      JSON.stringify(cases.map(([table, text]) => [table, text]))
    }]`,
  );
  assertEquals(got, cases.map(([, , kind]) => kind));
});
