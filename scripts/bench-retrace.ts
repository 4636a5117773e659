/**
 * Measures what retracing costs the rollup: gunzipping and indexing a mapping near the 64 MiB
 * limit (once per mapping, then cached), the heap it keeps, and retracing a 30-frame
 * obfuscated trace with it. Pure code, no emulator. Usage: `node --expose-gc
 * node_modules/.bin/tsx scripts/bench-retrace.ts` (without --expose-gc the heap figure is rough).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseMapping } from '../functions/src/grouping/retrace/mapping';
import { retraceJavaText } from '../functions/src/grouping/retrace/retrace';
import { MAX_MAPPING_BYTES } from '../functions/src/grouping/retrace/schemas';

const gc = (globalThis as { gc?: () => void }).gc;

function syntheticMapping(targetBytes: number): { text: string; classes: number } {
  const lines: string[] = ['# compiler: R8', '# pg_map_id: bench01'];
  let bytes = 0;
  let i = 0;
  while (bytes < targetBytes) {
    const block = [
      `com.acme.generated.pkg${i % 97}.Class${i} -> a${i.toString(36)}:`,
      `# {"id":"sourceFile","fileName":"Class${i}.kt"}`,
    ];
    for (let m = 0; m < 8; m++)
      block.push(
        `    ${m * 10 + 1}:${m * 10 + 9}:java.lang.String method${m}Of${i}(java.lang.String):${m * 20 + 5}:${m * 20 + 13} -> ${String.fromCharCode(97 + m)}`,
      );
    for (const line of block) bytes += line.length + 1;
    lines.push(...block);
    i++;
  }
  return { text: lines.join('\n') + '\n', classes: i };
}

const { text, classes } = syntheticMapping(MAX_MAPPING_BYTES - 1024 * 1024);
const gz = gzipSync(text);
gc?.();
const heapBefore = process.memoryUsage().heapUsed;
let t = performance.now();
const unzipped = gunzipSync(gz).toString('utf8');
const gunzipMs = performance.now() - t;
t = performance.now();
const mapping = parseMapping(unzipped);
const indexMs = performance.now() - t;
gc?.();
const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 1048576;
const trace =
  'x.Y: boom\n' +
  Array.from(
    { length: 30 },
    (_, k) =>
      `\tat a${((k * 977) % classes).toString(36)}.${String.fromCharCode(97 + (k % 8))}(SourceFile:${(k % 8) * 10 + 3})`,
  ).join('\n');
const first = performance.now();
retraceJavaText(trace, mapping);
const firstUs = (performance.now() - first) * 1000;
const runs = 2000;
t = performance.now();
for (let k = 0; k < runs; k++) retraceJavaText(trace, mapping);
const retraceUs = ((performance.now() - t) / runs) * 1000;
console.log(
  JSON.stringify({
    mappingMiB: +(text.length / 1048576).toFixed(1),
    gzipMiB: +(gz.length / 1048576).toFixed(1),
    classes: mapping.classCount,
    gunzipMs: Math.round(gunzipMs),
    indexMs: Math.round(indexMs),
    heapKeptMiB: Math.round(heapMiB),
    firstRetraceUs: Math.round(firstUs),
    retraceUs: Math.round(retraceUs),
  }),
);
