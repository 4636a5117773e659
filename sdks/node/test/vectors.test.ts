import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '../src/client.ts';
import { createScrubber } from '../src/scrub.ts';
import { classifyAnswer, clockFixFor } from '../src/transport.ts';
import type { DumpcatcherOptions } from '../src/types.ts';
import { makeTempDir, removeDir, testRuntime } from './helpers/env.ts';

// The conformance vectors shared with the Python and Java SDKs (test/vectors/).
const VECTORS = join(__dirname, '../../../test/vectors');
const load = <T>(file: string): T => JSON.parse(readFileSync(join(VECTORS, file), 'utf8')) as T;

interface ScrubVectors {
  context: { homeDir: string; userName: string; secret: string };
  cases: Array<{ name: string; input: string; expected: string; context?: ScrubVectors['context'] }>;
}

interface AnswerVectors {
  cases: Array<{
    name: string;
    status: number;
    headers: Record<string, string>;
    nowMs: number;
    clockOffsetMs: number;
    expect: { action: string; retryAfterMs?: number | null; clockOffsetMs?: number };
  }>;
}

interface OptionVectors {
  base: Record<string, unknown>;
  cases: Array<{ name: string; valid: boolean; set?: Record<string, unknown>; unset?: string[] }>;
}

describe('scrub-v1.json', () => {
  const vectors = load<ScrubVectors>('scrub-v1.json');
  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(createScrubber(c.context ?? vectors.context)(c.input)).toBe(c.expected);
  });
});

describe('answers-v1.json', () => {
  const vectors = load<AnswerVectors>('answers-v1.json');
  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // Header names as node:http hands them over: lower case.
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.headers)) headers[k.toLowerCase()] = v;
    const result = classifyAnswer(c.status, headers, '', c.nowMs);
    let actual: { action: string; retryAfterMs?: number | null; clockOffsetMs?: number };
    switch (result.kind) {
      case 'delivered':
        actual = { action: 'delivered' };
        break;
      case 'drop':
        actual = { action: 'drop' };
        break;
      case 'retry':
        actual = { action: 'retry', retryAfterMs: result.retryAfterMs ?? null };
        break;
      case 'unauthorized': {
        const offset = clockFixFor(result.serverDateMs, c.nowMs, c.clockOffsetMs);
        actual = offset === null ? { action: 'drop' } : { action: 'clockFix', clockOffsetMs: offset };
        break;
      }
    }
    expect(actual).toEqual(c.expect);
  });
});

describe('options-v1.json', () => {
  const vectors = load<OptionVectors>('options-v1.json');
  let dir: string;
  beforeAll(() => {
    dir = makeTempDir();
  });
  afterAll(() => removeDir(dir));

  const cases = vectors.cases.flatMap((c) => [
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
    const runtime = testRuntime();
    const client = createClient(options as unknown as DumpcatcherOptions, runtime);
    try {
      expect(client.mode).toBe(c.valid ? (debug ? 'debug' : 'live') : 'off');
      // An invalid configuration says why on the debug log.
      if (!c.valid && debug) expect(runtime.stderr.join('')).toMatch(/SDK disabled: /);
    } finally {
      await client.close();
    }
  });
});
