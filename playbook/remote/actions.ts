// The controller halves of Ansible's file actions (copy, template, fetch, script, unarchive): find the
// local file, move the bytes over the task's own connection, then run the target half. A file up to
// INLINE_FILE_LIMIT travels inside the module call; a larger one is streamed first, and skipped when the
// target already has the same checksum.
import { createHash, randomBytes } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { INLINE_FILE_LIMIT, type PutFileResult } from "../../transports/broker.ts";
import { ActionRaised, CANCELLED, isCancelled, type ModuleRequest, type ModuleResult } from "../runner.ts";
import { jsonDumps, PythonError, UndefinedError } from "../template/mod.ts";
import { findInSearchPath } from "../_search_path.ts";
import { shellSplit } from "../connection/flags.ts";
import { actionFail, errorText, failed } from "./_results.ts";
import { boolean } from "../py/boolean.ts";
import { PyCodecError, pyEncode, pyStr } from "../py/mod.ts";
import { asyncDirOf, type TargetSession } from "./session.ts";
import { packageAction, serviceAction } from "./manager_actions.ts";
import { execCommandAction, fetchFileAction, putFileAction } from "./connection_actions.ts";
import { gatherFactsAction } from "./facts_action.ts";

/** A transfer's progress display (the CLI's bar on a TTY), started with what moves and its size. */
export type TransferReporter = (
  label: string,
  total: number,
) => { progress(done: number): void; end(): void };

/** What the runner offers an action beyond its session. */
export interface ActionEnv {
  transfers?: TransferReporter;
  /**
   * The task's pipelining (ModuleRequest.chain): an action that makes exactly one module call passes it
   * to that call; one that would make several answers a call sent ahead (`after`) cancelled, running
   * nothing, and marks nothing (what was sent after it is then cancelled on the target).
   */
  chain?: ModuleRequest["chain"];
}

export type Action = (
  s: TargetSession,
  args: Record<string, unknown>,
  env?: ActionEnv,
) => Promise<ModuleResult>;

/** putFile with the transfer shown by `env`'s reporter, labelled `what host:path`. */
async function putWatched(
  s: TargetSession,
  env: ActionEnv | undefined,
  label: string,
  path: string,
  data: Uint8Array | AsyncIterable<Uint8Array>,
  size: number,
  opts: { mode: number; md5?: boolean; scratch?: boolean },
): Promise<PutFileResult> {
  const shown = env?.transfers?.(label, size);
  try {
    return await s.context.putFile(path, data, {
      ...opts,
      size,
      ...(shown ? { onProgress: (n) => shown.progress(n) } : {}),
    });
  } finally {
    shown?.end();
  }
}

function sha1(data: Uint8Array): string {
  return createHash("sha1").update(data).digest("hex");
}

/** What a copy puts on the target: bytes in memory (content, a rendered template) or a local file. */
type Payload = { bytes: Uint8Array } | { file: string; size: number };

const READ_CHUNK = 1024 * 1024;

/**
 * A local file's bytes in chunks, each shown to `seen` (a hash) as it is read: never all in memory. Every
 * chunk is a view of one reused buffer, valid until the next is asked for (putFile and hashes copy or
 * consume each before that); a 320 MiB file no longer leaves 320 MiB of buffers for the GC.
 */
async function* fileChunks(path: string, seen?: (chunk: Uint8Array) => void): AsyncGenerator<Uint8Array> {
  const fh = await open(path, "r");
  const buf = new Uint8Array(READ_CHUNK);
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, null);
      if (!bytesRead) return;
      const chunk = buf.subarray(0, bytesRead);
      seen?.(chunk);
      yield chunk;
    }
  } finally {
    await fh.close();
  }
}

/** An md5 hash, or undefined where the controller's OpenSSL refuses md5 (FIPS): md5sum is then null. */
function md5Hash(): ReturnType<typeof createHash> | undefined {
  try {
    return createHash("md5");
  } catch {
    return undefined;
  }
}

