// Python's datetime.datetime and datetime.timedelta as templates meet them (now(), to_datetime, subtraction).
import { mkFloat, PyObject, pyStr, unwrap } from "./_py.ts";
import { PyCallable } from "./_callable.ts";
import { strftime } from "./_strftime.ts";
import { TemplateError } from "./_errors.ts";

const p2 = (n: number) => String(n).padStart(2, "0");

/** A naive datetime; arithmetic treats its fields as UTC, as naive datetimes have no zone. */
export class PyDateTime extends PyObject {
  readonly typeName = "datetime";
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
    readonly hour = 0,
    readonly minute = 0,
    readonly second = 0,
    readonly microsecond = 0,
  ) {
    super();
  }

  static fromDate(d: Date, utc: boolean): PyDateTime {
    return utc
      ? new PyDateTime(
        d.getUTCFullYear(),
        d.getUTCMonth() + 1,
        d.getUTCDate(),
        d.getUTCHours(),
        d.getUTCMinutes(),
        d.getUTCSeconds(),
        d.getUTCMilliseconds() * 1000,
      )
      : new PyDateTime(
        d.getFullYear(),
        d.getMonth() + 1,
        d.getDate(),
        d.getHours(),
        d.getMinutes(),
        d.getSeconds(),
        d.getMilliseconds() * 1000,
      );
  }

  /** Microseconds since 1970-01-01 00:00 of the naive fields. */
  key(): number {
    return Date.UTC(this.year, this.month - 1, this.day, this.hour, this.minute, this.second) * 1000 +
      this.microsecond;
  }

  static fromKey(us: number): PyDateTime {
    const ms = Math.floor(us / 1000);
    const d = PyDateTime.fromDate(new Date(ms), true);
    return new PyDateTime(
      d.year,
      d.month,
      d.day,
      d.hour,
      d.minute,
      d.second,
      us - ms * 1000 + (ms % 1000) * 1000,
    );
  }

  isoformat(sep = "T"): string {
    const date = `${String(this.year).padStart(4, "0")}-${p2(this.month)}-${p2(this.day)}`;
    const time = `${p2(this.hour)}:${p2(this.minute)}:${p2(this.second)}`;
    return date + sep + time + (this.microsecond ? "." + String(this.microsecond).padStart(6, "0") : "");
  }

  override str(): string {
    return this.isoformat(" ");
  }

  repr(): string {
    const f = [this.year, this.month, this.day, this.hour, this.minute];
    if (this.second || this.microsecond) f.push(this.second);
    if (this.microsecond) f.push(this.microsecond);
    return `datetime.datetime(${f.join(", ")})`;
  }

  getattr(name: string): unknown {
    switch (name) {
      case "year":
      case "month":
      case "day":
      case "hour":
      case "minute":
      case "second":
      case "microsecond":
        return this[name];
      case "strftime":
        return new PyCallable("strftime", ([fmt]) => {
          const d = new Date(
            Date.UTC(this.year, this.month - 1, this.day, this.hour, this.minute, this.second),
          );
          return strftime(pyStr(fmt), d, true).replace(/\+0000|UTC/g, "");
        });
      case "isoformat":
        return new PyCallable("isoformat", ([sep]) => this.isoformat(sep === undefined ? "T" : pyStr(sep)));
      case "timestamp":
        return new PyCallable("timestamp", () => {
          const local = new Date(this.year, this.month - 1, this.day, this.hour, this.minute, this.second);
          return local.getTime() / 1000 + this.microsecond / 1e6;
        });
      case "weekday":
        return new PyCallable("weekday", () => (new Date(this.key() / 1000).getUTCDay() + 6) % 7);
      case "isoweekday":
        return new PyCallable("isoweekday", () => ((new Date(this.key() / 1000).getUTCDay() + 6) % 7) + 1);
      case "date":
        return new PyCallable("date", () => new PyDateTime(this.year, this.month, this.day));
    }
    return undefined;
  }
}

