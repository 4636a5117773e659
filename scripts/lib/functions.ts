import { join } from 'node:path';
import { answers, freePort, startProcess, waitUntil } from './processes';

/** A function served over HTTP by the Functions Framework's own server. */
export interface ServedFunction {
  target: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..', '..');

/** Serves `target` from the built `lib/index.js` with the Functions Framework CLI. */
export async function serveFunction(options: { target: string; source?: string; port?: number; env: NodeJS.ProcessEnv; logDir: string; signatureType?: 'http' | 'cloudevent' }): Promise<ServedFunction> {
  const port = options.port ?? (await freePort());
  const logFile = join(options.logDir, `function-${options.target}-${port}.log`);
  const ff = join(ROOT, 'node_modules', '.bin', 'functions-framework');
  // DUMPCATCHER_FUNCTION_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the functions.
  const nodeArgs = (process.env.DUMPCATCHER_FUNCTION_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = startProcess(`function ${options.target}`, process.execPath, [...nodeArgs, ff, `--target=${options.target}`, `--port=${port}`, `--source=${options.source ?? ROOT}`, `--signature-type=${options.signatureType ?? 'http'}`], {
    logFile,
    cwd: ROOT,
    env: { ...process.env, ...options.env, NODE_ENV: 'production' },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(`The ${options.target} function`, () => answers(url), { timeoutMs: 60_000, child: proc.child, logFile });
  return { target: options.target, url, pid: proc.pid, stop: () => proc.stop() };
}