/** sha1 of a local file, and with `withMd5` its md5 (null under FIPS, or when not asked), read once. */
async function fileDigests(path: string, withMd5: boolean): Promise<{ sha1: string; md5: string | null }> {
  const sha = createHash("sha1");
  const md5 = withMd5 ? md5Hash() : undefined;
  for await (const chunk of fileChunks(path)) {
    sha.update(chunk);
    md5?.update(chunk);
  }
  return { sha1: sha.digest("hex"), md5: md5 ? md5.digest("hex") : null };
}

async function payloadSha1(p: Payload): Promise<string> {
  return "bytes" in p ? sha1(p.bytes) : (await fileDigests(p.file, false)).sha1;
}

/** The payload's bytes for one transfer, and the sha1 of what was read, once they have all been sent. */
function payloadStream(p: Payload): { data: Uint8Array | AsyncIterable<Uint8Array>; sha1: () => string } {
  if ("bytes" in p) return { data: p.bytes, sha1: () => sha1(p.bytes) };
  const h = createHash("sha1");
  return { data: fileChunks(p.file, (c) => h.update(c)), sha1: () => h.digest("hex") };
}

/**
 * Finds `src` as Ansible's `_find_needle` does: over the task's search path (its roles, its file's
 * directory, the play's directory, which comes last), under `kind/` and then directly.
 */
export function findNeedle(
  searchPath: string[],
  kind: "files" | "templates",
  src: string,
): string | undefined {
  const basedir = searchPath[searchPath.length - 1] ?? process.cwd();
  return findInSearchPath(searchPath, kind, src, basedir).found;
}

const TRANSFER_ONLY = new Set(["src", "content", "remote_src", "local_follow", "decrypt"]);

function moduleArgs(args: Record<string, unknown>, drop: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) if (!drop.has(k)) out[k] = v;
  return out;
}

/**
 * Puts the payload at `dest` on the target through the copy module's target half; one round trip when
 * small. A large file is streamed from disk: the controller hashes it as it reads and sends, the target as
 * it writes, and neither holds it in memory or reads it twice.
 */
async function putContent(
  s: TargetSession,
  payload: Payload,
  args: Record<string, unknown>,
  originalBasename: string | undefined,
  env?: ActionEnv,
  sourcePath?: string,
): Promise<ModuleResult> {
  const base = moduleArgs(args, TRANSFER_ONLY);
  if (originalBasename !== undefined) base._original_basename = originalBasename;
  // --diff names the controller's file as "after", as Ansible does, not the bytes' temp file.
  if (s.request.diff && sourcePath !== undefined) base._diff_after_header = sourcePath;
  const size = "bytes" in payload ? payload.bytes.length : payload.size;
  if (size <= INLINE_FILE_LIMIT) {
    const data = "bytes" in payload ? payload.bytes : new Uint8Array(readFileSync(payload.file));
    const checksum = sha1(data);
    const r = await s.runModule("ansible.legacy.copy", { ...base, content: data, checksum }, {
      ...(env?.chain ? { chain: env.chain } : {}),
    });
    return isCancelled(r) ? r : withChecksum(r, checksum);
  }
  // several calls: not one a pipelined task can be (docs/pipelining.md)
  if (env?.chain?.after !== undefined) return { [CANCELLED]: true };
  // Large: ask first whether the target already has it (Ansible does the same stat).
  const dest = String(args.dest);
  const st = await s.runModule("ansible.legacy.stat", {
    path: dest,
    get_checksum: true,
    checksum_algorithm: "sha1",
    follow: true,
  });
  const stat = st.stat as Record<string, unknown> | undefined;
  let target = dest;
  let targetStat = stat;
  if (stat?.exists && stat.isdir && originalBasename) target = join(dest, originalBasename);
  if (target !== dest) {
    const st2 = await s.runModule("ansible.legacy.stat", {
      path: target,
      get_checksum: true,
      checksum_algorithm: "sha1",
    });
    targetStat = st2.stat as Record<string, unknown> | undefined;
  }
  // The local checksum is needed before any byte moves only where the destination may already hold the
  // same bytes (a file of the same size: then nothing is sent) and for check mode's report. Otherwise the
  // bytes are hashed as they are sent.
  const mayMatch = targetStat?.exists === true && typeof targetStat.checksum === "string" &&
    Number(targetStat.size) === size;
  let checksum = mayMatch || s.request.checkMode ? await payloadSha1(payload) : undefined;
  if (mayMatch && targetStat!.checksum === checksum) return await fileAttrs(s, base, target, checksum!);
  if (s.request.checkMode) {
    const r: ModuleResult = { changed: true, dest: target, checksum, size };
    if (s.request.diff) r.diff = await largeDiff(s, target, targetStat, sourcePath);
    return r;
  }
  // Streamed beside the destination (hidden), the upload is renamed into place: no second copy of the
  // bytes on the target. Where that directory cannot take it (missing, not writable), the private temp
  // dir does, and the copy module copies from there.
  const label = `${s.request.module.split(".").pop()} ${s.request.targetHost}:${target}`;
  const token = randomBytes(8).toString("hex");
  const put = async (path: string, scratch: boolean): Promise<PutFileResult> => {
    const body = payloadStream(payload);
    const r = await putWatched(s, env, label, path, body.data, size, { mode: 0o600, md5: true, scratch });
    checksum = body.sha1();
    return r;
  };
  let tmp = target.endsWith("/")
    ? undefined
    : join(dirname(target), `.${basename(target)}.mito-upload-${token}`);
  let written: PutFileResult | undefined;
  if (tmp !== undefined) {
    try {
      written = await put(tmp, true); // beside the destination: removed if the interpreter dies first
    } catch (err) {
      if (!s.context.alive) throw err;
      tmp = undefined;
    }
  }
  const beside = tmp !== undefined;
  if (tmp === undefined) {
    tmp = join(await s.tempDir(), `mito-copy-${token}`);
    written = await put(tmp, false); // in the private temp dir, which goes with the interpreter anyway
  }
  try {
    return withChecksum(
      await s.runModule("ansible.legacy.copy", {
        ...base,
        src: tmp,
        // What the controller read, checked by the module against what the target wrote (hashed as it wrote).
        checksum,
        _src_checksums: { sha1: written!.sha1, md5: written!.md5 ?? null },
        ...(beside ? { _move_src: true } : {}),
      }),
      checksum!,
    );
  } finally {
    unlinkLater(s, tmp);
  }
}

