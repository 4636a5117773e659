import { startFirestoreEmulator } from '../../scripts/lib/emulators';
import { pidsMatching } from '../../scripts/lib/processes';
import { requireEnv } from './helpers';

/** Runs `fn` with FIRESTORE_EMULATOR_HOST unset (the suite's own emulator sets it). */
async function withoutEmulatorHost<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.FIRESTORE_EMULATOR_HOST;
  delete process.env.FIRESTORE_EMULATOR_HOST;
  try {
    return await fn();
  } finally {
    process.env.FIRESTORE_EMULATOR_HOST = saved;
  }
}

describe('the emulator harness', () => {
  it("starts gcloud's Firestore emulator and leaves no process behind when stopped, Java included", async () => {
    const logDir = requireEnv('DUMPCATCHER_TEST_LOG_DIR');
    const emulator = await withoutEmulatorHost(() => startFirestoreEmulator({ logDir }));
    const port = emulator.host.split(':')[1]!;
    expect((await fetch(`http://${emulator.host}/`)).ok).toBe(true);
    expect(pidsMatching(['cloud-firestore-emulator', `--port=${port}`]).length).toBeGreaterThan(0);
    await emulator.stop();
    expect(pidsMatching([`--port=${port}`])).toEqual([]);
    expect(pidsMatching([`--host-port=127.0.0.1:${port}`])).toEqual([]);
    await expect(fetch(`http://${emulator.host}/`)).rejects.toThrow();
  }, 120_000);

  it('uses FIRESTORE_EMULATOR_HOST when set and fails clearly when nothing answers there', async () => {
    const saved = process.env.FIRESTORE_EMULATOR_HOST;
    process.env.FIRESTORE_EMULATOR_HOST = '127.0.0.1:9';
    try {
      await expect(startFirestoreEmulator({ logDir: requireEnv('DUMPCATCHER_TEST_LOG_DIR') })).rejects.toThrow(
        'FIRESTORE_EMULATOR_HOST=127.0.0.1:9 is set but nothing answers there',
      );
    } finally {
      process.env.FIRESTORE_EMULATOR_HOST = saved;
    }
  });

  it('says how to install the emulator when gcloud is missing, instead of skipping', async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(
        withoutEmulatorHost(() => startFirestoreEmulator({ logDir: requireEnv('DUMPCATCHER_TEST_LOG_DIR') })),
      ).rejects.toThrow(/needs the Google Cloud CLI.*\n.*cloud-firestore-emulator/);
    } finally {
      process.env.PATH = savedPath;
    }
  });
});
