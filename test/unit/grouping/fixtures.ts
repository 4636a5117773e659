/* Loads the stack-trace fixtures under test/fixtures and checks their shape with zod. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** Root of the checked-in fixtures. */
export const FIXTURES_DIR = join(__dirname, '..', '..', 'fixtures');

/** The runtime folders that hold fixtures. */
export const RUNTIME_DIRS = ['python', 'java', 'node', 'browser'] as const;

const FrameSchema = z
  .object({
    file: z.string().optional(),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
    function: z.string().optional(),
    module: z.string().optional(),
    inApp: z.boolean(),
  })
  .strict();

const ExpectedSchema = z
  .object({
    trace: z.string(),
    report: z.object({ type: z.string(), message: z.string(), runtime: z.string() }).strict(),
    inAppPatterns: z.array(z.string()).optional(),
    format: z.enum(['python', 'java', 'v8', 'firefox', 'safari', 'unknown']),
    exceptions: z.array(
      z
        .object({
          type: z.string(),
          message: z.string(),
          frames: z.array(FrameSchema),
          relation: z.enum(['cause', 'context', 'suppressed', 'aggregated']).optional(),
          parent: z.number().int().optional(),
        })
        .strict(),
    ),
    grouping: z
      .object({
        source: z.enum(['client', 'frames', 'message']),
        title: z.string(),
        culprit: z.string().optional(),
        components: z.array(z.string()),
      })
      .strict(),
  })
  .strict();

const PairSchema = z.object({ a: z.string(), b: z.string(), why: z.string() }).strict();
const GroupingsSchema = z.object({ same: z.array(PairSchema), different: z.array(PairSchema) }).strict();

/** One `*.expected.json` file, with the trace text it describes. */
export type Fixture = z.infer<typeof ExpectedSchema> & { dir: string; name: string; text: string };

/** Same-issue and different-issue pairs of one runtime folder. */
export type Groupings = z.infer<typeof GroupingsSchema>;

function readJson<T>(path: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} does not match its schema: ${parsed.error.message}`);
  return parsed.data;
}

/** Every fixture of every runtime, sorted by folder and name. */
export function loadFixtures(): Fixture[] {
  return RUNTIME_DIRS.flatMap((dir) =>
    readdirSync(join(FIXTURES_DIR, dir))
      .filter((file) => file.endsWith('.expected.json'))
      .sort()
      .map((file) => {
        const expected = readJson(join(FIXTURES_DIR, dir, file), ExpectedSchema);
        const text = readFileSync(join(FIXTURES_DIR, dir, expected.trace), 'utf8');
        return { ...expected, dir, name: file.replace(/\.expected\.json$/, ''), text };
      }),
  );
}

/** The `groupings.json` of one runtime folder. */
export function loadGroupings(dir: string): Groupings {
  return readJson(join(FIXTURES_DIR, dir, 'groupings.json'), GroupingsSchema);
}
