import { useState } from 'preact/hooks';
import type { CrashItem, StoredFrame } from '../api';
import { exact } from '../format';
import { CopyButton } from './ui';

function frameText(f: StoredFrame): string {
  const where = [f.file, f.line, f.column].filter((x) => x !== undefined).join(':');
  const fn = f.function ?? (f.module ? `<${f.module}>` : '<anonymous>');
  return where === '' ? fn : `${fn}  ${where}`;
}

/** Runs of frames: in-app frames one by one, consecutive library frames folded into one group. */
function groupFrames(
  frames: StoredFrame[],
): Array<{ inApp: true; frame: StoredFrame } | { inApp: false; frames: StoredFrame[] }> {
  const out: Array<{ inApp: true; frame: StoredFrame } | { inApp: false; frames: StoredFrame[] }> = [];
  for (const frame of frames) {
    const last = out[out.length - 1];
    if (frame.inApp) out.push({ inApp: true, frame });
    else if (last !== undefined && !last.inApp) last.frames.push(frame);
    else out.push({ inApp: false, frames: [frame] });
  }
  return out;
}

/** The rollup's parsed frames, most recent call first for every runtime: in-app frames emphasised, library frames collapsed. */
export function Frames(props: { frames: StoredFrame[] }) {
  if (props.frames.length === 0)
    return <p class="muted">No frames could be parsed from this trace; see the raw view.</p>;
  return (
    <>
      <p class="muted">Most recent call first.</p>
      <ol class="frames" aria-label="Frames, most recent call first">
        {groupFrames(props.frames).map((g, i) =>
          g.inApp ? (
            <li key={i} class="frame in-app">
              <span class="tag">app</span> <code>{frameText(g.frame)}</code>
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
                    </li>
                  ))}
                </ol>
              </details>
            </li>
          ),
        )}
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
        <Frames frames={c.frames} />
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
