import { useState } from 'preact/hooks';
import type { CrashExceptionView, CrashFrameView, CrashItem } from '../api';
import { exact } from '../format';
import { Breadcrumbs } from './breadcrumbs';
import { CopyButton } from './ui';

function frameText(f: CrashFrameView): string {
  const where = [f.file, f.line, f.column].filter((x) => x !== undefined).join(':');
  const fn = f.function ?? (f.module ? `<${f.module}>` : '<anonymous>');
  return where === '' ? fn : `${fn}  ${where}`;
}

/** Runs of frames: in-app frames one by one, consecutive library frames folded into one group. */
function groupFrames(
  frames: CrashFrameView[],
): Array<{ inApp: true; frame: CrashFrameView } | { inApp: false; frames: CrashFrameView[] }> {
  const out: Array<{ inApp: true; frame: CrashFrameView } | { inApp: false; frames: CrashFrameView[] }> = [];
  for (const frame of frames) {
    const last = out[out.length - 1];
    if (frame.inApp) out.push({ inApp: true, frame });
    else if (last !== undefined && !last.inApp) last.frames.push(frame);
    else out.push({ inApp: false, frames: [frame] });
  }
  return out;
}

/** The lines around a frame, numbered, the frame's own line marked (aria-current and an arrow), scrolling in its own box. */
function SourceLines(props: { frame: CrashFrameView }) {
  const { source, line, file } = props.frame;
  if (source === undefined || line === undefined) return null;
  const first = line - source.pre.length;
  const rows = [...source.pre, source.context, ...source.post];
  return (
    <pre class="source" tabIndex={0} aria-label={`Source around ${file ?? 'this frame'} line ${line}`}>
      {rows.map((text, i) => {
        const n = first + i;
        const current = n === line;
        return (
          <span key={n} class={current ? 'src-line current' : 'src-line'} aria-current={current ? 'true' : undefined}>
            <span class="src-mark" aria-hidden="true">
              {current ? '→' : ' '}
            </span>
            <span class="src-no">{n}</span>
            {current && <span class="visually-hidden">crashing line: </span>}
            <span class="src-text">{text}</span>
            {'\n'}
          </span>
        );
      })}
    </pre>
  );
}

/** Frames, most recent call first for every runtime: in-app frames emphasised with their source lines, library frames collapsed. */
export function Frames(props: { frames: CrashFrameView[]; label?: string }) {
  if (props.frames.length === 0) return null;
  return (
    <ol class="frames" aria-label={props.label ?? 'Frames, most recent call first'}>
      {groupFrames(props.frames).map((g, i) =>
        g.inApp ? (
          <li key={i} class="frame in-app">
            <span class="tag">app</span> <code>{frameText(g.frame)}</code>
            <SourceLines frame={g.frame} />
          </li>
        ) : (
          <li key={i} class="frame library">
            <details>
              <summary>
                {g.frames.length} library frame{g.frames.length === 1 ? '' : 's'}
              </summary>
              <ol>
                {g.frames.map((f, j) => (
                  <li key={j}>
                    <code>{frameText(f)}</code>
                    <SourceLines frame={f} />
                  </li>
                ))}
              </ol>
            </details>
          </li>
        ),
      )}
    </ol>
  );
}

/** "Caused by", "During handling of", "Suppressed", "Aggregated error 2" (counting the parent's members from 1). */
function relationHeading(exceptions: CrashExceptionView[], index: number): string | null {
  const e = exceptions[index];
  if (e === undefined || e.relation === null) return null;
  switch (e.relation) {
    case 'cause':
      return 'Caused by';
    case 'context':
      return 'During handling of';
    case 'suppressed':
      return 'Suppressed';
    case 'aggregated': {
      const ordinal = exceptions
        .slice(0, index + 1)
        .filter((x) => x.relation === 'aggregated' && x.parent === e.parent).length;
      return `Aggregated error ${ordinal}`;
    }
  }
}

/** How deep a block sits under the primary (a suppressed exception's cause is deeper than the suppressed one). */
function depthOf(exceptions: CrashExceptionView[], index: number): number {
  let depth = 0;
  let at = exceptions[index];
  // A cause continues its parent's level, as Java prints it; suppressed and members go one in.
  while (at !== undefined && at.parent !== null) {
    if (at.relation === 'suppressed' || at.relation === 'aggregated') depth += 1;
    at = exceptions[at.parent];
  }
  return Math.min(depth, 3);
}

