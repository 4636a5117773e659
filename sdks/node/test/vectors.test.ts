import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyAnswer, clockFixFor, refusalNotice } from '../src/answers.ts';
import { createNotice } from '../src/log.ts';
import { processLocale } from '../src/metrics.ts';
import type { NoticeReason } from '../src/log.ts';
import { createClient } from '../src/client.ts';
import { createLimiter, localFingerprint } from '../src/limiter.ts';
import { createQueue } from '../src/queue.ts';
import { MAX_BODY_BYTES, fitBody } from '../src/report.ts';
import { createScrubber } from '../src/scrub.ts';
import { createSourceCache } from '../src/source-context.ts';
import type { Transport } from '../src/transport.ts';
import type { BreadcrumbInput, CrashReport } from '../src/types.ts';
import { parseMarker } from '../src/session-markers.ts';
import { BACKGROUND_SESSION_MS, createSessionBook } from '../src/sessions.ts';
import type { FoundSession, SessionReportPart } from '../src/sessions.ts';
import type { DumpcatcherOptions } from '../src/options.ts';
import { makeTempDir, removeDir, testRuntime } from './helpers/env.ts';

// The conformance vectors shared with the Python and Java SDKs (test/vectors/).
const VECTORS = join(__dirname, '../../../test/vectors');
const load = <T>(file: string): T => JSON.parse(readFileSync(join(VECTORS, file), 'utf8')) as T;

/** One `[name, case]` row per case; a list with no case fails the file instead of making zero tests. */
function rows<C extends { name: string }>(cases: C[], where: string): Array<readonly [string, C]> {
  if (cases.length === 0) throw new Error(`test/vectors/${where} holds no case`);
  return cases.map((c) => [c.name, c] as const);
}

interface ScrubVectors {
  context: { homeDir: string; userName: string; secret: string };
  cases: Array<{ name: string; input: string; expected: string; context?: ScrubVectors['context'] }>;
}

interface AnswerVectors {
  cases: Array<{
    name: string;
    status: number;
    headers: Record<string, string>;
    body?: string;
    nowMs: number;
    clockOffsetMs: number;
    expect: { action: string; retryAfterMs?: number | null; clockOffsetMs?: number; log?: string };
  }>;
}

interface OptionVectors {
  base: Record<string, unknown>;
  cases: Array<{
    name: string;
    valid: boolean;
    set?: Record<string, unknown>;
    unset?: string[];
    log?: string;
    sdks?: string[];
    env?: Record<string, string>;
    environment?: string;
  }>;
}

/** The bodies a client sent (through `transport`) or, in debug mode, printed (in `stderr`). */
function sentBodies(
  debug: boolean,
  stderr: string[],
  sent: Array<{ path: string; body: Record<string, unknown> }>,
): Array<{ path: string; body: Record<string, unknown> }> {
  if (!debug) return sent;
  return stderr.flatMap((chunk) => {
    const m = /^\[dumpcatcher\] debug: would send POST (\S+) [^\n]*\n([\s\S]*)$/.exec(chunk);
    return m ? [{ path: m[1] as string, body: JSON.parse(m[2] as string) as Record<string, unknown> }] : [];
  });
}

/** A transport that records each body and answers 202. */
function recordingTransport(sent: Array<{ path: string; body: Record<string, unknown> }>): Transport {
  return {
    send(entry) {
      sent.push({ path: entry.path, body: entry.body });
      return Promise.resolve({ kind: 'delivered', status: 202, duplicate: false });
    },
    destroy: () => undefined,
  };
}

interface NoticeVectors {
  notices: Array<{ reason: NoticeReason; level: 'warning' | 'debug'; phrase: string }>;
}

describe('scrub-v1.json', () => {
  const vectors = load<ScrubVectors>('scrub-v1.json');
  it.each(rows(vectors.cases, 'scrub-v1.json: cases'))('%s', (_name, c) => {
    expect(createScrubber(c.context ?? vectors.context)(c.input)).toBe(c.expected);
  });
});

