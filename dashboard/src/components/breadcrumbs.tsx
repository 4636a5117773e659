import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { Breadcrumb } from '../api';
import { exact, plural, relativeTime } from '../format';

/** How many of the newest breadcrumbs show before "Show all". */
const SHOWN = 10;

/** `POST api.shop.test /v1/charge 502` for an http breadcrumb with those data, else null. */
function httpLine(crumb: Breadcrumb): string | null {
  const d = crumb.data;
  if (crumb.category !== 'http' || d === undefined) return null;
  const parts = [d.method, d.host, d.path].filter((x): x is string => typeof x === 'string' && x !== '');
  if (parts.length === 0) return null;
  const outcome = typeof d.status === 'number' ? String(d.status) : typeof d.error === 'string' ? d.error : '';
  return [...parts, outcome].filter((x) => x !== '').join(' ');
}

function CrumbData(props: { data: NonNullable<Breadcrumb['data']> }) {
  const entries = Object.entries(props.data);
  if (entries.length === 0) return null;
  return (
    <details class="crumb-data">
      <summary>{plural(entries.length, 'data entry', 'data entries')}</summary>
      <dl>
        {entries.map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>
              <code>{v === null ? 'null' : String(v)}</code>
            </dd>
          </Fragment>
        ))}
      </dl>
    </details>
  );
}

/**
 * What the program did before the crash, oldest first, each at its time relative to the crash:
 * level, category, message (http: method host path status) and its data folded.
 */
export function Breadcrumbs(props: {
  crumbs: Breadcrumb[] | null;
  omitted: number;
  crashAt: string | null;
  index: number;
}) {
  const [all, setAll] = useState(false);
  const crumbs = props.crumbs ?? [];
  if (crumbs.length === 0) return null;
  const shown = all ? crumbs : crumbs.slice(-SHOWN);
  const headingId = `crumbs-${props.index}`;
  return (
    <section class="breadcrumbs" aria-labelledby={headingId}>
      <h4 id={headingId}>Breadcrumbs</h4>
      <p class="muted">
        What happened before the crash, oldest first; times relative to the crash.
        {props.omitted > 0 &&
          ` ${plural(props.omitted, 'older breadcrumb was', 'older breadcrumbs were')} left out to keep the report within its size limit.`}
      </p>
      {shown.length < crumbs.length && (
        <button type="button" onClick={() => setAll(true)}>
          Show all {crumbs.length} breadcrumbs
        </button>
      )}
      <ol class="timeline" aria-label={`Breadcrumbs of crash ${props.index + 1}, oldest first`}>
        {shown.map((crumb, i) => {
          const http = httpLine(crumb);
          return (
            <li key={i} class="crumb">
              <time dateTime={crumb.timestamp} title={exact(crumb.timestamp)}>
                {relativeTime(crumb.timestamp, props.crashAt)}
              </time>
              <span class={`level level-${crumb.level}`}>{crumb.level}</span>
              <span class="category">{crumb.category}</span>
              <span class="crumb-message">
                {http !== null ? <code>{http}</code> : (crumb.message ?? <span class="muted">(no message)</span>)}
              </span>
              {crumb.data !== undefined && <CrumbData data={crumb.data} />}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
