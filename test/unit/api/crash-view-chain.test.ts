import { rootCauseIndex, toCrashView, type CrashView } from '../../../functions/src/api/crash-view';
import { parseStacktrace } from '../../../functions/src/grouping/stacktrace';
import { fixture, fixtureCrash, fixtureIssueId } from '../rollup/reports';

const AT = new Date('2026-12-07T10:20:00Z');

/** A fixture's crash as stored, plus `fields`, viewed as the issue page shows it. */
function view(id: string, fields: Record<string, unknown> = {}): CrashView {
  const stored = {
    ...fixtureCrash(id, { version: '1.3.0' }),
    productKey: 'pk_a',
    clientId: 'client-1',
    receivedAt: AT,
    ...fields,
  };
  return toCrashView('pk_a', 'c1', stored, { issueId: fixtureIssueId(id) });
}

/** Each block as `relation type: message` with its parent and a root-cause star, for readable expectations. */
const outline = (v: CrashView) =>
  v.exceptions.map(
    (e) =>
      `${e.relation ?? 'primary'}${e.parent === null ? '' : `<${e.parent}`} ${e.type}${e.rootCause ? ' *root' : ''}`,
  );

describe('toCrashView: the cause chain as separate blocks', () => {
  it('Java: Caused by twice, then a Suppressed with its own cause, the end of the Caused by chain marked root', () => {
    const v = view('java/payments');
    expect(outline(v)).toEqual([
      'primary java.lang.IllegalStateException',
      'cause<0 com.acme.shop.Payments$PaymentException',
      'cause<1 java.io.IOException *root',
      'suppressed<2 java.lang.IllegalStateException',
      'cause<3 java.net.SocketException',
    ]);
    expect(v.exceptions[2]?.message).toBe('card declined for A-1001');
    // `... 2 more` is filled in from the enclosing trace, innermost first.
    expect(v.exceptions[2]?.frames.map((f) => f.function)).toEqual(['charge', 'capture', 'checkout', 'main']);
    expect(v.exceptions[3]?.frames.map((f) => f.function)).toEqual(['close', 'capture', 'checkout', 'main']);
  });

  it('Python: the root cause printed first comes last, __context__ then __cause__, frames innermost first', () => {
    const v = view('python/chained_both');
    expect(outline(v)).toEqual([
      'primary AttributeError',
      'context<0 GatewayError',
      'cause<1 ConnectionResetError *root',
    ]);
    expect(v.exceptions[0]?.message).toBe("'NoneType' object has no attribute 'write'");
    expect(v.exceptions[2]).toMatchObject({ message: 'gateway reset while charging A-1001' });
    expect(v.exceptions[2]?.frames.map((f) => [f.function, f.line])).toEqual([
      ['charge', 10],
      ['capture', 15],
    ]);
  });

  it('Python: a __context__ chain alone marks its end as the root cause', () => {
    expect(outline(view('python/chained_context'))).toEqual(['primary SettingsError', 'context<0 KeyError *root']);
  });

  it('Node: Error cause to an AggregateError (no frames of its own) whose members have causes', () => {
    const v = view('node/cause-aggregate');
    expect(outline(v)).toEqual([
      'primary Error',
      'cause<0 AggregateError *root',
      'aggregated<1 Error',
      'cause<2 Error',
      'aggregated<1 Error',
      'cause<4 Error',
    ]);
    expect(v.exceptions[1]?.frames).toEqual([]);
    expect(v.exceptions.map((e) => e.message).slice(2)).toEqual([
      'mirror eu is down',
      'connect ECONNREFUSED eu.mirror.test:443',
      'mirror us is down',
      'connect ECONNREFUSED us.mirror.test:443',
    ]);
  });

  it('marks no root cause when the primary has no cause: group members are not causes', () => {
    expect(outline(view('node/aggregate'))).toEqual([
      'primary AggregateError',
      'aggregated<0 Error',
      'aggregated<0 Error',
    ]);
    expect(outline(view('python/simple'))).toEqual(['primary ZeroDivisionError']);
  });

  it('types the primary block with the report (as grouping does), the others with the trace', () => {
    const stored = fixtureCrash('python/chained_cause', { version: '1' });
    const v = view('python/chained_cause', {
      exception: { ...(stored.exception as object), type: 'shop.config.ConfigError' },
    });
    expect(v.exceptions.map((e) => e.type)).toEqual(['shop.config.ConfigError', 'ValueError']);
  });

  it('keeps `frames` as the primary exception frames the rollup groups by', () => {
    const v = view('java/orders');
    expect(v.frames.map((f) => f.function)).toEqual(v.exceptions[0]?.frames.map((f) => f.function));
  });

  it('is empty for a trace that is not recognised', () => {
    const v = view('python/simple', {
      exception: { type: 'Oops', message: 'm', stacktrace: 'no frames here' },
    });
    expect([v.exceptions, v.frames]).toEqual([[], []]);
  });
});