/**
 * Removes a temp file on the target without waiting for the answer. A function of its own: a callback
 * created inside the caller would keep the caller's variables (a copy's whole payload) alive until then.
 */
function unlinkLater(s: TargetSession, path: string): void {
  s.context.call("os", "unlink", [path]).catch(() => {});
}

// Ansible's max_diff_size default (modules/copy.py uses the same for what it diffs on the target).
const MAX_DIFF_SIZE = 104448;

/**
 * --diff in check mode for a file too large to travel inline: never diffed (it is over max_diff_size), so
 * only what Ansible says about it — and about the destination, read when it is small enough to matter.
 */
async function largeDiff(
  s: TargetSession,
  path: string,
  st: Record<string, unknown> | undefined,
  afterHeader: string | undefined,
): Promise<Record<string, unknown>> {
  const d: Record<string, unknown> = {};
  if (st?.exists) {
    d.before_header = path;
    if (Number(st.size) > MAX_DIFF_SIZE) d.dst_larger = MAX_DIFF_SIZE;
    else {
      const got = await s.runModule("ansible.legacy.slurp", { src: path });
      if (Buffer.from(String(got.content ?? ""), "base64").includes(0)) d.dst_binary = 1;
    }
  }
  d.after_header = afterHeader ?? "dynamically generated";
  d.src_larger = MAX_DIFF_SIZE;
  return d;
}

/** Unchanged content: only mode/owner/group may still change, which is the file module's job. */
async function fileAttrs(
  s: TargetSession,
  base: Record<string, unknown>,
  path: string,
  checksum: string,
): Promise<ModuleResult> {
  const attrs: Record<string, unknown> = { path, state: "file" };
  for (
    const k of [
      "mode",
      "owner",
      "group",
      "seuser",
      "serole",
      "setype",
      "selevel",
      "unsafe_writes",
      "attributes",
    ]
  ) {
    if (base[k] !== undefined && base[k] !== null) attrs[k] = base[k];
  }
  const r = await s.runModule("ansible.legacy.file", attrs);
  return { ...r, dest: path, checksum };
}

