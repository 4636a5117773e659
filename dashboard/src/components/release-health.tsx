/** The release-health figures as components: the same words and floor on every page. */
import { percent } from '../format';
import { hasRates, TOO_FEW } from '../release-figures';

/** A crash-free rate of a release: the percentage, "no sessions", or the floor's words. */
export function CrashFree(props: { release: { installs: number; sessions: number }; rate: number | null }) {
  if (props.release.sessions === 0) return <span class="muted">no sessions</span>;
  if (!hasRates(props.release)) return <span class="muted too-few">{TOO_FEW}</span>;
  return <span class={`rate ${rateClass(props.rate)}`}>{percent(props.rate)}</span>;
}

/** A release's two crash-free rates as the terms and details of a facts list. */
export function CrashFreeFacts(props: {
  release: { installs: number; sessions: number; crashFreeSessions: number | null; crashFreeInstalls: number | null };
}) {
  const r = props.release;
  return (
    <>
      <dt>Crash-free sessions</dt>
      <dd>
        <CrashFree release={r} rate={r.crashFreeSessions} />
      </dd>
      <dt>Crash-free installs</dt>
      <dd>
        <CrashFree release={r} rate={r.crashFreeInstalls} />
      </dd>
    </>
  );
}

/** Colour band of a crash-free rate (text always says the number; colour only helps scanning). */
function rateClass(rate: number | null): string {
  if (rate === null) return '';
  if (rate >= 0.995) return 'rate-good';
  if (rate >= 0.98) return 'rate-fair';
  return 'rate-poor';
}