/** The cause chain: one block per exception, its relation as a heading, the root cause marked. */
export function ExceptionChain(props: { crash: CrashItem; index: number }) {
  const { exceptions, frames } = props.crash;
  if (exceptions.length === 0 && frames.length === 0)
    return <p class="muted">No frames could be parsed from this trace; see the raw view.</p>;
  if (exceptions.length <= 1)
    return (
      <>
        <p class="muted">Most recent call first.</p>
        <Frames frames={frames} />
      </>
    );
  return (
    <>
      <p class="muted">
        {exceptions.length} exceptions in the chain, the one that reached the handler first; frames most recent call
        first.
      </p>
      <ol class="chain" aria-label={`Exception chain of crash ${props.index + 1}`}>
        {exceptions.map((e, i) => {
          const heading = relationHeading(exceptions, i);
          const id = `exc-${props.index}-${i}`;
          return (
            <li key={i} class={`exception-block depth-${depthOf(exceptions, i)}${e.rootCause ? ' root-cause' : ''}`}>
              <section aria-labelledby={id}>
                <h4 id={id}>
                  {heading !== null && <span class="relation">{heading}</span>}
                  {e.rootCause && <span class="badge root">Root cause</span>}
                  <span class="exc-type">{e.type || '(no type)'}</span>
                  {e.message && <span class="exc-message">: {e.message}</span>}
                </h4>
                {e.frames.length === 0 ? (
                  <p class="muted">No frames of its own.</p>
                ) : (
                  <Frames frames={e.frames} label={`Frames of ${e.type || 'this exception'}, most recent call first`} />
                )}
              </section>
            </li>
          );
        })}
      </ol>
    </>
  );
}

function exceptionOf(c: CrashItem): { type: string; message: string; stacktrace: string } {
  const e = (c.exception ?? {}) as { type?: unknown; message?: unknown; stacktrace?: unknown };
  return {
    type: typeof e.type === 'string' ? e.type : 'Error',
    message: typeof e.message === 'string' ? e.message : '',
    stacktrace: typeof e.stacktrace === 'string' ? e.stacktrace : '',
  };
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const parts = [o.name, o.version].filter((x) => typeof x === 'string' && x !== '');
    if (parts.length > 0) return parts.join(' ');
  }
  return JSON.stringify(value);
}

/** One crash: exception, frames (or the raw trace), and every fact the report carried. */
export function CrashCard(props: { crash: CrashItem; index: number }) {
  const c = props.crash;
  const e = exceptionOf(c);
  const [raw, setRaw] = useState(false);
  const tags = c.tags && typeof c.tags === 'object' ? Object.entries(c.tags as Record<string, unknown>) : [];
  return (
    <article class="crash" aria-label={`Crash ${props.index + 1}: ${e.type}`}>
      <header>
        <h3>
          <span class="exc-type">{e.type}</span>
          {e.message && <span class="exc-message">: {e.message}</span>}
        </h3>
        <p class="muted">Received {exact(c.receivedAt)}</p>
      </header>
      <Breadcrumbs
        crumbs={c.breadcrumbs}
        omitted={c.breadcrumbsOmitted}
        crashAt={c.occurredAt ?? c.receivedAt}
        index={props.index}
      />
      <div class="trace-toolbar" role="group" aria-label="Stack trace view">
        <button type="button" aria-pressed={!raw} onClick={() => setRaw(false)}>
          Frames
        </button>
        <button type="button" aria-pressed={raw} onClick={() => setRaw(true)}>
          Raw
        </button>
        <CopyButton text={c.retracedStacktrace ?? e.stacktrace} label={`raw stack trace of crash ${props.index + 1}`} />
      </div>
      {raw ? (
        <>
          <pre class="raw" tabIndex={0} aria-label="Raw stack trace">
            {c.retracedStacktrace ?? e.stacktrace}
          </pre>
          {c.retracedStacktrace !== null && (
            <details>
              <summary>As received, obfuscated (mapping {c.retrace?.mapId})</summary>
              <pre class="raw" tabIndex={0} aria-label="Obfuscated stack trace as received">
                {e.stacktrace}
              </pre>
            </details>
          )}
        </>
      ) : (
        <ExceptionChain crash={c} index={props.index} />
      )}
      <dl class="facts">
        <dt>Report id</dt>
        <dd>
          <code>{c.reportId ?? '—'}</code>
        </dd>
        <dt>Stored as</dt>
        <dd>
          <code>crashes/{c.id}</code>
        </dd>
        <dt>App version</dt>
        <dd>{describe(c.app)}</dd>
        <dt>Label</dt>
        <dd>{describe(c.label)}</dd>
        <dt>Runtime</dt>
        <dd>{describe(c.runtime)}</dd>
        <dt>OS</dt>
        <dd>{describe(c.os)}</dd>
        <dt>Occurred</dt>
        <dd>{typeof c.occurredAt === 'string' ? exact(c.occurredAt) : '—'}</dd>
        <dt>Tags</dt>
        <dd>
          {tags.length === 0
            ? '—'
            : tags.map(([k, v]) => (
                <span class="chip" key={k}>
                  {k}={String(v)}
                </span>
              ))}
        </dd>
        <dt>Extra</dt>
        <dd>
          {c.extra === null || c.extra === undefined ? (
            '—'
          ) : (
            <pre class="extra">{JSON.stringify(c.extra, null, 2)}</pre>
          )}
        </dd>
      </dl>
    </article>
  );
}
