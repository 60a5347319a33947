// get_url, uri and wait_for against an HTTP server this test starts on loopback and stops by pid.
import { assert, assertEquals } from "./_assert.ts";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { callMany, PYTHON, run, runTwice, tempDir } from "./modules_harness.ts";

const SERVER = `
import http.server, json, socketserver, sys, os
root = sys.argv[1]
class H(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=root, **kw)
    def log_message(self, *a):
        pass
    def _echo(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode()
        if self.path.startswith("/status/"):
            code = int(self.path.split("/")[2])
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"status body")
            return
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/hello.txt")
            self.end_headers()
            return
        out = json.dumps({"method": self.command, "path": self.path, "body": body,
                          "ctype": self.headers.get("Content-Type"), "x": self.headers.get("X-Test")}).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def do_GET(self):
        if self.path.startswith(("/echo", "/status/", "/redirect")):
            return self._echo()
        return super().do_GET()
    do_POST = do_PUT = do_DELETE = _echo
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.timeout = 1
import threading, time
threading.Timer(120, lambda: os._exit(0)).start()  # bounded even if the test dies
s.serve_forever()
`;

async function withServer(fn: (base: string, root: string) => Promise<void> | void) {
  const root = tempDir("mito-www-");
  const child = new Deno.Command(PYTHON, { args: ["-c", SERVER, root], stdout: "piped", stderr: "inherit" })
    .spawn();
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("test HTTP server did not start");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  try {
    await fn(`http://127.0.0.1:${parseInt(text)}`, root);
  } finally {
    Deno.kill(child.pid, "SIGTERM");
    await child.stdout.cancel();
    await child.status;
  }
}

const sha = (algo: string, s: string) => createHash(algo).update(s).digest("hex");

Deno.test("get_url downloads once, honours force, checksum and mode", async () => {
  await withServer((base, root) => {
    writeFileSync(join(root, "hello.txt"), "hello world\n");
    const d = tempDir();
    const dest = join(d, "hello.txt");
    const [a, b] = runTwice("get_url", { url: `${base}/hello.txt`, dest, mode: "0640" });
    assertEquals([a.changed, b.changed], [true, false]);
    assertEquals(readFileSync(dest, "utf-8"), "hello world\n");
    assertEquals((statSync(dest).mode & 0o777).toString(8), "640");
    assertEquals(a.status_code, 200);
    assertEquals(a.checksum_src, sha("sha1", "hello world\n"));
    assertEquals(a.checksum_dest, null); // nothing was there before
    assertEquals(a.size, 12);
    assertEquals(a.msg, "OK (12 bytes)");
    assertEquals(b.status_code, 304); // asked with If-Modified-Since, as Ansible does
    // changed content on the server + force=yes downloads again
    writeFileSync(join(root, "hello.txt"), "new content\n");
    const f = run("get_url", { url: `${base}/hello.txt`, dest, force: true, backup: true });
    assertEquals(f.changed, true);
    assertEquals(readFileSync(dest, "utf-8"), "new content\n");
    assertEquals(readFileSync(f.backup_file, "utf-8"), "hello world\n");
    // a checksum that matches the existing file means no download
    const c = run("get_url", {
      url: `${base}/hello.txt`,
      dest,
      checksum: `sha256:${sha("sha256", "new content\n")}`,
    });
    assertEquals(c.changed, false);
    const bad = run("get_url", {
      url: `${base}/hello.txt`,
      dest: join(d, "other"),
      checksum: `sha256:${"0".repeat(64)}`,
    });
    assertEquals(bad.failed, true);
    assert(bad.msg.startsWith("The checksum for "));
    assertEquals(existsSync(join(d, "other")), false);
    // a directory dest takes the URL's file name
    const dir = run("get_url", { url: `${base}/hello.txt`, dest: d });
    assertEquals(dir.dest, dest);
    const missing = run("get_url", { url: `${base}/nope`, dest: join(d, "nope") });
    assertEquals(missing.failed, true);
    assertEquals(missing.status_code, 404);
    const chk = run("get_url", { url: `${base}/hello.txt`, dest: join(d, "chk") }, { check_mode: true });
    assertEquals(chk.changed, true);
    assertEquals(existsSync(join(d, "chk")), false);
  });
});

Deno.test("uri: methods, json bodies, headers, status codes, content and dest", async () => {
  await withServer((base, root) => {
    writeFileSync(join(root, "hello.txt"), "hi\n");
    const d = tempDir();
    const [get, post, bad, allowed, redirected, saved] = callMany([
      { fn: "run_module", args: ["uri", { url: `${base}/echo`, headers: { "X-Test": "yes" } }] },
      {
        fn: "run_module",
        args: ["uri", {
          url: `${base}/echo`,
          method: "POST",
          body: { a: 1 },
          body_format: "json",
          status_code: [201],
        }],
      },
      { fn: "run_module", args: ["uri", { url: `${base}/status/404`, return_content: true }] },
      { fn: "run_module", args: ["uri", { url: `${base}/status/404`, status_code: "200,404" }] },
      { fn: "run_module", args: ["uri", { url: `${base}/redirect`, return_content: true }] },
      { fn: "run_module", args: ["uri", { url: `${base}/hello.txt`, dest: join(d, "out.txt") }] },
    ]);
    assertEquals(get.status, 200);
    assertEquals(get.changed, false);
    assertEquals(get.json.x, "yes"); // JSON responses are parsed even without return_content
    assertEquals(get.content_type, "application/json");
    assertEquals(get.url, `${base}/echo`);
    assertEquals(get.redirected, false);
    assertEquals(post.status, 201);
    assertEquals(post.json, {
      method: "POST",
      path: "/echo",
      body: '{"a": 1}',
      ctype: "application/json",
      x: null,
    });
    assertEquals(bad.failed, true);
    assertEquals(bad.msg, "Status code was 404 and not [200]: HTTP Error 404: Not Found");
    assertEquals(bad.content, "status body");
    assertEquals(allowed.failed, false);
    assertEquals(allowed.status, 404);
    assertEquals(redirected.redirected, true);
    assertEquals(redirected.content, "hi\n");
    assertEquals(saved.changed, true);
    assertEquals(readFileSync(join(d, "out.txt"), "utf-8"), "hi\n");
    assertEquals(saved.path, join(d, "out.txt"));
  });
});