describe('answers-v1.json', () => {
  const vectors = load<AnswerVectors>('answers-v1.json');
  it.each(rows(vectors.cases, 'answers-v1.json: cases'))('%s', (_name, c) => {
    // Header names as node:http hands them over: lower case.
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.headers)) headers[k.toLowerCase()] = v;
    const result = classifyAnswer(c.status, headers, c.body ?? '', c.nowMs);
    let actual: { action: string; retryAfterMs?: number | null; clockOffsetMs?: number; log?: string };
    switch (result.kind) {
      case 'delivered':
        actual = { action: 'delivered' };
        break;
      case 'drop':
        actual = { action: 'drop', log: refusalNotice(result) ?? '' };
        break;
      case 'retry':
        actual = { action: 'retry', retryAfterMs: result.retryAfterMs ?? null };
        break;
      case 'unauthorized': {
        const offset = clockFixFor(result.serverDateMs, c.nowMs, c.clockOffsetMs);
        actual =
          offset === null
            ? { action: 'drop', log: refusalNotice(result) ?? '' }
            : { action: 'clockFix', clockOffsetMs: offset };
        break;
      }
    }
    expect(actual).toEqual(c.expect);
  });
});

describe('options-v1.json', () => {
  const vectors = load<OptionVectors>('options-v1.json');
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  const forNode = vectors.cases.filter((c) => c.sdks === undefined || c.sdks.includes('node'));
  const cases = rows(forNode, 'options-v1.json: cases').flatMap(([, c]) => [
    [`${c.name} (debug: false)`, c, false] as const,
    [`${c.name} (debug: true)`, c, true] as const,
  ]);
  it.each(cases)('%s', async (_name, c, debug) => {
    const options: Record<string, unknown> = {
      ...vectors.base,
      ...c.set,
      queueDir: dir,
      captureUncaught: false,
      debug,
    };
    for (const name of c.unset ?? []) delete options[name];
    const sent: Array<{ path: string; body: Record<string, unknown> }> = [];
    const runtime = testRuntime({
      env: { ...testRuntime().env, ...c.env },
      makeTransport: () => recordingTransport(sent),
    });
    const client = createClient(options as unknown as DumpcatcherOptions, runtime);
    try {
      expect(client.mode).toBe(c.valid ? (debug ? 'debug' : 'live') : 'off');
      if (c.valid) {
        expect(runtime.stderr.join('')).not.toContain('SDK disabled');
        if (c.environment !== undefined) {
          // Crash, usage and sessions reports all carry it.
          client.defineMetric('vectors.runs', () => 1);
          client.captureException(new Error('which environment'));
          client.reportUsage();
          client.endSession();
          if (!debug) expect(await client.flush(3000)).toBe(true);
          const bodies = sentBodies(debug, runtime.stderr, sent);
          expect(bodies.map((b) => b.path).sort()).toEqual(['/v1/crashes', '/v1/sessions', '/v1/usage']);
          expect(bodies.map((b) => b.body.environment)).toEqual([c.environment, c.environment, c.environment]);
        }
      } else {
        // An invalid configuration says why, naming the option, in debug mode or not; and flush() says false.
        const lines = runtime.stderr
          .join('')
          .split('\n')
          .filter((l) => l.includes('SDK disabled'));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(c.log);
        expect(lines[0]).toMatch(/^\[dumpcatcher\] /);
        expect(await client.flush(100)).toBe(false);
      }
    } finally {
      await client.close();
    }
  });
});

