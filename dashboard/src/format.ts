/** "3 min ago"-style time for lists; the exact time goes in a title. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} days ago`;
}

/** An exact UTC time for titles and detail pages. */
export function exact(iso: string | null | undefined): string {
  if (!iso) return '—';
  return iso
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC')
    .replace(/Z$/, ' UTC');
}

/** Thousands separated. */
export function num(n: number): string {
  return n.toLocaleString('en-US');
}

/** The UTC day `offset` days from today, YYYY-MM-DD. */
export function utcDay(offset = 0, now = Date.now()): string {
  return new Date(now + offset * 86_400_000).toISOString().slice(0, 10);
}

/** `days` UTC days ending today: [from, to]. */
export function lastDays(days: number): [string, string] {
  return [utcDay(-(days - 1)), utcDay(0)];
}

/** "1 crash", "3 crashes". */
export function plural(n: number, one: string, many: string): string {
  return `${num(n)} ${n === 1 ? one : many}`;
}

/**
 * A fraction 0–1 as a percentage with up to two decimals, rounded down so a release with one crash
 * never reads "100 %"; null (no sessions) is "—".
 */
export function percent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return '—';
  // The small epsilon keeps binary fractions (0.29 × 10,000 = 2899.999…) on their decimal value.
  const hundredths = Math.floor(fraction * 10_000 + 1e-6) / 100;
  return `${hundredths.toLocaleString('en-US', { maximumFractionDigits: 2 })} %`;
}

/**
 * A time relative to another (a breadcrumb's to its crash): `−2.4 s`, `−3 min 5 s`, `−2 h 4 min`,
 * `−3 d 2 h`; `+…` for a time after it, `0 s` for the same. `—` when either is missing or malformed.
 */
export function relativeTime(iso: string, to: string | null | undefined): string {
  const t = Date.parse(iso);
  const base = to ? Date.parse(to) : Number.NaN;
  if (Number.isNaN(t) || Number.isNaN(base)) return '—';
  const ms = t - base;
  const sign = ms < 0 ? '−' : '+';
  const abs = Math.abs(ms);
  if (abs < 50) return '0 s';
  if (abs < 10_000) return `${sign}${(abs / 1000).toFixed(1)} s`;
  const s = Math.round(abs / 1000);
  if (s < 60) return `${sign}${s} s`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${sign}${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${sign}${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** ` in staging` after a figure filtered to one environment; nothing for every environment. */
export function inEnvironment(env: string | undefined): string {
  return env === undefined ? '' : ` in ${env}`;
}