/** As Ansible's copy action: a module result without a checksum (a failure too) gets the source's. */
function withChecksum(r: ModuleResult, checksum: string): ModuleResult {
  return r.checksum ? r : { ...r, checksum };
}

function contentBytes(content: unknown): Uint8Array {
  if (content instanceof Uint8Array) return content;
  if (typeof content === "string") return new TextEncoder().encode(content);
  // Ansible turns dicts and lists given as content into JSON with json.dumps' defaults.
  return new TextEncoder().encode(jsonDumps(content));
}

function walkFiles(root: string, follow: boolean): { rel: string; dir: boolean }[] {
  const out: { rel: string; dir: boolean }[] = [];
  const visit = (rel: string) => {
    const abs = join(root, rel);
    const entries = readdirSync(abs).sort();
    for (const name of entries) {
      const r = rel ? join(rel, name) : name;
      const st = follow ? statSync(join(root, r)) : lstatSync(join(root, r));
      if (st.isDirectory()) {
        out.push({ rel: r, dir: true });
        visit(r);
      } else out.push({ rel: r, dir: false });
    }
  };
  visit("");
  return out;
}

/** Ansible's file actions read their flags with boolean(strict=False). */
const flag = (v: unknown): boolean => boolean(v, { strict: false });

export const copyAction: Action = async (s, args, env) => {
  if (flag(args.remote_src)) {
    return await s.runModule("ansible.legacy.copy", args);
  }
  if (args.dest === undefined || args.dest === null || args.dest === "") return failed("dest is required");
  if (args.content !== undefined && args.content !== null) {
    if (args.src !== undefined && args.src !== null) return failed("src and content are mutually exclusive");
    return await putContent(s, { bytes: contentBytes(args.content) }, args, undefined, env);
  }
  if (args.src === undefined || args.src === null) return failed("src (or content) is required");
  const srcArg = String(args.src);
  const src = findNeedle(s.request.searchPath, "files", srcArg);
  if (!src) return failed(`Could not find or access '${srcArg}'`);
  const srcStat = statSync(src);
  if (!srcStat.isDirectory()) {
    return await putContent(s, { file: src, size: srcStat.size }, args, basename(src), env, src);
  }
  // A directory: "dir/" copies its contents, "dir" the directory itself.
  const destRoot = srcArg.endsWith("/") ? String(args.dest) : join(String(args.dest), basename(src));
  let changed = false;
  const results: ModuleResult[] = [];
  const entries = [{ rel: "", dir: true }, ...walkFiles(src, args.local_follow !== false)];
  for (const entry of entries) {
    const dest = join(destRoot, entry.rel);
    const r = entry.dir
      ? await s.runModule("ansible.legacy.file", {
        path: dest,
        state: "directory",
        ...(args.directory_mode !== undefined ? { mode: args.directory_mode } : {}),
      })
      : await putContent(
        s,
        { file: join(src, entry.rel), size: statSync(join(src, entry.rel)).size },
        { ...args, dest },
        undefined,
        env,
        join(src, entry.rel),
      );
    if (r.failed) return r;
    changed ||= r.changed === true;
    results.push(r);
  }
  return { changed, dest: destRoot, src, results_count: results.length };
};

/** The template action's options that are strings (Ansible's ensure_type 'string' on each given one). */
const TEMPLATE_STRINGS = [
  "src",
  "dest",
  "state",
  "newline_sequence",
  "variable_start_string",
  "variable_end_string",
  "block_start_string",
  "block_end_string",
  "comment_start_string",
  "comment_end_string",
] as const;

/** Ansible's ensure_type(v, 'string'): scalars as text, one pair of surrounding quotes taken off. */
function stringOption(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "object" && !(v instanceof String)) {
    throw new ActionCrash(`Invalid type provided for "string": ${pyStr(v)}`);
  }
  const text = pyStr(v);
  const quoted = text.length > 1 && text[0] === text.at(-1) && (text[0] === '"' || text[0] === "'") &&
    text.at(-2) !== "\\";
  return quoted ? text.slice(1, -1) : text;
}

/**
 * A Python exception (not one of Ansible's) out of the template action's run: Ansible's task executor
 * reports it as an unexpected failure.
 */
