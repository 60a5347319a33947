// The jsonfile fact cache (fact_caching = jsonfile, fact_caching_connection = DIR): each host's gathered
// and cacheable facts in DIR/<host>, as Ansible's jsonfile cache plugin writes them (sorted keys, indent
// 4). ansible-runner points it at artifacts/<ident>/fact_cache, where AWX reads the facts of a job.
import * as fs from "node:fs";
import * as path from "node:path";
import { pyJson } from "./callbacks/_pyjson.ts";

export class JsonFileFactCache {
  #dir: string;
  #facts = new Map<string, Record<string, unknown>>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Facts a module gathered or set_fact marked cacheable, merged into the host's file. */
  update(host: string, facts: Record<string, unknown>): void {
    const all = { ...this.#facts.get(host), ...facts };
    this.#facts.set(host, all);
    fs.mkdirSync(this.#dir, { recursive: true });
    const file = path.join(this.#dir, host);
    // Written aside and renamed: a reader never sees half a file.
    fs.writeFileSync(`${file}.tmp`, pyJson(all, 4, { ascii: true }));
    fs.renameSync(`${file}.tmp`, file);
  }
}
