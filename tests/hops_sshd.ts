// A private OpenSSH server for transport tests that need no accounts: the current user logs in with a key
// generated here. Own host key, known_hosts and config in a temp dir, 127.0.0.1 on a free port, started in
// the foreground so it is stopped by its pid. Accounts, passwords and sudoers come from the shared test
// environment instead (tests/hops_env.ts).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export interface PrivateSshd {
  host: string;
  port: number;
  user: string;
  clientKey: string;
  knownHosts: string;
  dir: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function keygen(path: string): void {
  const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "mito-hops-test", "-f", path], {
    encoding: "utf8",
    timeout: 10_000,
  });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.error?.message ?? r.stderr}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export async function startPrivateSshd(): Promise<PrivateSshd> {
  const dir = mkdtempSync(join(tmpdir(), "mito-hops-sshd-"));
  let child: ChildProcess | undefined;
  try {
    keygen(join(dir, "host_key"));
    keygen(join(dir, "client_key"));
    writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "client_key.pub")));
    const port = await freePort();
    const config = [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${join(dir, "host_key")}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "PermitRootLogin prohibit-password",
      "AllowAgentForwarding yes",
      "",
    ].join("\n");
    writeFileSync(join(dir, "sshd_config"), config);
    const knownHosts = join(dir, "known_hosts");
    const hostPub = readFileSync(join(dir, "host_key.pub"), "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
    writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostPub}\n`);
    child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", join(dir, "sshd_config")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    child.stderr!.on("data", (d: Uint8Array) => (log += new TextDecoder().decode(d)));
    for (let i = 0; i < 500 && !(await accepts(port)); i++) {
      if (child.exitCode !== null) throw new Error(`the private sshd exited at once: ${log.trim()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    if (!(await accepts(port))) throw new Error(`the private sshd did not listen within 5 s: ${log.trim()}`);
    const proc = child;
    return {
      host: "127.0.0.1",
      port,
      user: userInfo().username,
      clientKey: join(dir, "client_key"),
      knownHosts,
      dir,
      async stop() {
        if (proc.exitCode === null && proc.signalCode === null) {
          const gone = new Promise((r) => proc.once("exit", r));
          proc.kill("SIGTERM");
          await gone;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
