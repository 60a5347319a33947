// A private OpenSSH server for transport tests that need no accounts: the current user logs in with a key
// generated here. Own host key, known_hosts and config in a temp dir, 127.0.0.1 on a free port, started in
// the foreground so it is stopped by its pid. Accounts, passwords and sudoers come from the shared test
// environment instead (tests/hops_env.ts).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
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

export interface PrivateSshdOptions {
  /** Also serve an RSA host key (known_hosts still lists only the ed25519 one). */
  rsaHostKey?: boolean;
}

/** A free TCP port on 127.0.0.1 (bound and released, for a server started right after to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function keygen(path: string, type = "ed25519"): void {
  const r = spawnSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "mito-hops-test", "-f", path], {
    encoding: "utf8",
    timeout: 10_000,
  });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.error?.message ?? r.stderr}`);
}

/** Starts sshd on `port`; resolves with the process once it says it listens, undefined if it cannot bind. */
function launch(dir: string, port: number, opts: PrivateSshdOptions): Promise<ChildProcess | undefined> {
  const config = [
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${join(dir, "host_key")}`,
    ...(opts.rsaHostKey ? [`HostKey ${join(dir, "host_key_rsa")}`] : []),
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
  const child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", join(dir, "sshd_config")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the private sshd did not start listening within 10 s: ${log.trim()}`));
    }, 10_000);
    child.stderr!.on("data", (d: Uint8Array) => {
      log += new TextDecoder().decode(d);
      if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once("exit", () => {
      clearTimeout(timer);
      if (/Bind to port|Address already in use|Cannot bind/.test(log)) resolve(undefined);
      else reject(new Error(`the private sshd exited at once: ${log.trim()}`));
    });
  });
}

/** Every directory this process made for a private sshd (tests check that none is left behind). */
export const privateSshdDirs: string[] = [];

export async function startPrivateSshd(opts: PrivateSshdOptions = {}): Promise<PrivateSshd> {
  const dir = mkdtempSync(join(tmpdir(), "mito-hops-sshd-"));
  privateSshdDirs.push(dir);
  let child: ChildProcess | undefined;
  try {
    keygen(join(dir, "host_key"));
    if (opts.rsaHostKey) keygen(join(dir, "host_key_rsa"), "rsa");
    keygen(join(dir, "client_key"));
    writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "client_key.pub")));
    // A port found free may be taken again before sshd binds it: then try another.
    let port = 0;
    for (let attempt = 0; attempt < 5 && !child; attempt++) {
      port = await freePort();
      child = await launch(dir, port, opts);
    }
    if (!child) throw new Error("the private sshd could not bind a loopback port in 5 attempts");
    const knownHosts = join(dir, "known_hosts");
    const hostPub = readFileSync(join(dir, "host_key.pub"), "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
    writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostPub}\n`);
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