class ActionCrash extends Error {
  readonly pyClass = "ValueError";
}

const crashed = (err: ActionCrash | PyCodecError): ActionRaised =>
  new ActionRaised(`Unexpected failure during module execution: ${err.message}`, {
    exception: `Traceback (most recent call last):\n${err.pyClass}: ${err.message}\n`,
    stdout: "",
  });

/** newline_sequence as written in YAML without escapes (`'\n'`) means the character. */
const NEWLINES: Record<string, string> = { "\\n": "\n", "\\r": "\r", "\\r\\n": "\r\n" };

/** template: render on the controller with the task's variables, then it is a copy of content. */
/** The template action's controller half: the source file found and rendered, or the task's failure. */
export function renderedTemplate(
  req: ModuleRequest,
): { ok: true; src: string; text: string } | { ok: false; result: ModuleResult } {
  const args = req.args;
  const str: Partial<Record<(typeof TEMPLATE_STRINGS)[number], string | null>> = {};
  try {
    for (const k of TEMPLATE_STRINGS) if (k in args) str[k] = stringOption(args[k]);
  } catch (err) {
    if (err instanceof ActionCrash) throw crashed(err);
    throw err;
  }
  let newline = str.newline_sequence ?? "\n";
  newline = NEWLINES[newline] ?? newline;
  if (str.state !== undefined && str.state !== null) {
    return { ok: false, result: actionFail("'state' cannot be specified on a template") };
  }
  if (str.src === undefined || str.src === null || str.dest === undefined || str.dest === null) {
    return { ok: false, result: actionFail("src and dest are required") };
  }
  if (!["\n", "\r", "\r\n"].includes(newline)) {
    return { ok: false, result: actionFail("newline_sequence needs to be one of: \n, \r or \r\n") };
  }
  const srcArg = str.src;
  const src = findNeedle(req.searchPath, "templates", srcArg);
  if (!src) return { ok: false, result: failed(`Could not find or access '${srcArg}'`) };
  const render = req.renderTemplate;
  if (!render) {
    return { ok: false, result: failed("template: the executor did not provide a template renderer") };
  }
  const delimiter = (k: (typeof TEMPLATE_STRINGS)[number]) => str[k] ?? undefined;
  try {
    const text = render(src, {
      newlineSequence: newline,
      trimBlocks: flag(args.trim_blocks ?? true),
      lstripBlocks: flag(args.lstrip_blocks ?? false),
      delimiters: {
        variableStart: delimiter("variable_start_string"),
        variableEnd: delimiter("variable_end_string"),
        blockStart: delimiter("block_start_string"),
        blockEnd: delimiter("block_end_string"),
        commentStart: delimiter("comment_start_string"),
        commentEnd: delimiter("comment_end_string"),
      },
    });
    return { ok: true, src, text };
  } catch (err) {
    // Ansible's template action names the Python class of whatever rendering raised, and its result
    // carries that exception (the callback shows its last line).
    if (err instanceof PythonError) {
      const short = err.pyClass.slice(err.pyClass.lastIndexOf(".") + 1);
      return { ok: false, result: failed(`${short}: ${err.text}`, { exception: err.message }) };
    }
    const cls = err instanceof UndefinedError ? "AnsibleUndefinedVariable" : "AnsibleError";
    const result = failed(`${cls}: ${errorText(err)}`, {
      exception: `ansible.errors.${cls}: ${errorText(err)}`,
    });
    return { ok: false, result };
  }
}