describe('notices-v1.json', () => {
  const vectors = load<NoticeVectors>('notices-v1.json');
  const cases = vectors.notices.flatMap((n) => [
    [`${n.reason} (debug: false)`, n, false] as const,
    [`${n.reason} (debug: true)`, n, true] as const,
  ]);
  it.each(cases)('%s', (_name, n, debug) => {
    const lines: string[] = [];
    const notice = createNotice(debug, {}, 'the-secret', (text) => lines.push(text), new Set());
    for (let i = 0; i < 3; i++) notice(n.reason, `${n.phrase} (the-secret, time ${i})`);
    const expected = debug ? 3 : n.level === 'warning' ? 1 : 0;
    expect(lines).toHaveLength(expected);
    for (const line of lines) {
      expect(line.startsWith('[dumpcatcher] ')).toBe(true);
      expect(line).toContain(n.phrase);
      expect(line).not.toContain('the-secret');
    }
  });

  it('NODE_DEBUG=dumpcatcher says every notice every time, as debug mode does', () => {
    const lines: string[] = [];
    const notice = createNotice(false, { NODE_DEBUG: 'http,dumpcatcher' }, '', (text) => lines.push(text), new Set());
    for (const n of vectors.notices) {
      notice(n.reason, n.phrase);
      notice(n.reason, n.phrase);
    }
    expect(lines).toHaveLength(vectors.notices.length * 2);
  });
});

describe('locale-v1.json', () => {
  const vectors = load<{
    cases: Array<{ name: string; env: Record<string, string>; default: string | null; expected: string | null }>;
  }>('locale-v1.json');
  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(processLocale(c.env, () => c.default)).toBe(c.expected);
  });
});

interface FileVectors {
  queue: {
    written: { fileNamePattern: string; keys: string[]; v: number };
    read: Array<{ name: string; fileName: string; content: string; valid: boolean; expect?: Record<string, unknown> }>;
  };
  limiter: {
    cases: Array<{
      name: string;
      file: string | null;
      nowMs: number;
      max: number;
      windowSeconds: number;
      fingerprint: string;
      allowed: boolean;
      windowsAfter: Record<string, { start: number; count: number }>;
    }>;
    fingerprints: Array<{ name: string; type: string; stacktrace: string; given: string; expected: string }>;
    maxEntries: {
      entries: number;
      nowMs: number;
      max: number;
      windowSeconds: number;
      fingerprint: string;
    };
  };
}

describe('files-v1.json', () => {
  const vectors = load<FileVectors>('files-v1.json');
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));
  const limits = { maxFiles: 100, maxBytes: 10 * 1024 * 1024, maxAgeSeconds: 7 * 24 * 3600 };

  it.each(rows(vectors.queue.read, 'files-v1.json: queue.read'))('queue reads %s', (_name, c) => {
    writeFileSync(join(dir, c.fileName), c.content);
    const queue = createQueue(
      dir,
      limits,
      () => Date.now(),
      () => undefined,
    );
    const entry = queue.read(c.fileName);
    if (c.valid) {
      expect(entry && { path: entry.path, clientId: entry.clientId, counter: entry.counter, body: entry.body }).toEqual(
        c.expect,
      );
      expect(existsSync(join(dir, c.fileName))).toBe(true);
    } else {
      expect(entry).toBeNull();
      expect(existsSync(join(dir, c.fileName))).toBe(false);
    }
  });

  it('queue writes the shared layout', () => {
    const createdAtMs = Date.parse('2026-11-22T08:00:00.000Z');
    const queue = createQueue(
      dir,
      limits,
      () => createdAtMs,
      () => undefined,
    );
    const body = { reportId: 'r1', nested: { a: [1, 'b'] } };
    const { name } = queue.writeSync(
      {
        v: 1,
        path: '/v1/usage',
        clientId: 'AbCdEfGh_123',
        counter: 12,
        createdAt: new Date(createdAtMs).toISOString(),
        body,
      },
      createdAtMs,
      true,
    );
    const m = new RegExp(vectors.queue.written.fileNamePattern).exec(name);
    expect(m?.slice(1)).toEqual([String(createdAtMs), 'AbCdEfGh_123', '12']);
    const content = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(content).sort()).toEqual([...vectors.queue.written.keys].sort());
    expect(content).toEqual({
      v: vectors.queue.written.v,
      path: '/v1/usage',
      clientId: 'AbCdEfGh_123',
      counter: 12,
      createdAt: '2026-11-22T08:00:00.000Z',
      body,
    });
    expect(readdirSync(dir)).toEqual([name]);
  });

  it.each(rows(vectors.limiter.cases, 'files-v1.json: limiter.cases'))('limiter: %s', (_name, c) => {
    const file = join(dir, 'limiter.json');
    mkdirSync(dir, { recursive: true });
    if (c.file !== null) writeFileSync(file, c.file);
    const limiter = createLimiter(file, c.max, c.windowSeconds, () => c.nowMs);
    expect(limiter.allow(c.fingerprint)).toBe(c.allowed);
    limiter.persistNow();
    expect((JSON.parse(readFileSync(file, 'utf8')) as { windows: unknown }).windows).toEqual(c.windowsAfter);
  });

  it('limiter keeps at most maxEntries fingerprints, dropping the window that started first', () => {
    const c = vectors.limiter.maxEntries;
    const windows: Record<string, { start: number; count: number }> = {};
    for (let i = 0; i < c.entries; i += 1) windows[`fp-${i}`] = { start: c.nowMs - c.entries + i, count: 1 };
    const file = join(dir, 'limiter.json');
    writeFileSync(file, JSON.stringify({ v: 1, windows }));
    const limiter = createLimiter(file, c.max, c.windowSeconds, () => c.nowMs);
    expect(limiter.allow(c.fingerprint)).toBe(true);
    limiter.persistNow();
    const after = (JSON.parse(readFileSync(file, 'utf8')) as { windows: Record<string, unknown> }).windows;
    expect(Object.keys(after)).toHaveLength(c.entries);
    expect(after['fp-0']).toBeUndefined();
    expect(after['fp-1']).toEqual({ start: c.nowMs - c.entries + 1, count: 1 });
    expect(after[c.fingerprint]).toEqual({ start: c.nowMs, count: 1 });
  });

  it.each(rows(vectors.limiter.fingerprints, 'files-v1.json: limiter.fingerprints'))(
    'limiter fingerprint: %s',
    (_name, c) => {
      expect(localFingerprint(c.type, c.stacktrace, c.given)).toBe(c.expected);
    },
  );
});

