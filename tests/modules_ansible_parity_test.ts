// mito's built-in modules against ansible-core's own modules (run in-process through
// run_ansible_module, with Debian's ansible on sys.path): same inputs on twin directories,
// same result keys and values, same resulting files.
import { assertEquals } from "./_assert.ts";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { callMany, sh, tempDir } from "./modules_harness.ts";

const ANSIBLE_MODULES = "/usr/lib/python3/dist-packages/ansible/modules";

/** Run the same task with mito's module (in dir a) and Ansible's (in dir b). */
function both(
  name: string,
  mk: (dir: string) => Record<string, unknown>,
  setup?: (dir: string) => void,
  kw = {},
) {
  const a = tempDir("mito-a-");
  const b = tempDir("mito-b-");
  setup?.(a);
  setup?.(b);
  const source = readFileSync(join(ANSIBLE_MODULES, `${name}.py`), "utf-8");
  const [ours, theirs] = callMany([
    { fn: "run_module", args: [name, mk(a)], kwargs: kw },
    { fn: "run_ansible_module", args: [source, mk(b)], kwargs: { name, ...kw } },
  ]);
  const norm = (r: any, dir: string, other: string) =>
    JSON.parse(
      JSON.stringify(r).replaceAll(dir, other).replaceAll(/"(mtime|atime|ctime|inode)":[\d.]+/g, '"$1":0'),
    );
  return { ours: norm(ours, a, "DIR"), theirs: norm(theirs, b, "DIR"), a, b };
}

function sameKeys(ours: any, theirs: any, ignore: string[] = []) {
  const strip = (r: any) => {
    const o = { ...r };
    for (const k of ["invocation", ...ignore]) delete o[k];
    return o;
  };
  assertEquals(strip(ours), strip(theirs));
}

Deno.test("parity: file state=directory/touch/absent", () => {
  for (const state of ["directory", "touch", "absent"]) {
    const { ours, theirs } = both("file", (d) => ({ path: join(d, "x"), state, mode: "0750" }), (d) => {
      if (state === "absent") writeFileSync(join(d, "x"), "");
    }, { diff: true });
    sameKeys(ours, theirs, ["diff"]);
    assertEquals(ours.diff.before.state, theirs.diff.before.state);
    assertEquals(ours.diff.after.state, theirs.diff.after.state);
  }
});

Deno.test("parity: lineinfile, blockinfile and replace results and files", () => {
  const setup = (d: string) => writeFileSync(join(d, "f"), "a=1\nb=2\n");
  const cases: [string, (d: string) => Record<string, unknown>][] = [
    ["lineinfile", (d) => ({ path: join(d, "f"), regexp: "^b=", line: "b=3" })],
    ["lineinfile", (d) => ({ path: join(d, "f"), line: "c=4", insertbefore: "^b=" })],
    ["lineinfile", (d) => ({ path: join(d, "f"), regexp: "^a", state: "absent" })],
    ["blockinfile", (d) => ({ path: join(d, "f"), block: "x\ny", insertafter: "^a=" })],
    ["replace", (d) => ({ path: join(d, "f"), regexp: "=(\\d)", replace: ": \\1" })],
  ];
  for (const [mod, args] of cases) {
    const { ours, theirs, a, b } = both(mod, args, setup, { diff: true });
    sameKeys(ours, theirs);
    assertEquals(readFileSync(join(a, "f"), "utf-8"), readFileSync(join(b, "f"), "utf-8"), mod);
  }
});

Deno.test("parity: stat and find", () => {
  const setup = (d: string) => {
    mkdirSync(join(d, "sub"));
    writeFileSync(join(d, "sub", "x.log"), "hello\n");
  };
  const st = both("stat", (d) => ({ path: join(d, "sub", "x.log") }), setup);
  const ignoreDev = (r: any) => ({ ...r, stat: { ...r.stat, dev: 0, version: null } });
  sameKeys(ignoreDev(st.ours), ignoreDev(st.theirs));
  const fd = both("find", (d) => ({ paths: [d], patterns: ["*.log"], recurse: true }), setup);
  const files = (r: any) => r.files.map((f: any) => ({ ...f, dev: 0 }));
  assertEquals(files(fd.ours), files(fd.theirs));
  assertEquals([fd.ours.matched, fd.ours.examined, fd.ours.msg], [
    fd.theirs.matched,
    fd.theirs.examined,
    fd.theirs.msg,
  ]);
});

