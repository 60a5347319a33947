// The jsonfile fact cache (fact_caching = jsonfile, fact_caching_connection = DIR): each host's gathered
// and cacheable facts in DIR/<prefix><host> (fact_caching_prefix, none by default), as Ansible's jsonfile cache plugin keeps them (sorted keys, indent
// 4, expired after fact_caching_timeout seconds). ansible-runner points it at
// artifacts/<ident>/fact_cache: AWX puts a host's facts from earlier jobs there before a job and reads
// back the files the job changed.
import * as fs from "node:fs";
import * as path from "node:path";
import { pyJson } from "./callbacks/_pyjson.ts";

export class JsonFileFactCache {
  #dir: string;
  #timeoutS: number;
  #now: () => number;
  #prefix: string;
  #facts = new Map<string, Record<string, unknown>>();

  /** `timeoutS` 0 keeps entries for ever. */
  constructor(dir: string, timeoutS = 86400, now: () => number = Date.now, prefix = "") {
    this.#prefix = prefix;
    this.#dir = dir;
    this.#timeoutS = timeoutS;
    this.#now = now;
  }

  /** The host's cached facts, unless absent, unreadable or expired. */
  load(host: string): Record<string, unknown> | undefined {
    if (this.#facts.has(host)) return this.#facts.get(host);
    const file = path.join(this.#dir, this.#prefix + host);
    let facts: Record<string, unknown> | undefined;
    try {
      const age = (this.#now() - fs.statSync(file).mtimeMs) / 1000;
      if (this.#timeoutS && age > this.#timeoutS) return undefined;
      const parsed = JSON.parse(fs.readFileSync(file, "utf8"));
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) facts = parsed;
    } catch {
      // As Ansible's plugin: a missing or corrupt entry is no facts.
      return undefined;
    }
    if (facts) this.#facts.set(host, facts);
    return facts;
  }

  /** Drops the host's cached facts (--flush-cache), as Ansible's plugin deletes its file. */
  forget(host: string): void {
    this.#facts.delete(host);
    fs.rmSync(path.join(this.#dir, this.#prefix + host), { force: true });
  }

  /** Facts a module gathered or set_fact marked cacheable, merged into what the host has cached. */
  update(host: string, facts: Record<string, unknown>): void {
    const all = { ...this.load(host), ...facts };
    this.#facts.set(host, all);
    fs.mkdirSync(this.#dir, { recursive: true });
    const file = path.join(this.#dir, this.#prefix + host);
    // Written aside and renamed: a reader never sees half a file.
    fs.writeFileSync(`${file}.tmp`, pyJson(all, 4, { ascii: true }));
    fs.renameSync(`${file}.tmp`, file);
  }
}