interface ArchVectors {
  nodeArchs: string[];
  cases: Array<{ name: string; machine: string; arch: string }>;
}

describe('arch-v1.json', () => {
  const vectors = load<ArchVectors>('arch-v1.json');
  // The Node SDK sends process.arch as it is (usage.test.ts); the other SDKs map to its names.
  it('names this process the way the vectors do', () => {
    expect(vectors.nodeArchs).toContain(process.arch);
  });
  it.each(rows(vectors.cases, 'arch-v1.json: cases'))('%s is a name process.arch uses', (_name, c) => {
    expect(vectors.nodeArchs).toContain(c.arch);
  });
});

interface SessionVectors {
  backgroundSessionMs: number;
  cases: Array<{
    name: string;
    app: { name: string; version: string };
    installId?: string;
    autoSessionTracking: boolean;
    events: Array<{
      event: string;
      at?: string;
      /** What the dead markers held, less `v` and `writer`. */
      found?: Array<Record<string, unknown>>;
    }>;
    reports: SessionReportPart[];
  }>;
}

describe('sessions-v1.json', () => {
  const vectors = load<SessionVectors>('sessions-v1.json');

  it('holds cases, and the background rule the SDK uses', () => {
    expect(vectors.cases.length).toBeGreaterThan(0);
    expect(BACKGROUND_SESSION_MS).toBe(vectors.backgroundSessionMs);
  });

  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const book = createSessionBook({
      appName: c.app.name,
      appVersion: c.app.version,
      environment: 'production',
      ...(c.installId !== undefined ? { installId: c.installId } : {}),
    });
    const reports: SessionReportPart[] = [];
    const out = (part: SessionReportPart | null): void => {
      if (part) reports.push(part);
    };
    for (const e of c.events) {
      const at = e.at === undefined ? NaN : Date.parse(e.at);
      switch (e.event) {
        case 'init': {
          if (c.autoSessionTracking) out(book.start(at));
          // Read as the marker files they stand for, through the SDK's own marker parser.
          const found: FoundSession[] = (e.found ?? []).map((f) => {
            const parsed = parseMarker(JSON.stringify({ v: 1, ...f, writer: { pid: null } }));
            if (parsed === null) throw new Error(`found ${JSON.stringify(f)} is not a marker`);
            return parsed.session;
          });
          reports.push(...book.found(found));
          break;
        }
        case 'capture':
          book.markErrored();
          break;
        case 'uncaught':
          out(book.end('crashed'));
          break;
        case 'exit':
        case 'endSession':
          out(book.end('ok'));
          break;
        case 'startSession':
          out(book.start(at));
          break;
        case 'background':
          book.background(at);
          break;
        case 'foreground':
          out(book.foreground(at));
          break;
        default:
          throw new Error(`unknown event ${e.event}`);
      }
    }
    expect(reports).toEqual(c.reports);
  });
});