export const templateAction: Action = async (s, args, env) => {
  // Sent ahead (task pipelining), it was rendered then, with the variables its sending was judged on;
  // rendered only now, its variables were not judged: it runs the normal way in its turn.
  if (env?.chain?.after !== undefined && !s.request.rendered) return { [CANCELLED]: true };
  const r = s.request.rendered ?? renderedTemplate({ ...s.request, args });
  if (!r.ok) return env?.chain?.after !== undefined ? { [CANCELLED]: true } : r.result;
  const { src, text } = r;
  const rest = moduleArgs(
    args,
    new Set([
      "newline_sequence",
      "trim_blocks",
      "lstrip_blocks",
      "block_start_string",
      "block_end_string",
      "variable_start_string",
      "variable_end_string",
      "comment_start_string",
      "comment_end_string",
      "output_encoding",
    ]),
  );
  // mode=preserve: the template file's own permission bits, as Ansible's action reads them
  if (rest.mode === "preserve") rest.mode = `0${(statSync(src).mode & 0o7777).toString(8).padStart(3, "0")}`;
  let bytes: Uint8Array;
  try {
    bytes = pyEncode(text, args.output_encoding ? pyStr(args.output_encoding) : "utf-8");
  } catch (err) {
    if (err instanceof PyCodecError) throw crashed(err);
    throw err;
  }
  return await putContent(s, { bytes }, rest, basename(src), env, src);
};

/** fetch: stream the target's file to `dest/<host>/<path>` (or `dest` with flat), atomically. */
export const fetchAction: Action = async (s, args, env) => {
  if (args.src === undefined || args.dest === undefined) return failed("src and dest are required");
  const src = String(args.src);
  const flat = flag(args.flat);
  let dest = String(args.dest);
  if (flat) {
    if (dest.endsWith("/")) dest = join(dest, basename(src));
  } else {
    dest = join(dest, s.request.host, src.startsWith("/") ? src.slice(1) : src);
  }
  dest = resolve(dest);
  const st = await s.runModule("ansible.legacy.stat", {
    path: src,
    get_checksum: true,
    checksum_algorithm: "sha1",
    follow: true,
  });
  const info = st.stat as Record<string, unknown> | undefined;
  const failOnMissing = args.fail_on_missing !== false && args.fail_on_missing !== "no";
  if (!info?.exists) {
    const msg = "the remote file does not exist, not transferring, ignored";
    return failOnMissing ? failed(msg, { file: src }) : { changed: false, msg, file: src };
  }
  if (info.isdir) {
    return failed("remote file is a directory, fetch cannot work on directories", { file: src });
  }
  const remoteChecksum = String(info.checksum);
  if (existsSync(dest) && statSync(dest).isFile()) {
    const local = await fileDigests(dest, true);
    // The shapes of Ansible's fetch results, unchanged and changed alike.
    if (local.sha1 === remoteChecksum) {
      return { changed: false, md5sum: local.md5, file: src, dest, checksum: local.sha1 };
    }
  }
  if (s.request.checkMode) return { changed: true, checksum: remoteChecksum, dest, file: src };
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = join(dirname(dest), `.${basename(dest)}.mito-fetch-${process.pid}`);
  const hash = createHash("sha1");
  const md5 = md5Hash();
  const fh = await open(tmp, "w", 0o644);
  const size = Number(info.size);
  const shown = Number.isFinite(size)
    ? env?.transfers?.(`fetch ${s.request.targetHost}:${src}`, size)
    : undefined;
  try {
    const fetched = s.context.fetchFile(src, {
      ...(shown ? { size, onProgress: (n: number) => shown.progress(n) } : {}),
    });
    for await (const chunk of fetched.stream) {
      hash.update(chunk);
      md5?.update(chunk);
      await fh.write(chunk);
    }
    await fetched.done;
    await fh.sync();
  } catch (err) {
    await fh.close();
    rmSync(tmp, { force: true });
    return failed(`failed to fetch ${src}: ${errorText(err)}`, { file: src });
  } finally {
    shown?.end();
  }
  await fh.close();
  const got = hash.digest("hex");
  const md5sum = md5 ? md5.digest("hex") : null;
  if (got !== remoteChecksum && args.validate_checksum !== false) {
    rmSync(tmp, { force: true });
    return failed("checksum mismatch", {
      md5sum,
      file: src,
      dest,
      remote_md5sum: null,
      checksum: got,
      remote_checksum: remoteChecksum,
    });
  }
  renameSync(tmp, dest);
  return { changed: true, md5sum, dest, remote_md5sum: null, checksum: got, remote_checksum: remoteChecksum };
};