export class PyTimeDelta extends PyObject {
  readonly typeName = "timedelta";
  readonly days: number;
  readonly seconds: number;
  readonly microseconds: number;
  constructor(readonly us: number) {
    super();
    this.days = Math.floor(us / 86400e6);
    const rest = us - this.days * 86400e6;
    this.seconds = Math.floor(rest / 1e6);
    this.microseconds = rest - this.seconds * 1e6;
  }
  key(): number {
    return this.us;
  }
  override str(): string {
    const h = Math.floor(this.seconds / 3600),
      m = Math.floor((this.seconds % 3600) / 60),
      s = this.seconds % 60;
    let out = `${h}:${p2(m)}:${p2(s)}`;
    if (this.microseconds) out += "." + String(this.microseconds).padStart(6, "0");
    if (this.days) out = `${this.days} day${Math.abs(this.days) === 1 ? "" : "s"}, ${out}`;
    return out;
  }
  repr(): string {
    const parts: string[] = [];
    if (this.days) parts.push(`days=${this.days}`);
    if (this.seconds) parts.push(`seconds=${this.seconds}`);
    if (this.microseconds) parts.push(`microseconds=${this.microseconds}`);
    return `datetime.timedelta(${parts.join(", ") || "0"})`;
  }
  getattr(name: string): unknown {
    if (name === "days" || name === "seconds" || name === "microseconds") return this[name];
    if (name === "total_seconds") return new PyCallable("total_seconds", () => mkFloat(this.us / 1e6));
    return undefined;
  }
}

/** datetime/timedelta arithmetic, or undefined when neither operand is one. */
export function dateBinop(op: string, a: unknown, b: unknown): unknown {
  a = unwrap(a);
  b = unwrap(b);
  if (a instanceof PyDateTime && b instanceof PyDateTime && op === "-") {
    return new PyTimeDelta(a.key() - b.key());
  }
  if (a instanceof PyDateTime && b instanceof PyTimeDelta) {
    if (op === "+") return PyDateTime.fromKey(a.key() + b.us);
    if (op === "-") return PyDateTime.fromKey(a.key() - b.us);
  }
  if (a instanceof PyTimeDelta && b instanceof PyDateTime && op === "+") {
    return PyDateTime.fromKey(b.key() + a.us);
  }
  if (a instanceof PyTimeDelta && b instanceof PyTimeDelta) {
    if (op === "+") return new PyTimeDelta(a.us + b.us);
    if (op === "-") return new PyTimeDelta(a.us - b.us);
  }
  if (a instanceof PyTimeDelta && (op === "*" || op === "/") && typeof b === "number") {
    return new PyTimeDelta(Math.round(op === "*" ? a.us * b : a.us / b));
  }
  if (a instanceof PyObject || b instanceof PyObject) {
    throw new TypeError(
      `unsupported operand type(s) for ${op}: '${(a as PyObject).typeName ?? typeof a}' and '${
        (b as PyObject).typeName ?? typeof b
      }'`,
    );
  }
  return undefined;
}

/** datetime.strptime for the common directives. */
export function strptime(s: string, fmt: string): PyDateTime {
  const groups: string[] = [];
  const re = fmt.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(
    /%([YmdHMSfyjbBpIaAzZ%])/g,
    (_m, c: string) => {
      if (c === "%") return "%";
      groups.push(c);
      switch (c) {
        case "Y":
          return "(\\d{4})";
        case "f":
          return "(\\d{1,6})";
        case "b":
        case "B":
        case "a":
        case "A":
          return "([A-Za-z]+)";
        case "p":
          return "(AM|PM|am|pm)";
        case "z":
          return "([+-]\\d{4}|Z)?";
        case "Z":
          return "([A-Z]*)";
        case "j":
          return "(\\d{1,3})";
        default:
          return "(\\d{1,2})";
      }
    },
  );
  const m = new RegExp("^" + re + "$").exec(s);
  if (!m) throw new TemplateError(`time data '${s}' does not match format '${fmt}'`);
  const v: Record<string, string> = {};
  groups.forEach((g, i) => (v[g] = m[i + 1] ?? ""));
  const months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
  const year = v.Y ? +v.Y : v.y ? (+v.y < 69 ? 2000 + +v.y : 1900 + +v.y) : 1900;
  const month = v.m ? +v.m : v.b || v.B ? months.indexOf((v.b || v.B).slice(0, 3).toLowerCase()) + 1 : 1;
  const hour = v.H ? +v.H : v.I ? (+v.I % 12) + (/pm/i.test(v.p ?? "") ? 12 : 0) : 0;
  if (month < 1) throw new TemplateError(`time data '${s}' does not match format '${fmt}'`);
  const micro = v.f ? +v.f.padEnd(6, "0") : 0;
  return new PyDateTime(year, month, v.d ? +v.d : 1, hour, v.M ? +v.M : 0, v.S ? +v.S : 0, micro);
}
