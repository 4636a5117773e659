/** Stops every process the emulator suites started, the Firestore emulator's Java process included. */
export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as { __DUMPCATCHER_STACK__?: { stop(): Promise<void> } }).__DUMPCATCHER_STACK__;
  if (stack) await stack.stop();
}