/** script: send the local script to the interpreter's temp dir and run it through the shell module. */
export const scriptAction: Action = async (s, args) => {
  const raw = String(args._raw_params ?? args.cmd ?? "").trim();
  if (!raw) return failed("script: no script given");
  // as Ansible's script action: the first shell word names the script (quotes let it hold spaces);
  // the command run is the text as written with that name replaced by the uploaded copy
  const scriptArg = shellSplit(raw)[0];
  const src = findNeedle(s.request.searchPath, "files", scriptArg);
  if (!src) return failed(`Could not find or access '${scriptArg}'`);
  if (s.request.checkMode) return { changed: true, msg: "script would run (check mode)", skipped: false };
  const tmp = join(await s.tempDir(), `mito-script-${Date.now()}-${basename(src)}`);
  await s.context.putFile(tmp, new Uint8Array(readFileSync(src)), { mode: 0o700 });
  const cmd = [args.executable ? String(args.executable) : "", raw.replaceAll(scriptArg, tmp)].filter(Boolean)
    .join(" ");
  try {
    const r = await s.runModule("shell", {
      _raw_params: cmd,
      strip_empty_ends: false,
      ...(args.chdir !== undefined ? { chdir: args.chdir } : {}),
      ...(args.creates !== undefined ? { creates: args.creates } : {}),
      ...(args.removes !== undefined ? { removes: args.removes } : {}),
    });
    const { cmd: _c, start: _s, end: _e, delta: _d, invocation: _i, ...kept } = r;
    return { ...kept, changed: r.changed ?? true };
  } finally {
    unlinkLater(s, tmp);
  }
};

/** unarchive with a controller-side archive: send it first, then unpack on the target. */
export const unarchiveAction: Action = async (s, args, env) => {
  // `copy` is the old inverse of remote_src; Ansible reads it instead when it is given
  const remote = args.copy !== undefined ? !flag(args.copy) : flag(args.remote_src);
  if (typeof args.creates === "string" && args.creates) {
    // Ansible's action skips the task before any transfer, whichever module set runs the target half.
    const st = await s.runModule("ansible.legacy.stat", { path: args.creates, get_checksum: false });
    if ((st.stat as Record<string, unknown> | undefined)?.exists) {
      return { skipped: true, changed: false, msg: `skipped, since ${args.creates} exists` };
    }
  }
  if (remote || /^(https?|ftp):\/\//.test(String(args.src ?? ""))) {
    return await s.runModule("ansible.legacy.unarchive", args);
  }
  const srcArg = String(args.src ?? "");
  const src = findNeedle(s.request.searchPath, "files", srcArg);
  if (!src) return failed(`Could not find or access '${srcArg}'`);
  const tmp = join(await s.tempDir(), `mito-archive-${randomBytes(8).toString("hex")}-${basename(src)}`);
  const size = statSync(src).size;
  await putWatched(s, env, `unarchive ${s.request.targetHost}:${src}`, tmp, fileChunks(src), size, {
    mode: 0o600,
  });
  try {
    return await s.runModule("ansible.legacy.unarchive", { ...args, src: tmp, remote_src: true });
  } finally {
    unlinkLater(s, tmp);
  }
};

/**
 * assemble with remote_src false: the fragments are the controller's (a files/ directory), joined here
 * as Ansible's action does, then it is a copy of content; with remote_src (the default) the target does it.
 */
