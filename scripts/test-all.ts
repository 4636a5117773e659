/**
 * `npm test`: every suite (typecheck, lint, format, jest unit/SDK/emulator, Python SDK, Java SDK),
 * each run even when an earlier one failed; prints passed, failed and skipped per suite and fails
 * when any suite failed or skipped a test.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { jestCount, pytestCount, surefireCount, type Counts } from './lib/test-counts';

interface Suite {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  /** Reads the test counts from the suite's output. */
  count?: (output: string) => Counts;
}

const ROOT = join(__dirname, '..');
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

const suites: Suite[] = [
  { name: 'typecheck', command: bin('tsc'), args: ['-p', 'tsconfig.json'] },
  { name: 'typecheck sdk-node', command: bin('tsc'), args: ['-p', 'sdks/node/tsconfig.json', '--noEmit'] },
  { name: 'typecheck dashboard', command: bin('tsc'), args: ['-p', 'dashboard/tsconfig.json'] },
  { name: 'lint', command: bin('eslint'), args: ['.'] },
  { name: 'format', command: bin('prettier'), args: ['--check', '.'] },
  { name: 'jest (unit, sdk-node, emulator)', command: bin('jest'), args: ['--ci'], count: jestCount },
  {
    name: 'python sdk (pytest)',
    command: 'python3',
    args: ['-m', 'pytest', '-q'],
    cwd: join(ROOT, 'sdks', 'python'),
    count: pytestCount,
  },
  {
    name: 'java sdk (mvn test)',
    command: 'mvn',
    args: ['-B', 'test'],
    cwd: join(ROOT, 'sdks', 'java'),
    count: surefireCount,
  },
];

/** A suite still running after this long has hung: it is stopped and fails (CI has 90 minutes in all). */
const SUITE_TIMEOUT_MS = Number(process.env.DUMPCATCHER_SUITE_TIMEOUT_SECONDS ?? 1200) * 1000;

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function run(suite: Suite): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    console.log(`\n=== ${suite.name}: ${[suite.command.replace(ROOT + '/', ''), ...suite.args].join(' ')}`);
    const child = spawn(suite.command, suite.args, {
      cwd: suite.cwd ?? ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
      detached: true, // its own process group, so a hung suite is stopped whole
    });
    const timer = setTimeout(() => {
      console.error(
        `\n${suite.name} still running after ${SUITE_TIMEOUT_MS / 1000} s: stopping it (a hang is a failure).`,
      );
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid, 'SIGKILL'), 15_000).unref();
    }, SUITE_TIMEOUT_MS);
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      process.stdout.write(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
      process.stderr.write(d);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: 127, output: String(err) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  const summary: string[] = [];
  for (const suite of suites.filter((s) => only.length === 0 || only.some((o) => s.name.startsWith(o)))) {
    const started = Date.now();
    const { code, output } = await run(suite);
    const c = suite.count ? suite.count(output) : { passed: 0, failed: 0, skipped: 0 };
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
    // A skipped test is one that can no longer fail: it fails the run like a failed one.
    const ok = code === 0 && c.failed === 0 && c.skipped === 0 && (suite.count === undefined || c.passed > 0);
    if (!ok && c.failed === 0 && c.skipped === 0) total.failed += 1; // a suite that failed without a count still fails the run
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const counts = suite.count ? `, ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped` : '';
    summary.push(`${ok ? 'ok  ' : 'FAIL'} ${suite.name} (${seconds} s${counts})`);
  }
  console.log('\n=== summary\n' + summary.join('\n'));
  console.log(
    `tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped (any skip fails the run)`,
  );
  process.exitCode = summary.some((s) => s.startsWith('FAIL')) ? 1 : 0;
}

void main();