interface BreadcrumbVectors {
  context: { homeDir: string; userName: string; secret: string };
  cases: Array<{
    name: string;
    options?: Record<string, unknown>;
    add: BreadcrumbInput[];
    expected: Array<Record<string, unknown>> | null;
  }>;
}

describe('breadcrumbs-v1.json', () => {
  const vectors = load<BreadcrumbVectors>('breadcrumbs-v1.json');
  const base = load<OptionVectors>('options-v1.json').base;
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it.each(rows(vectors.cases, 'breadcrumbs-v1.json: cases'))('%s', async (_name, c) => {
    const sent: Array<{ path: string; body: Record<string, unknown> }> = [];
    const client = createClient(
      {
        ...(base as unknown as DumpcatcherOptions),
        secret: vectors.context.secret,
        ...c.options,
        queueDir: dir,
        captureUncaught: false,
        autoSessionTracking: false,
        autoBreadcrumbs: false,
      },
      testRuntime({
        homeDir: vectors.context.homeDir,
        userName: vectors.context.userName,
        makeTransport: () => recordingTransport(sent),
      }),
    );
    try {
      for (const crumb of c.add) client.addBreadcrumb(crumb);
      client.captureException(new Error('with breadcrumbs'));
      expect(await client.flush(3000)).toBe(true);
      expect(sent).toHaveLength(1);
      const report = sent[0]?.body as unknown as CrashReport;
      if (c.expected === null) {
        expect(Object.keys(report)).not.toContain('breadcrumbs');
        return;
      }
      const crumbs = report.breadcrumbs ?? [];
      for (const crumb of crumbs) expect(crumb.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(crumbs.map(({ timestamp: _t, ...rest }) => rest)).toEqual(c.expected);
    } finally {
      await client.close();
    }
  });
});

interface SourceContextVectors {
  context: { homeDir: string; userName: string; secret: string };
  cases: Array<{
    name: string;
    text: string;
    line: number;
    expected: { pre: string[]; context: string; post: string[] } | null;
  }>;
}

describe('source-context-v1.json', () => {
  const vectors = load<SourceContextVectors>('source-context-v1.json');
  let dir: string;
  beforeAll(() => {
    dir = makeTempDir();
  });
  afterAll(() => removeDir(dir));

  it.each(rows(vectors.cases, 'source-context-v1.json: cases'))('%s', (name, c) => {
    const file = join(dir, `${name.replace(/[^A-Za-z0-9]+/g, '-')}.txt`);
    writeFileSync(file, c.text);
    const cache = createSourceCache(createScrubber(vectors.context));
    expect(cache.linesAround(file, c.line)).toEqual(c.expected);
  });

  it('an unreadable file gives no lines', () => {
    const cache = createSourceCache(createScrubber(vectors.context));
    expect(cache.linesAround(join(dir, 'no-such-file.js'), 1)).toBeNull();
  });
});

interface FitParts {
  stacktraceBytes: number;
  stacktraceChar?: string;
  messageChars?: number;
  sourceContextEntries?: number;
  extraBytes?: number;
  breadcrumbs?: { count: number; messageChars?: number; dataValues?: number; dataChars?: number; char?: string };
}

interface FitVectors {
  limitBytes: number;
  maxStacktraceBytes: number;
  marker: string;
  base: CrashReport;
  cases: Array<{
    name: string;
    report: FitParts;
    expected: {
      extra: boolean;
      breadcrumbs: number;
      sourceContext: boolean;
      stacktrace: 'whole' | 'cut';
      stacktraceBytes?: number;
      fits: boolean;
    };
  }>;
}

/** The report a fit-v1.json case describes, built by the rules of the file's description. */
function fitReport(base: CrashReport, parts: FitParts): CrashReport {
  const report = JSON.parse(JSON.stringify(base)) as CrashReport;
  const char = parts.stacktraceChar ?? 's';
  report.exception.stacktrace = char.repeat(parts.stacktraceBytes / Buffer.byteLength(char));
  if (parts.messageChars !== undefined) report.exception.message = 'm'.repeat(parts.messageChars);
  for (let j = 0; j < (parts.sourceContextEntries ?? 0); j += 1) {
    (report.exception.sourceContext ??= []).push({
      file: `/app/src/file-${j}.js`,
      line: j + 1,
      pre: ['p'.repeat(200), 'p'.repeat(200)],
      context: 'c'.repeat(200),
      post: ['q'.repeat(200), 'q'.repeat(200)],
    });
  }
  if (parts.extraBytes !== undefined) report.extra = { blob: 'e'.repeat(parts.extraBytes) };
  const spec = parts.breadcrumbs;
  if (spec && spec.count > 0) {
    const c = spec.char ?? 'b';
    report.breadcrumbs = Array.from({ length: spec.count }, (_, i) => ({
      timestamp: report.occurredAt,
      category: `crumb-${i}`,
      level: 'info' as const,
      ...(spec.messageChars ? { message: c.repeat(spec.messageChars) } : {}),
      ...(spec.dataValues
        ? {
            data: Object.fromEntries(
              Array.from({ length: spec.dataValues }, (_, k) => [`d${k}`, c.repeat(spec.dataChars ?? 0)]),
            ),
          }
        : {}),
    }));
  }
  return report;
}

describe('fit-v1.json', () => {
  const vectors = load<FitVectors>('fit-v1.json');

  it('uses the limit of the vectors', () => {
    expect(MAX_BODY_BYTES).toBe(vectors.limitBytes);
  });

  it.each(rows(vectors.cases, 'fit-v1.json: cases'))('%s', (_name, c) => {
    const report = fitReport(vectors.base, c.report);
    const original = JSON.stringify(report);
    const { report: fitted, json } = fitBody(report, original, () => {});
    expect(JSON.stringify(report)).toBe(original); // the caller's report is not changed
    expect(json).toBe(JSON.stringify(fitted));
    expect(Buffer.byteLength(json) <= vectors.limitBytes).toBe(c.expected.fits);
    expect(Object.keys(fitted).includes('extra')).toBe(c.expected.extra);
    expect(Object.keys(fitted.exception).includes('sourceContext')).toBe(c.expected.sourceContext);
    const count = c.report.breadcrumbs?.count ?? 0;
    const kept = Array.from(
      { length: c.expected.breadcrumbs },
      (_, i) => `crumb-${count - c.expected.breadcrumbs + i}`,
    );
    expect((fitted.breadcrumbs ?? []).map((b) => b.category)).toEqual(kept);
    if (c.expected.breadcrumbs === 0) expect(Object.keys(fitted)).not.toContain('breadcrumbs');
    const trace = report.exception.stacktrace;
    const cut = fitted.exception.stacktrace;
    if (c.expected.stacktrace === 'whole') {
      expect(cut).toBe(trace);
      return;
    }
    const at = cut.lastIndexOf('\n\u2026 [truncated by dumpcatcher: ');
    const head = cut.slice(0, at);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(trace.startsWith(head) && head !== trace).toBe(true);
    expect(cut.slice(at)).toBe(
      vectors.marker.replace('%d', String(Buffer.byteLength(trace) - Buffer.byteLength(head))),
    );
    expect(Buffer.byteLength(cut)).toBe(c.expected.stacktraceBytes);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(vectors.maxStacktraceBytes);
  });
});
