// C's strftime for templates: now().strftime(), the strftime filter and datetime objects share it.

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** A C strftime subset (the directives playbooks use). */
export function strftime(fmt: string, d: Date, utc: boolean): string {
  const g = utc
    ? {
      Y: d.getUTCFullYear(),
      m: d.getUTCMonth(),
      d: d.getUTCDate(),
      H: d.getUTCHours(),
      M: d.getUTCMinutes(),
      S: d.getUTCSeconds(),
      w: d.getUTCDay(),
    }
    : {
      Y: d.getFullYear(),
      m: d.getMonth(),
      d: d.getDate(),
      H: d.getHours(),
      M: d.getMinutes(),
      S: d.getSeconds(),
      w: d.getDay(),
    };
  const p2 = (n: number) => String(n).padStart(2, "0");
  const start = utc ? Date.UTC(g.Y, 0, 1) : new Date(g.Y, 0, 1).getTime();
  const cur = utc ? Date.UTC(g.Y, g.m, g.d) : new Date(g.Y, g.m, g.d).getTime();
  const yday = Math.round((cur - start) / 86400000) + 1;
  return fmt.replace(/%([a-zA-Z%])/g, (m, c: string) => {
    switch (c) {
      case "Y":
        return String(g.Y);
      case "y":
        return p2(g.Y % 100);
      case "m":
        return p2(g.m + 1);
      case "d":
        return p2(g.d);
      case "e":
        return String(g.d).padStart(2, " ");
      case "H":
        return p2(g.H);
      case "I":
        return p2(g.H % 12 || 12);
      case "p":
        return g.H < 12 ? "AM" : "PM";
      case "M":
        return p2(g.M);
      case "S":
        return p2(g.S);
      case "f":
        return String(d.getMilliseconds() * 1000).padStart(6, "0");
      case "j":
        return String(yday).padStart(3, "0");
      case "a":
        return DAYS[g.w].slice(0, 3);
      case "A":
        return DAYS[g.w];
      case "b":
      case "h":
        return MONTHS[g.m].slice(0, 3);
      case "B":
        return MONTHS[g.m];
      case "w":
        return String(g.w);
      case "s":
        return String(Math.floor(d.getTime() / 1000));
      case "z": {
        if (utc) return "+0000";
        const off = -d.getTimezoneOffset();
        return (off >= 0 ? "+" : "-") + p2(Math.floor(Math.abs(off) / 60)) + p2(Math.abs(off) % 60);
      }
      case "Z":
        return utc ? "UTC" : Intl.DateTimeFormat().resolvedOptions().timeZone;
      case "F":
        return `${g.Y}-${p2(g.m + 1)}-${p2(g.d)}`;
      case "T":
        return `${p2(g.H)}:${p2(g.M)}:${p2(g.S)}`;
      case "D":
        return `${p2(g.m + 1)}/${p2(g.d)}/${p2(g.Y % 100)}`;
      case "%":
        return "%";
    }
    return m;
  });
}
