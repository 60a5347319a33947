// Encoding and hashing filters: base64, UUIDs, digests, password hashes, URL parts and quoting.
import { createHash } from "node:crypto";
import { TemplateError } from "./_errors.ts";
import { defined, isMapping, mapGet, mapKeys, pyIter, pyStr, pyTypeName, unwrap } from "./_py.ts";
import { passwordHash } from "./_password_hash.ts";
import { pyInt } from "../py/int_parse.ts";
import { bind, type FilterContext, str } from "./_filter_util.ts";
import type { FilterFn } from "./templar.ts";

function urlsplit(value: string): Record<string, unknown> {
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(
    value,
  )!;
  const netloc = m[2] ?? "";
  const at = netloc.lastIndexOf("@");
  const userinfo = at >= 0 ? netloc.slice(0, at) : "";
  const hostport = at >= 0 ? netloc.slice(at + 1) : netloc;
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostport)!;
  const host = hp[1].replace(/^\[|\]$/g, "").toLowerCase();
  const ci = userinfo.indexOf(":");
  return {
    fragment: m[5] ?? "",
    hostname: host || null,
    netloc,
    password: at >= 0 && ci >= 0 ? userinfo.slice(ci + 1) : null,
    path: m[3] ?? "",
    port: hp[2] ? parseInt(hp[2], 10) : null,
    query: m[4] ?? "",
    scheme: (m[1] ?? "").toLowerCase(),
    username: at >= 0 ? (ci >= 0 ? userinfo.slice(0, ci) : userinfo) : null,
  };
}

/** Python's urllib.parse.quote: letters, digits and "_.-~" plus `safe` stay, the rest is %-encoded UTF-8. */
function urlQuote(s: string, safe: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_.\-~]/.test(c) || safe.includes(c)
      ? c
      : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** Python codec names as Node's Buffer encodings. */
function bufferEncoding(name: unknown): BufferEncoding {
  const n = name === undefined || name === null ? "utf-8" : pyStr(name).toLowerCase().replace(/_/g, "-");
  const map: Record<string, BufferEncoding> = {
    "utf-8": "utf8",
    utf8: "utf8",
    "utf-16-le": "utf16le",
    "utf-16le": "utf16le",
    "latin-1": "latin1",
    latin1: "latin1",
    "iso-8859-1": "latin1",
    ascii: "ascii",
  };
  const e = map[n];
  if (!e) throw new TemplateError(`unsupported encoding '${n}'`);
  return e;
}

/** uuid5 as Python's uuid.uuid5(UUID(namespace), name). */
/** The 32 hex digits of a UUID namespace as Python's uuid.UUID(text) reads it, or why it cannot. */
function uuidHex(namespace: unknown): string {
  const ns = unwrap(namespace);
  if (ns === null) {
    throw new TypeError("one of the hex, bytes, bytes_le, fields, or int arguments must be given");
  }
  const invalid = (why: string) =>
    new TemplateError(`Invalid value '${pyStr(namespace)}' for 'namespace': ${why}`);
  if (typeof ns !== "string") throw invalid(`'${pyTypeName(namespace)}' object has no attribute 'replace'`);
  const hex = ns.replaceAll("urn:", "").replaceAll("uuid:", "").replace(/^[{}]+|[{}]+$/g, "").replaceAll(
    "-",
    "",
  );
  if (hex.length !== 32) throw invalid("badly formed hexadecimal UUID string");
  let n: number | bigint;
  try {
    n = pyInt(hex, 16);
  } catch (e) {
    throw invalid((e as Error).message);
  }
  if (n < 0) throw invalid("int is out of range (need a 128-bit value)");
  return BigInt(n).toString(16).padStart(32, "0");
}

function uuid5(ns: string, name: string): string {
  const nsBytes = Buffer.from(ns, "hex");
  const h = createHash("sha1").update(nsBytes).update(name, "utf8").digest();
  const b = h.subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = b.toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The encoding family of the built-in filter table. */
export function encodingFilters(_ctx: FilterContext): Record<string, FilterFn> {
  return {
    urlencode: (v) => {
      const u = unwrap(defined(v));
      if (typeof u === "string") return urlQuote(u, "/");
      const pairs = isMapping(u) ? mapKeys(u).map((k) => [k, mapGet(u, k)]) : pyIter(u).map((p) => pyIter(p));
      const q = (x: unknown) => urlQuote(pyStr(x), "").replace(/%20/g, "+");
      return pairs.map(([k, x]) => `${q(k)}=${q(x)}`).join("&");
    },
    b64decode: (v, ...args) => {
      const o = bind(args, ["encoding"], "b64decode");
      return Buffer.from(str(v), "base64").toString(bufferEncoding(o.encoding));
    },
    b64encode: (v, ...args) => {
      const o = bind(args, ["encoding"], "b64encode");
      return Buffer.from(str(v), bufferEncoding(o.encoding)).toString("base64");
    },
    to_uuid: (v, ...args) => {
      const o = bind(args, ["namespace"], "to_uuid");
      const namespace = o.namespace === undefined ? "361E6D51-FAEC-444A-9079-341386DA8E2E" : o.namespace;
      return uuid5(uuidHex(namespace), str(v));
    },
    md5: (v) => createHash("md5").update(str(v), "utf8").digest("hex"),
    sha1: (v) => createHash("sha1").update(str(v), "utf8").digest("hex"),
    checksum: (v) => createHash("sha1").update(str(v), "utf8").digest("hex"),
    hash: (v, ...args) => {
      const o = bind(args, ["hashtype"], "hash");
      const t = pyStr(o.hashtype ?? "sha1");
      const alias: Record<string, string> = { blake2b: "blake2b512", blake2s: "blake2s256" };
      const data = str(v);
      let h;
      try {
        h = createHash(alias[t] ?? t.replace(/^sha3_/, "sha3-"));
      } catch {
        throw new TemplateError(`unsupported hash type ${t}`);
      }
      return h.update(data, "utf8").digest("hex");
    },
    password_hash: (v, ...args) => {
      const o = bind(args, ["hashtype", "salt", "salt_size", "rounds", "ident"], "password_hash");
      return passwordHash(str(v), o);
    },
    urlsplit: (v, ...args) => {
      const o = bind(args, ["query"], "urlsplit");
      const parts = urlsplit(str(v));
      if (o.query) {
        const q = pyStr(o.query);
        if (!(q in parts)) throw new TemplateError(`urlsplit: unknown URL component: ${q}`);
        return parts[q];
      }
      return parts;
    },
    urldecode: (v) => {
      // unquote_plus: "+" is a space, %XX sequences are UTF-8 bytes (invalid ones are replaced)
      const bytes: number[] = [];
      const src = str(v).replace(/\+/g, " ");
      for (let i = 0; i < src.length; i++) {
        const hex = src.slice(i + 1, i + 3);
        if (src[i] === "%" && /^[0-9a-fA-F]{2}$/.test(hex)) {
          bytes.push(parseInt(hex, 16));
          i += 2;
        } else bytes.push(...Buffer.from(src[i], "utf8"));
      }
      return Buffer.from(bytes).toString("utf8");
    },
  };
}
