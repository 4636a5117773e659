/**
 * What a gzip bomb costs each function's process: resident memory before and after the bombs
 * of #23 (128 MiB and 1 GiB of zeros, trailers corrupted) sent without credentials, for the
 * served `ingest` and `api` and, as the baseline, a bare Functions Framework function that
 * leaves body parsing to the framework. All three run in the same stack, in the same run.
 * Usage: `npm run bench:bombs`.
 */
import { join } from 'node:path';
import { gzipBomb, residentBytes, sendBomb } from './lib/bombs';
import { serveFunction } from './lib/functions';
import { startStack, ROOT } from './lib/stack';

const MiB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MiB).toFixed(0)} MB`;

async function main(): Promise<void> {
  const logDir = join(ROOT, '.local', 'bench-bombs');
  const bombs = [
    { name: '128 MiB', body: await gzipBomb(128 * MiB) },
    { name: '1 GiB', body: await gzipBomb(1024 * MiB) },
  ];
  const stack = await startStack({ logDir });
  const bare = await serveFunction({ target: 'bare', source: join(__dirname, 'bare-function'), env: {}, logDir });
  try {
    const targets = [
      { what: 'bare framework POST /', url: bare.url + '/', pid: bare.pid, method: 'POST', type: 'application/json' },
      {
        what: 'ingest POST /v1/crashes',
        url: stack.ingestUrl + '/v1/crashes',
        pid: pidOf(stack, 'ingest'),
        method: 'POST',
        type: 'application/json',
      },
      {
        what: 'api POST /v1/me',
        url: stack.apiUrl + '/v1/me',
        pid: pidOf(stack, 'api'),
        method: 'POST',
        type: 'application/json',
      },
    ];
    console.log('| process, route | bomb (sent) | RSS before | RSS after | answer | time |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const target of targets)
      for (const bomb of bombs) {
        const before = residentBytes(target.pid);
        const answer = await sendBomb(target.url, target.method, bomb.body, target.type);
        const after = residentBytes(target.pid);
        const kind = answer.contentType.startsWith('application/json') ? 'JSON' : answer.contentType.split(';')[0];
        console.log(
          `| ${target.what} | ${bomb.name} (${(bomb.body.length / 1000).toFixed(0)} KB) | ${mb(before)} | ${mb(after)} | ${answer.status} ${kind} | ${answer.ms} ms |`,
        );
      }
  } finally {
    await bare.stop();
    await stack.stop();
  }
}

function pidOf(stack: Awaited<ReturnType<typeof startStack>>, target: string): number {
  const fn = stack.functions.find((f) => f.target === target);
  if (fn === undefined) throw new Error(`no ${target} function in the stack`);
  return fn.pid;
}

main().catch((err: unknown) => {
  console.error(`bench:bombs: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
