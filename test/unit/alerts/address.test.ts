import { checkDestination, classifyAddress, type Resolve } from '../../../functions/src/alerts/address';

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', null],
    ['2606:4700::1111', null],
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private_address'],
    ['172.16.0.1', 'private_address'],
    ['172.31.255.255', 'private_address'],
    ['172.32.0.1', null],
    ['192.168.1.1', 'private_address'],
    ['100.64.0.1', 'private_address'],
    ['169.254.169.254', 'metadata_address'],
    ['169.254.1.1', 'link_local_address'],
    ['0.0.0.0', 'reserved_address'],
    ['224.0.0.1', 'reserved_address'],
    ['255.255.255.255', 'reserved_address'],
    ['::', 'reserved_address'],
    ['::ffff:10.0.0.1', 'private_address'],
    ['::ffff:169.254.169.254', 'metadata_address'],
    ['::ffff:8.8.8.8', null],
    ['64:ff9b::a9fe:a9fe', 'metadata_address'],
    ['fd00:ec2::254', 'private_address'],
    ['fe80::1', 'link_local_address'],
    ['ff02::1', 'reserved_address'],
  ])('classifies %s as %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });
});

describe('checkDestination', () => {
  const resolveTo =
    (...addresses: string[]): Resolve =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('accepts https to a name that resolves only to public addresses, and answers the address to connect to', async () => {
    const check = await checkDestination('https://hooks.example.com/x', {
      allowLoopback: false,
      resolve: resolveTo('93.184.216.34'),
    });
    expect(check).toMatchObject({ ok: true, address: '93.184.216.34', family: 4 });
  });
  it('refuses a name with one private address among public ones', async () => {
    const check = await checkDestination('https://hooks.example.com/x', {
      allowLoopback: false,
      resolve: resolveTo('93.184.216.34', '10.0.0.8'),
    });
    expect(check).toMatchObject({ ok: false, refusal: 'private_address' });
  });
  it('refuses a name that does not resolve', async () => {
    const check = await checkDestination('https://nowhere.example/x', {
      allowLoopback: false,
      resolve: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
      },
    });
    expect(check).toMatchObject({ ok: false, refusal: 'unresolvable_host' });
  });
  it('refuses loopback unless the local setting allows it', async () => {
    expect(await checkDestination('https://127.0.0.1:9/x', { allowLoopback: false })).toMatchObject({
      ok: false,
      refusal: 'loopback_address',
    });
    expect(await checkDestination('http://127.0.0.1:9/x', { allowLoopback: true })).toMatchObject({ ok: true });
  });
  it('refuses plain http to anything but loopback, even with the local setting', async () => {
    const resolve = resolveTo('93.184.216.34');
    expect(await checkDestination('http://hooks.example.com/x', { allowLoopback: true, resolve })).toMatchObject({
      ok: false,
      refusal: 'scheme_not_allowed',
    });
    expect(await checkDestination('http://127.0.0.1/x', { allowLoopback: false })).toMatchObject({
      ok: false,
      refusal: 'scheme_not_allowed',
    });
  });
  it('refuses a localhost name that resolves elsewhere over http', async () => {
    const check = await checkDestination('http://localhost/x', { allowLoopback: true, resolve: resolveTo('10.0.0.1') });
    expect(check).toMatchObject({ ok: false, refusal: 'private_address' });
  });
  it('refuses other schemes and credentials', async () => {
    expect(await checkDestination('ftp://example.com/x', { allowLoopback: true })).toMatchObject({
      refusal: 'scheme_not_allowed',
    });
    expect(await checkDestination('https://a:b@example.com/x', { allowLoopback: false })).toMatchObject({
      refusal: 'credentials_in_url',
    });
  });
});
