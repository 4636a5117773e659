/**
 * Which IP addresses an alert may be sent to, by allow-list: public IPv4, and IPv6 in 2000::/3
 * outside IANA's special-purpose registry. Every IPv6 form that carries an IPv4 address
 * (mapped, compatible, translated, NAT64, 6to4, Teredo) is judged as the IPv4 it carries.
 */
import { isIP } from 'node:net';

/** Why an address is refused, or `loopback` (allowed on the local stack only), or null (public). */
export type AddressKind =
  'loopback' | 'private_address' | 'link_local_address' | 'metadata_address' | 'reserved_address' | null;

type Refused = Exclude<AddressKind, null>;

function v4Number(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

// IANA IPv4 Special-Purpose Address Registry, plus multicast and 240/4: none is a destination.
const V4_SPECIAL: ReadonlyArray<[string, number, Refused]> = [
  ['0.0.0.0', 8, 'reserved_address'],
  ['10.0.0.0', 8, 'private_address'],
  ['100.64.0.0', 10, 'private_address'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.169.254', 32, 'metadata_address'],
  ['169.254.0.0', 16, 'link_local_address'],
  ['172.16.0.0', 12, 'private_address'],
  ['192.0.0.0', 24, 'reserved_address'],
  ['192.0.2.0', 24, 'reserved_address'],
  ['192.88.99.0', 24, 'reserved_address'],
  ['192.168.0.0', 16, 'private_address'],
  ['198.18.0.0', 15, 'reserved_address'],
  ['198.51.100.0', 24, 'reserved_address'],
  ['203.0.113.0', 24, 'reserved_address'],
  ['224.0.0.0', 4, 'reserved_address'],
  ['240.0.0.0', 4, 'reserved_address'],
];

function classifyV4Number(n: number): AddressKind {
  for (const [base, bits, kind] of V4_SPECIAL) {
    const start = v4Number(base);
    if (n >= start && n < start + 2 ** (32 - bits)) return kind;
  }
  return null;
}

/** Expands an IPv6 address to its eight 16-bit groups (a dotted IPv4 tail counts as two). */
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

/** The IPv4 address in groups `i` and `i + 1`, as a number. */
function v4At(g: number[], i: number): number {
  return ((g[i]! << 16) | g[i + 1]!) >>> 0;
}

/** The worst verdict of the IPv4 addresses an IPv6 address carries (all must be public). */
function judgeEmbedded(...addresses: number[]): AddressKind {
  for (const n of addresses) {
    const kind = classifyV4Number(n);
    if (kind !== null) return kind;
  }
  return null;
}

function classifyV6(g: number[]): AddressKind {
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 8)) return 'reserved_address'; // ::
  if (zero(0, 7) && g[7] === 1) return 'loopback'; // ::1
  if (zero(0, 5) && g[5] === 0xffff) return judgeEmbedded(v4At(g, 6)); // ::ffff:a.b.c.d, mapped
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return judgeEmbedded(v4At(g, 6)); // ::ffff:0:a.b.c.d, translated
  if (zero(0, 6)) return judgeEmbedded(v4At(g, 6)); // ::a.b.c.d, compatible
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return judgeEmbedded(v4At(g, 6)); // 64:ff9b::/96, NAT64
  // 64:ff9b:1::/48 is local-use NAT64: never global, but name what it carries when that is worse.
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return judgeEmbedded(v4At(g, 6)) ?? 'reserved_address';
  if ((g[0]! & 0xe000) !== 0x2000) {
    if ((g[0]! & 0xfe00) === 0xfc00) return 'private_address'; // fc00::/7, incl. fd00:ec2::254
    if ((g[0]! & 0xffc0) === 0xfe80) return 'link_local_address';
    return 'reserved_address'; // outside 2000::/3: 100::/64 discard, multicast, unassigned
  }
  if (g[0] === 0x2002) return judgeEmbedded(v4At(g, 1)); // 6to4: 2002:AABB:CCDD::/48
  // Teredo 2001:0::/32: the server's IPv4, then the client's, stored inverted.
  if (g[0] === 0x2001 && g[1] === 0) return judgeEmbedded(v4At(g, 2), ~v4At(g, 6) >>> 0);
  if (g[0] === 0x2001 && g[1]! < 0x200) return 'reserved_address'; // 2001::/23 IETF protocol assignments
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'reserved_address'; // documentation
  if (g[0] === 0x3fff && g[1]! < 0x1000) return 'reserved_address'; // 3fff::/20 documentation
  if (g[0] === 0x5f00) return 'reserved_address'; // 5f00::/16 SRv6 SIDs
  return null;
}

/**
 * What kind of address `ip` is: null for a global unicast one, `loopback`, or the refusal for
 * anything else. Anything that is not an IP address is `reserved_address`.
 */
export function classifyAddress(ip: string): AddressKind {
  const family = isIP(ip);
  if (family === 4) return classifyV4Number(v4Number(ip));
  if (family === 6) return classifyV6(v6Groups(ip));
  return 'reserved_address';
}
