/**
 * The SSRF guard: which URLs a destination may have and which addresses a message may be sent
 * to. Checked when a destination is created or changed, and again at every send, against the
 * addresses the host resolves to then (a name may be re-pointed after it was checked).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Why a URL or address was refused, as told to the owner and recorded on the destination. */
export type Refusal =
  | 'not_a_url'
  | 'scheme_not_allowed'
  | 'credentials_in_url'
  | 'loopback_address'
  | 'private_address'
  | 'link_local_address'
  | 'metadata_address'
  | 'reserved_address'
  | 'unresolvable_host';

/** A URL's verdict: where to connect, or why not. */
export type AddressCheck =
  { ok: true; url: URL; address: string; family: 4 | 6 } | { ok: false; refusal: Refusal; message: string };

/** Resolves a host name to every address it has (node's resolver, or a stand-in in tests). */
export type Resolve = (host: string) => Promise<Array<{ address: string; family: number }>>;

const defaultResolve: Resolve = (host) => dnsLookup(host, { all: true, verbatim: true });

function v4Number(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function inV4(ip: number, base: string, bits: number): boolean {
  const size = 2 ** (32 - bits);
  const start = v4Number(base);
  return ip >= start && ip < start + size;
}

/** Expands an IPv6 address to its eight 16-bit groups (an embedded IPv4 tail counts as two). */
function v6Groups(ip: string): number[] {
  let text = ip.toLowerCase().split('%')[0]!;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail !== null) {
    const n = v4Number(tail[1]!);
    text = text.slice(0, -tail[1]!.length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16));
}

function classifyV4(ip: string): Refusal | 'loopback' | null {
  const n = v4Number(ip);
  if (ip === '169.254.169.254') return 'metadata_address';
  if (inV4(n, '127.0.0.0', 8)) return 'loopback';
  if (inV4(n, '169.254.0.0', 16)) return 'link_local_address';
  if (inV4(n, '10.0.0.0', 8) || inV4(n, '172.16.0.0', 12) || inV4(n, '192.168.0.0', 16) || inV4(n, '100.64.0.0', 10))
    return 'private_address';
  if (
    inV4(n, '0.0.0.0', 8) ||
    inV4(n, '192.0.0.0', 24) ||
    inV4(n, '192.0.2.0', 24) ||
    inV4(n, '198.18.0.0', 15) ||
    inV4(n, '198.51.100.0', 24) ||
    inV4(n, '203.0.113.0', 24) ||
    inV4(n, '224.0.0.0', 4) ||
    inV4(n, '240.0.0.0', 4)
  )
    return 'reserved_address';
  return null;
}

/**
 * What kind of address `ip` is: null for a public one, `loopback`, or the refusal for any
 * private, link-local, metadata or reserved one. IPv4 inside IPv6 (mapped, NAT64) counts as
 * the IPv4 address it carries.
 */
export function classifyAddress(ip: string): Refusal | 'loopback' | null {
  const family = isIP(ip);
  if (family === 4) return classifyV4(ip);
  if (family !== 6) return 'reserved_address';
  const g = v6Groups(ip);
  const embedded = `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
  const zeroUntil = (k: number) => g.slice(0, k).every((x) => x === 0);
  if (zeroUntil(5) && g[5] === 0xffff) return classifyV4(embedded); // ::ffff:a.b.c.d
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return classifyV4(embedded); // 64:ff9b::/96
  if (zeroUntil(7) && g[7] === 1) return 'loopback';
  if (zeroUntil(8)) return 'reserved_address';
  if ((g[0]! & 0xfe00) === 0xfc00) return 'private_address'; // fc00::/7, incl. fd00:ec2::254
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link_local_address';
  if ((g[0]! & 0xff00) === 0xff00 || (g[0] === 0x2001 && g[1] === 0x0db8)) return 'reserved_address';
  return null;
}

const MESSAGES: Record<Refusal, string> = {
  not_a_url: 'is not a URL',
  scheme_not_allowed: 'must use https',
  credentials_in_url: 'must not carry a user name or password',
  loopback_address: 'resolves to a loopback address',
  private_address: 'resolves to a private address',
  link_local_address: 'resolves to a link-local address',
  metadata_address: 'resolves to the metadata server',
  reserved_address: 'resolves to a reserved address',
  unresolvable_host: 'has a host name that does not resolve',
};

function refuse(refusal: Refusal): AddressCheck {
  return { ok: false, refusal, message: MESSAGES[refusal] };
}

/**
 * Checks a destination URL: https (or, with `allowLoopback`, http to a loopback address), no
 * credentials, and every address its host resolves to public. Answers the address to connect
 * to, so the connection goes where the check looked.
 */
export async function checkDestination(
  raw: string,
  options: { allowLoopback: boolean; resolve?: Resolve },
): Promise<AddressCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('not_a_url');
  }
  if (url.protocol !== 'https:' && !(options.allowLoopback && url.protocol === 'http:'))
    return refuse('scheme_not_allowed');
  if (url.username !== '' || url.password !== '') return refuse('credentials_in_url');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // Plain http is for a local receiver only: refused before any name is looked up.
  const loopbackName = host === 'localhost' || (isIP(host) !== 0 && classifyAddress(host) === 'loopback');
  if (url.protocol === 'http:' && !loopbackName) return refuse('scheme_not_allowed');
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await (options.resolve ?? defaultResolve)(host);
    } catch {
      return refuse('unresolvable_host');
    }
    if (addresses.length === 0) return refuse('unresolvable_host');
  }
  // Every address must pass: a name with one private address among public ones is refused.
  for (const { address } of addresses) {
    const kind = classifyAddress(address);
    if (kind === 'loopback') {
      if (!options.allowLoopback) return refuse('loopback_address');
    } else if (kind !== null) return refuse(kind);
  }
  if (url.protocol === 'http:' && addresses.some(({ address }) => classifyAddress(address) !== 'loopback'))
    return refuse('scheme_not_allowed');
  const first = addresses[0]!;
  return { ok: true, url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
