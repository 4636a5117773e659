/**
 * The SSRF guard: which URLs a destination may have and which addresses a message may be sent
 * to. Checked when a destination is created or changed, and again at every send, against the
 * addresses the host resolves to then (a name may be re-pointed after it was checked). Which
 * addresses pass is `global-unicast.ts`'s allow-list.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyAddress } from './global-unicast';

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
