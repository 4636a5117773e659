import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { classifyCrash } from '../../../functions/src/grouping/classify';
import { computeFingerprint } from '../../../functions/src/grouping/fingerprint';
import { FIXTURES_DIR, RUNTIME_DIRS } from './fixtures';

const PinsSchema = z.strictObject({
  description: z.string(),
  computedOn: z.string(),
  fixtures: z.array(
    z.strictObject({
      name: z.string(),
      trace: z.string(),
      type: z.string(),
      message: z.string(),
      runtime: z.string(),
      inAppPatterns: z.array(z.string()).optional(),
      fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
});

const pins = PinsSchema.parse(JSON.parse(readFileSync(join(FIXTURES_DIR, 'fingerprints-main.json'), 'utf8')));

describe('fingerprints pinned before the crash view showed the cause chain', () => {
  it('pins every fixture trace (a new fixture gets its fingerprint pinned too)', () => {
    const traces = [
      ...RUNTIME_DIRS.flatMap((dir) =>
        readdirSync(join(FIXTURES_DIR, dir))
          .filter((file) => file.endsWith('.expected.json'))
          .map((file) => `${dir}/${file.replace(/\.expected\.json$/, '')}`),
      ),
      ...readdirSync(join(FIXTURES_DIR, 'android'))
        .filter((file) => file.endsWith('.txt') && !file.endsWith('-mapping.txt'))
        .map((file) => `android/${file.replace(/\.txt$/, '')}`),
    ].sort();
    expect(pins.fixtures.map((pin) => pin.name).sort()).toEqual(traces);
  });

  it.each(pins.fixtures.map((pin) => [pin.name, pin] as const))('%s keeps its fingerprint', (_name, pin) => {
    const stacktrace = readFileSync(join(FIXTURES_DIR, pin.trace), 'utf8');
    const { fingerprint, name: _n, trace: _t, ...input } = pin;
    expect(computeFingerprint({ ...input, stacktrace }).fingerprint).toBe(fingerprint);
  });

  it.each(pins.fixtures.filter((pin) => pin.inAppPatterns === undefined).map((pin) => [pin.name, pin] as const))(
    '%s keeps its fingerprint through the rollup classifier',
    (_name, pin) => {
      const stacktrace = readFileSync(join(FIXTURES_DIR, pin.trace), 'utf8');
      const classified = classifyCrash({
        path: 'products/pk/crashes/c1',
        id: 'c1',
        doc: {
          productKey: 'pk',
          clientId: 'client-1',
          receivedAt: new Date('2026-12-07T10:00:00Z'),
          exception: { type: pin.type, message: pin.message, stacktrace },
          app: { version: '1.0.0' },
          runtime: { name: pin.runtime },
        },
      });
      expect(classified.result.fingerprint).toBe(pin.fingerprint);
    },
  );
});
