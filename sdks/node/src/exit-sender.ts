/**
 * The detached child of the hand-off at exit (handoff.ts): sends the queue folder named in
 * its environment with the SDK's own sender, for at most the given time, then exits. Started
 * by `node exit-sender.js`; it never loads the app.
 */
import { HANDOFF_ENV } from './handoff.ts';
import type { HandoffConfig } from './handoff.ts';
import { createNotice } from './log.ts';
import { createQueue } from './queue.ts';
import { createSender } from './sender.ts';
import { createTransport } from './transport.ts';

function readConfig(raw: string | undefined): HandoffConfig | null {
  if (raw === undefined) return null;
  try {
    const c = JSON.parse(raw) as Partial<HandoffConfig>;
    const ok =
      typeof c.endpoint === 'string' &&
      typeof c.productKey === 'string' &&
      typeof c.secret === 'string' &&
      typeof c.queueDir === 'string' &&
      typeof c.limits === 'object' &&
      c.limits !== null &&
      typeof c.gzipThresholdBytes === 'number' &&
      typeof c.requestTimeoutMs === 'number' &&
      typeof c.timeoutMs === 'number';
    return ok ? (c as HandoffConfig) : null;
  } catch {
    return null;
  }
}

/**
 * Sends what the queue folder holds, for at most `config.timeoutMs`; resolves when done either way.
 * A refusal is said on the stderr the child shares with the app it outlives, once per reason.
 */
export async function sendHandedOff(
  config: HandoffConfig,
  writeStderr: (text: string) => void = (text) => void process.stderr.write(text),
): Promise<boolean> {
  const queue = createQueue(config.queueDir, config.limits, Date.now, () => undefined);
  const transport = createTransport({
    endpoint: config.endpoint,
    productKey: config.productKey,
    secret: config.secret,
    gzipThresholdBytes: config.gzipThresholdBytes,
    requestTimeoutMs: Math.min(config.requestTimeoutMs, config.timeoutMs),
    now: Date.now,
  });
  const notice = createNotice(false, {}, config.secret, writeStderr, new Set());
  const sender = createSender({ queue, transport, now: Date.now, random: Math.random, log: () => undefined, notice });
  try {
    return await sender.flush(config.timeoutMs);
  } finally {
    sender.stop();
    transport.destroy();
  }
}

const config = readConfig(process.env[HANDOFF_ENV]);
delete process.env[HANDOFF_ENV];
if (config !== null) {
  // The SDK's timers and sockets never hold a process: this one does, and bounds the child
  // should the flush not end at its own timeout.
  setTimeout(() => process.exit(0), config.timeoutMs + 1000);
  void sendHandedOff(config).then(
    () => process.exit(0),
    () => process.exit(0),
  );
}
