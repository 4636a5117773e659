import { createDebugLog, printDebugReport } from '../src/log.ts';

const SECRET = 'sk_live_do_not_print';

function capture(): { lines: string[]; write: (text: string) => void } {
  const lines: string[] = [];
  return { lines, write: (text) => lines.push(text) };
}

describe('createDebugLog', () => {
  it('writes nothing without debug or NODE_DEBUG', () => {
    const out = capture();
    createDebugLog(false, { NODE_DEBUG: 'http,net' }, SECRET, out.write)('ready');
    expect(out.lines).toEqual([]);
  });

  it('writes one prefixed line per call, formatted as util.format does, with debug: true', () => {
    const out = capture();
    createDebugLog(true, {}, SECRET, out.write)('sent %s:', 'a.json', 202);
    expect(out.lines).toEqual(['[dumpcatcher] sent a.json: 202\n']);
  });

  it.each([
    ['dumpcatcher', true],
    ['http,DumpCatcher', true],
    ['dumpcatchers', false],
  ])('reads NODE_DEBUG=%s as %s', (value, on) => {
    const out = capture();
    createDebugLog(false, { NODE_DEBUG: value }, SECRET, out.write)('ready');
    expect(out.lines).toHaveLength(on ? 1 : 0);
  });

  it('never prints the secret, whichever argument carries it', () => {
    const out = capture();
    const log = createDebugLog(true, {}, SECRET, out.write);
    log(`key ${SECRET}`, new Error(`bad ${SECRET}`), { secret: SECRET });
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).not.toContain(SECRET);
    expect(out.lines[0]).toContain('key <redacted>');
    expect(out.lines[0]).toContain('bad <redacted>');
  });
});

describe('printDebugReport', () => {
  it('prints the path and the report as indented JSON, saying nothing was sent', () => {
    const out = capture();
    printDebugReport(out.write, '/v1/usage', { reportId: 'r1', metrics: { a: 1 } });
    expect(out.lines).toEqual([
      '[dumpcatcher] debug: would send POST /v1/usage (nothing sent, nothing written)\n' +
        '{\n  "reportId": "r1",\n  "metrics": {\n    "a": 1\n  }\n}\n',
    ]);
  });
});