Deno.test("parity: command result keys", () => {
  const { ours, theirs } = both("command", () => ({ _raw_params: "echo hi" }));
  assertEquals(Object.keys(ours).sort(), Object.keys(theirs).sort());
  for (
    const k of ["stdout", "stderr", "rc", "cmd", "changed", "msg", "failed"]
  ) {
    assertEquals(ours[k], theirs[k], k);
  }
});

Deno.test("parity: copy with remote_src", () => {
  const setup = (d: string) => writeFileSync(join(d, "src"), "data\n");
  const { ours, theirs, a, b } = both(
    "copy",
    (d) => ({ src: join(d, "src"), dest: join(d, "dest"), remote_src: true, mode: "0640" }),
    setup,
  );
  sameKeys(ours, theirs);
  assertEquals(readFileSync(join(a, "dest"), "utf-8"), readFileSync(join(b, "dest"), "utf-8"));
});

Deno.test("parity: assemble, slurp, known_hosts", () => {
  const frag = (d: string) => {
    mkdirSync(join(d, "frags"));
    writeFileSync(join(d, "frags", "a"), "A");
    writeFileSync(join(d, "frags", "b"), "B\n");
  };
  const as = both(
    "assemble",
    (d) => ({ src: join(d, "frags"), dest: join(d, "out"), delimiter: "--" }),
    frag,
  );
  sameKeys(as.ours, as.theirs);
  assertEquals(readFileSync(join(as.a, "out"), "utf-8"), readFileSync(join(as.b, "out"), "utf-8"));
  const sl = both("slurp", (d) => ({ src: join(d, "frags", "b") }), frag);
  sameKeys(sl.ours, sl.theirs);
  const kh = both(
    "known_hosts",
    (d) => ({ name: "h.example", key: "h.example ssh-ed25519 AAAAK", path: join(d, "kh") }),
  );
  sameKeys(kh.ours, kh.theirs);
  assertEquals(readFileSync(join(kh.a, "kh"), "utf-8"), readFileSync(join(kh.b, "kh"), "utf-8"));
});

Deno.test("parity: unarchive tar.gz with list_files", () => {
  const setup = (d: string) => {
    mkdirSync(join(d, "t", "s"), { recursive: true });
    writeFileSync(join(d, "t", "s", "f"), "F");
    mkdirSync(join(d, "out"));
  };
  const { ours, theirs, a, b } = both("unarchive", (d) => {
    return { src: join(d, "t.tgz"), dest: join(d, "out"), remote_src: true, list_files: true };
  }, (d) => {
    setup(d);
    sh(`tar -czf ${join(d, "t.tgz")} -C ${join(d, "t")} s`);
  });
  assertEquals(
    readFileSync(join(a, "out", "s", "f"), "utf-8"),
    readFileSync(join(b, "out", "s", "f"), "utf-8"),
  );
  assertEquals([ours.changed, ours.handler, ours.dest, ours.src], [
    theirs.changed,
    theirs.handler,
    theirs.dest,
    theirs.src,
  ]);
  assertEquals([...ours.files].sort(), [...theirs.files].sort());
});

Deno.test("parity: file links, wait_for on a file", () => {
  const target = (d: string) => writeFileSync(join(d, "t"), "T\n");
  const ln = both("file", (d) => ({ path: join(d, "l"), src: "t", state: "link" }), target, { diff: true });
  sameKeys(ln.ours, ln.theirs);
  const hd = both("file", (d) => ({ path: join(d, "h"), src: join(d, "t"), state: "hard" }), target);
  sameKeys(hd.ours, hd.theirs, ["diff"]);
  const wf = both("wait_for", (d) => ({ path: join(d, "t"), search_regex: "(T)", timeout: 5 }), target);
  sameKeys(wf.ours, wf.theirs);
});

Deno.test("parity: git clone and update from a local bare repository", () => {
  const src = tempDir("mito-gitsrc-");
  sh(
    `git init -q --bare -b main ${src}/r.git && git init -q -b main ${src}/w && echo 1 > ${src}/w/f && ` +
      `git -C ${src}/w add f && git -C ${src}/w -c user.name=t -c user.email=t@e commit -q -m one && ` +
      `git -C ${src}/w push -q ${src}/r.git main`,
  );
  const first = both("git", (d) => ({ repo: `${src}/r.git`, dest: join(d, "co") }));
  sameKeys(first.ours, first.theirs);
  const again = both("git", (d) => ({ repo: `${src}/r.git`, dest: join(d, "co") }), (d) => {
    sh(`git clone -q ${src}/r.git ${join(d, "co")}`);
  });
  sameKeys(again.ours, again.theirs);
});