describe('rootCauseIndex', () => {
  it('follows cause and context links from the primary only', () => {
    const parsed = parseStacktrace(fixture('java/resources').text, { runtime: 'java' });
    // resources: the primary's only child is Suppressed (with its own cause): no root cause.
    expect(parsed.exceptions.map((e) => e.relation ?? null)).toEqual([null, 'suppressed', 'cause']);
    expect(rootCauseIndex(parsed.exceptions)).toBeNull();
    expect(rootCauseIndex(parseStacktrace(fixture('java/orders').text).exceptions)).toBe(2);
  });
});

describe('toCrashView: source context and breadcrumbs', () => {
  const file = '/tmp/dumpcatcher-fixtures/python/srv/shop/chained_both.py';
  const sourceContext = [
    { file, line: 10, pre: ['', 'def charge(order):'], context: '    raise ConnectionResetError(…)', post: ['', ''] },
    { file, line: 24, pre: ['    except GatewayError:'], context: '        log.write(…)', post: [] },
    { file: '/elsewhere.py', line: 24, pre: [], context: 'not this one', post: [] },
  ];
  const crumbs = [
    { timestamp: '2026-12-07T10:19:58.000Z', category: 'http', level: 'error', data: { method: 'POST', status: 502 } },
    { timestamp: '2026-12-07T10:19:59.500Z', category: 'log', level: 'info', message: 'retrying' },
  ];

  it('attaches the lines to every frame with the same file and line, in every block', () => {
    const stored = fixtureCrash('python/chained_both', { version: '1' });
    const v = view('python/chained_both', { exception: { ...(stored.exception as object), sourceContext } });
    const primaryTop = v.exceptions[0]?.frames[0];
    expect(primaryTop).toMatchObject({ line: 24, source: { context: '        log.write(…)', post: [] } });
    expect(v.frames[0]?.source?.context).toBe('        log.write(…)');
    expect(v.exceptions[2]?.frames[0]).toMatchObject({ line: 10, source: { pre: ['', 'def charge(order):'] } });
    expect(v.exceptions[2]?.frames[1]).not.toHaveProperty('source');
    expect(v.exception).not.toHaveProperty('sourceContext');
  });

  it('returns the breadcrumbs oldest first, and how many the ingest left out', () => {
    const v = view('python/simple', { breadcrumbsJson: JSON.stringify(crumbs), breadcrumbsOmitted: 3 });
    expect(v.breadcrumbs).toEqual(crumbs);
    expect(v.breadcrumbsOmitted).toBe(3);
  });

  it('reads absent or malformed breadcrumbs and lines as none, without failing the page', () => {
    expect(view('python/simple')).toMatchObject({ breadcrumbs: null, breadcrumbsOmitted: 0 });
    expect(view('python/simple', { breadcrumbsJson: '[{"level":"loud"}]' }).breadcrumbs).toBeNull();
    expect(view('python/simple', { breadcrumbsJson: '[' }).breadcrumbs).toBeNull();
    const stored = fixtureCrash('python/simple', { version: '1' });
    const odd = view('python/simple', { exception: { ...(stored.exception as object), sourceContext: 'lines' } });
    expect(odd.exception?.type).toBe('ZeroDivisionError');
    expect(odd.frames.every((f) => f.source === undefined)).toBe(true);
  });
});
