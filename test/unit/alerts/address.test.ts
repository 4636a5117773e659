import { checkDestination, type Resolve } from '../../../functions/src/alerts/address';

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
  it.each([
    ['https://[64:ff9b:1::a9fe:a9fe]/', 'metadata_address'],
    ['https://[::a9fe:a9fe]/', 'metadata_address'],
    ['https://[::ffff:0:a9fe:a9fe]/', 'metadata_address'],
    ['https://[2002:a9fe:a9fe::1]/', 'metadata_address'],
    ['https://[100::1]/', 'reserved_address'],
    ['https://[::ffff:169.254.169.254]/', 'metadata_address'],
    ['https://[2001:0:a9fe:a9fe::1]/', 'metadata_address'],
    ['https://0xa9.0xfe.0xa9.0xfe/', 'metadata_address'],
    ['https://2852039166/', 'metadata_address'],
  ])('refuses %s (issue 23 and its kin) with %s', async (url, refusal) => {
    expect(await checkDestination(url, { allowLoopback: false })).toMatchObject({ ok: false, refusal });
  });
  it('refuses a name that resolves to an IPv6 form of the metadata server', async () => {
    const check = await checkDestination('https://hooks.example.com/x', {
      allowLoopback: false,
      resolve: resolveTo('2606:4700::1111', '64:ff9b::169.254.169.254'),
    });
    expect(check).toMatchObject({ ok: false, refusal: 'metadata_address' });
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
