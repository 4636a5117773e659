/** What a rollup run answered (the fields the local schedule reads). */
export interface RollupRun {
  processed?: number;
  usageProcessed?: number;
  sessionsProcessed?: number;
  caughtUp?: boolean;
  reads?: number;
  writes?: number;
  durationMs?: number;
}

/**
 * How often the local stack runs the backstop rollup: every 5 minutes, as Cloud Scheduler does
 * by default when deployed. Runs soon after reports arrive come from the ingest's trigger.
 */
export const LOCAL_ROLLUP_INTERVAL_SECONDS = Number(process.env.DUMPCATCHER_ROLLUP_INTERVAL_SECONDS ?? 300);

/**
 * POSTs to the rollup every `intervalMs`, as the Scheduler would; a run still going when the
 * next is due makes that one skip, so runs never overlap. Returns a function that stops it.
 */
export function scheduleRollups(
  url: string,
  intervalMs: number,
  onRun: (run: RollupRun) => void,
  onError: (message: string) => void,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    fetch(url, { method: 'POST' })
      .then(async (res) => {
        const body = (await res.json()) as RollupRun;
        if (res.ok) onRun(body);
        else onError(`rollup answered ${res.status}: ${JSON.stringify(body)}`);
      })
      .catch((err: unknown) => onError(`rollup call failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (running = false));
  }, intervalMs);
  return () => clearInterval(timer);
}
