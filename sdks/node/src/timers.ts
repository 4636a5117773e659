/**
 * The longest delay Node's timers take: a larger one fires after 1 ms and prints a
 * TimeoutOverflowWarning into the app's stderr.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay kept within what Node's timers take (non-finite or negative ones included). */
export function timerDelay(delayMs: number): number {
  if (Number.isNaN(delayMs)) return 0;
  return Math.min(MAX_TIMER_MS, Math.max(0, delayMs));
}

/** `setTimeout` that never overflows, whatever delay an option or an answer asked for. */
export function safeTimeout(callback: () => void, delayMs: number): NodeJS.Timeout {
  return setTimeout(callback, timerDelay(delayMs));
}