export const assembleAction: Action = async (s, args, env) => {
  if (args.src === undefined || args.src === null || args.dest === undefined || args.dest === null) {
    return failed("src and dest are required");
  }
  if (flag(args.remote_src ?? "yes")) {
    // decrypt belongs to the action (Ansible takes it out first): the module would refuse it
    return await s.runModule("ansible.legacy.assemble", moduleArgs(args, new Set(["decrypt"])));
  }
  const srcArg = String(args.src);
  const src = findNeedle(s.request.searchPath, "files", srcArg);
  if (!src) return failed(`Could not find or access '${srcArg}'`);
  if (!statSync(src).isDirectory()) return failed(`Source (${src}) is not a directory`);
  const pattern = args.regexp === undefined || args.regexp === null
    ? undefined
    : new RegExp(String(args.regexp));
  // The delimiter's escapes (\n, \t…) are decoded, as Python's codecs.escape_decode does.
  const delimiter = args.delimiter === undefined || args.delimiter === null ? "" : String(args.delimiter)
    .replace(
      /\\([nrt\\'"])/g,
      (_, c: string) => ({ n: "\n", r: "\r", t: "\t" } as Record<string, string>)[c] ?? c,
    );
  const parts: Uint8Array[] = [];
  let first = true;
  let addNewline = false;
  for (const name of readdirSync(src).sort()) {
    if (pattern && !pattern.test(name)) continue;
    const file = join(src, name);
    if (!statSync(file).isFile() || (args.ignore_hidden === true && name.startsWith("."))) continue;
    const content = new Uint8Array(readFileSync(file));
    if (addNewline) parts.push(new TextEncoder().encode("\n"));
    if (!first && delimiter) {
      parts.push(new TextEncoder().encode(delimiter.endsWith("\n") ? delimiter : delimiter + "\n"));
    }
    parts.push(content);
    first = false;
    addNewline = content.length === 0 || content[content.length - 1] !== 10;
  }
  const data = new Uint8Array(Buffer.concat(parts));
  const rest = moduleArgs(args, new Set(["remote_src", "regexp", "delimiter", "ignore_hidden", "decrypt"]));
  return await putContent(s, { bytes: data }, rest, undefined, env, src);
};

/**
 * async_status: Ansible's action fills in what its module leaves out (no output, the job file's path:
 * results_file, or erased in cleanup mode), then the module's result goes over it.
 */
export const asyncStatusAction: Action = async (s, args) => {
  const bad = asyncStatusArgsError(args, actionLoadName(s.request.moduleWritten ?? s.request.module));
  // Ansible's action raises AnsibleActionFail: its result carries the (empty) traceback of no exception
  if (bad) return actionFail(bad);
  const base = asyncStatusBase(
    args.jid === undefined ? undefined : String(args.jid),
    args.mode === "cleanup",
  );
  const dir = asyncDirOf(s.request.connectionVars);
  return { ...base, ...await s.runModule("async_status", { ...args, _async_dir: dir }) };
};

/** What Ansible's async_status action starts its result with, before its module's result goes over it. */
export function asyncStatusBase(jid: string | undefined, cleanup: boolean): ModuleResult {
  return {
    started: cleanup ? 0 : 1,
    finished: 0,
    stdout: "",
    stderr: "",
    stdout_lines: [],
    stderr_lines: [],
    ...(jid === undefined ? {} : { ansible_job_id: jid }),
  };
}

/**
 * The name Ansible's action loader gives an action plugin (its _load_name, which argument errors show):
 * a collection's plugin by its Python module path, ansible.legacy's and a short name's as the short name.
 */
function actionLoadName(written: string): string {
  const m = /^([^.]+)\.([^.]+)\.([^.]+)$/.exec(written);
  if (!m || (m[1] === "ansible" && m[2] === "legacy")) return m ? m[3] : written;
  return `ansible_collections.${m[1]}.${m[2]}.plugins.action.${m[3]}`;
}

/** What Ansible's async_status action says of its arguments, in its validator's order; undefined: fine. */
function asyncStatusArgsError(args: Record<string, unknown>, name: string): string | undefined {
  const unknown = Object.keys(args).filter((k) => k !== "jid" && k !== "mode").sort();
  if (unknown.length) {
    return `Unsupported parameters for (${name}) module: ${unknown.join(", ")}. ` +
      "Supported parameters include: jid, mode.";
  }
  if (args.jid === undefined || args.jid === null) return "missing required arguments: jid";
  if (args.mode !== undefined && args.mode !== null && args.mode !== "status" && args.mode !== "cleanup") {
    return `value of mode must be one of: status, cleanup, got: ${String(args.mode)}`;
  }
  return undefined;
}

export const ACTIONS: Readonly<Record<string, Action>> = {
  async_status: asyncStatusAction,
  assemble: assembleAction,
  copy: copyAction,
  template: templateAction,
  fetch: fetchAction,
  script: scriptAction,
  unarchive: unarchiveAction,
  package: packageAction,
  service: serviceAction,
  gather_facts: gatherFactsAction,
  _mito_put_file: putFileAction,
  _mito_fetch_file: fetchFileAction,
  _mito_exec_command: execCommandAction,
};