Deno.test("wait_for: an open port, a file with a regex, and timeouts", async () => {
  await withServer((base) => {
    const port = parseInt(base.split(":")[2]);
    const d = tempDir();
    const f = join(d, "log");
    writeFileSync(f, "starting\nready on 8080\n");
    const [open, found, closed, missingFile] = callMany([
      { fn: "run_module", args: ["wait_for", { port, timeout: 5 }] },
      { fn: "run_module", args: ["wait_for", { path: f, search_regex: "ready on (\\d+)", timeout: 5 }] },
      { fn: "run_module", args: ["wait_for", { port: 1, timeout: 1, sleep: 1 }] },
      { fn: "run_module", args: ["wait_for", { path: join(d, "never"), timeout: 1 }] },
    ]);
    assertEquals(open.failed, false);
    assertEquals(open.state, "started");
    assertEquals(open.port, port);
    assertEquals(typeof open.elapsed, "number");
    assertEquals(found.match_groups, ["8080"]);
    assertEquals(closed.failed, true);
    assertEquals(closed.msg, "Timeout when waiting for 127.0.0.1:1");
    assertEquals(missingFile.msg, `Timeout when waiting for file ${join(d, "never")}`);
    const stopped = run("wait_for", { port: 1, state: "stopped", timeout: 2 });
    assertEquals(stopped.failed, false);
    const absent = run("wait_for", { path: join(d, "never"), state: "absent", timeout: 2 });
    assertEquals(absent.failed, false);
  });
});

Deno.test("parity with ansible-core: uri and get_url results", async () => {
  const src = (n: string) => readFileSync(`/usr/lib/python3/dist-packages/ansible/modules/${n}.py`, "utf-8");
  await withServer((base, root) => {
    writeFileSync(join(root, "f.txt"), "file body\n");
    const a = tempDir();
    const b = tempDir();
    const calls = (d: string, ansible: boolean) => {
      const mk = (name: string, args: Record<string, unknown>) =>
        ansible
          ? { fn: "run_ansible_module", args: [src(name), args], kwargs: { name } }
          : { fn: "run_module", args: [name, args] };
      return [
        mk("uri", {
          url: `${base}/echo`,
          method: "POST",
          body: { k: "v" },
          body_format: "json",
          status_code: 201,
        }),
        mk("uri", { url: `${base}/status/404`, return_content: true }),
        mk("get_url", { url: `${base}/f.txt`, dest: join(d, "f.txt"), mode: "0644" }),
        mk("get_url", { url: `${base}/f.txt`, dest: join(d, "f.txt"), mode: "0644" }),
      ];
    };
    const ours = callMany(calls(a, false));
    const theirs = callMany(calls(b, true));
    const scrub = (r: any, d: string) => {
      const o = JSON.parse(JSON.stringify(r).replaceAll(d, "DIR"));
      for (const k of ["invocation", "date", "elapsed", "server", "src", "cookies_string", "cookies"]) {
        delete o[k];
      }
      return o;
    };
    for (let i = 0; i < ours.length; i++) {
      assertEquals(scrub(ours[i], a), scrub(theirs[i], b), `call ${i}`);
    }
  });
});

Deno.test("wait_for: search_regex on a TCP banner", async () => {
  // a one-connection banner server on loopback, bounded to 30 s
  const banner = `
import socket, sys, threading, os
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
print(s.getsockname()[1], flush=True)
threading.Timer(30, lambda: os._exit(0)).start()
while True:
    c, _ = s.accept()
    c.sendall(b"SSH-2.0-mito_test ready\\r\\n")
    c.close()
`;
  const child = new Deno.Command(PYTHON, { args: ["-c", banner], stdout: "piped" }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  try {
    const port = parseInt(new TextDecoder().decode(value));
    const [hit, miss] = callMany([
      { fn: "run_module", args: ["wait_for", { port, search_regex: "SSH-(\\d\\.\\d)", timeout: 10 }] },
      { fn: "run_module", args: ["wait_for", { port, search_regex: "nomatch", timeout: 1 }] },
    ]);
    assertEquals(hit.failed, false);
    assertEquals(hit.match_groups, ["2.0"]);
    assertEquals(miss.failed, true);
    assertEquals(miss.msg, `Timeout when waiting for search string nomatch in 127.0.0.1:${port}`);
  } finally {
    Deno.kill(child.pid, "SIGTERM");
    await child.stdout.cancel();
    await child.status;
  }
});
