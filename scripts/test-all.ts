/**
 * `npm test`: every suite (typecheck, lint, format, jest unit/SDK/emulator, Python SDK, Java SDK),
 * each run even when an earlier one failed; prints a summary and fails when any suite failed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

interface Suite {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  /** Reads [passed, failed] test counts from the suite's output. */
  count?: (output: string) => [number, number];
}

const ROOT = join(__dirname, '..');
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

const jestCount = (out: string): [number, number] => {
  const line = out.match(/^Tests:.*$/m)?.[0] ?? '';
  return [Number(line.match(/(\d+) passed/)?.[1] ?? 0), Number(line.match(/(\d+) failed/)?.[1] ?? 0)];
};
const pytestCount = (out: string): [number, number] => {
  const lines = out.trim().split('\n');
  const last = lines.reverse().find((l) => /\d+ (passed|failed)/.test(l)) ?? '';
  return [
    Number(last.match(/(\d+) passed/)?.[1] ?? 0),
    Number(last.match(/(\d+) failed/)?.[1] ?? 0) + Number(last.match(/(\d+) error/)?.[1] ?? 0),
  ];
};
const surefireCount = (out: string): [number, number] => {
  const all = [...out.matchAll(/Tests run: (\d+), Failures: (\d+), Errors: (\d+)/g)];
  const last = all[all.length - 1];
  if (!last) return [0, 0];
  const run = Number(last[1]);
  const failed = Number(last[2]) + Number(last[3]);
  return [run - failed, failed];
};

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
  let passed = 0;
  let failed = 0;
  const summary: string[] = [];
  for (const suite of suites.filter((s) => only.length === 0 || only.some((o) => s.name.startsWith(o)))) {
    const started = Date.now();
    const { code, output } = await run(suite);
    const [p, f] = suite.count ? suite.count(output) : [0, 0];
    passed += p;
    failed += f;
    const ok = code === 0 && f === 0 && (suite.count === undefined || p > 0);
    if (!ok && f === 0) failed += 1; // a suite that failed without a count still fails the run
    summary.push(
      `${ok ? 'ok  ' : 'FAIL'} ${suite.name} (${((Date.now() - started) / 1000).toFixed(0)} s${suite.count ? `, ${p} passed, ${f} failed` : ''})`,
    );
  }
  console.log('\n=== summary\n' + summary.join('\n'));
  console.log(`tests: ${passed} passed, ${failed} failed`);
  process.exitCode = summary.some((s) => s.startsWith('FAIL')) ? 1 : 0;
}

void main();
