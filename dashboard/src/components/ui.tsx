import type { AnchorHTMLAttributes, ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { navigate } from '../router';

/** An in-app link: a real `<a href>` (new tab, copy link work), navigated without a reload. */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { href, onClick, ...rest } = props;
  return (
    <a
      href={href}
      onClick={(e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        if (typeof onClick === 'function') onClick(e);
        navigate(href);
      }}
      {...rest}
    />
  );
}

/** A designed loading state, announced politely to screen readers. */
export function Loading(props: { what: string }) {
  return (
    <p class="state loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> Loading {props.what}…
    </p>
  );
}

/** A designed empty state: what is missing and what to do. */
export function Empty(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state empty">
      <p class="empty-title">{props.title}</p>
      {props.children}
    </div>
  );
}

/** Words for an error, with a way to try again. */
export function ErrorBox(props: { error: Error; retry?: () => void; what?: string }) {
  const e = props.error;
  const status = e instanceof ApiError && e.status > 0 ? ` (${e.status} ${e.code})` : '';
  return (
    <div class="state error" role="alert">
      <p>
        <strong>{props.what ? `Could not load ${props.what}.` : 'Something went wrong.'}</strong> {e.message}
        {status}
      </p>
      {props.retry && (
        <button type="button" onClick={props.retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Copies `text`; says so for two seconds. `label` names what is copied ("secret"). */
export function CopyButton(props: { text: string; label: string }) {
  const [done, setDone] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (done === 'idle') return undefined;
    const t = setTimeout(() => setDone('idle'), 2000);
    return () => clearTimeout(t);
  }, [done]);
  // The visible word stays part of the accessible name ("Copy secret"), as WCAG 2.5.3 asks.
  return (
    <>
      <button
        type="button"
        class="copy"
        onClick={() => {
          navigator.clipboard.writeText(props.text).then(
            () => setDone('copied'),
            () => setDone('failed'),
          );
        }}
      >
        Copy<span class="visually-hidden"> {props.label}</span>
      </button>
      <span class="copy-status" role="status">
        {done === 'copied' ? 'Copied' : done === 'failed' ? 'Copy failed: select the text and copy it' : ''}
      </span>
    </>
  );
}

/** A value worth copying (a key, a secret, an id), shown in full with a copy button. */
export function Secretish(props: { value: string; label: string }) {
  return (
    <span class="copyable">
      <code>{props.value}</code> <CopyButton text={props.value} label={props.label} />
    </span>
  );
}

/** A small inline chart of daily counts (SVG: crisp, no canvas per row); `unit` names what is counted. */
export function Sparkline(props: { values: number[]; label: string; unit?: string }) {
  const { values } = props;
  const max = Math.max(1, ...values);
  const w = 84;
  const h = 20;
  const step = values.length > 1 ? w / (values.length - 1) : w;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(h - 1 - (v / max) * (h - 2)).toFixed(1)}`).join(' ');
  const total = values.reduce((a, b) => a + b, 0);
  return (
    <svg
      class="sparkline"
      width={w}
      height={h}
      viewBox={`0 0 ${w} ${h}`}
      role="img"
      aria-label={`${props.label}: ${total} ${props.unit ?? 'crashes'} over ${values.length} days`}
    >
      <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}

/** A table's own scrolling box, so a wide table scrolls inside it and the page keeps the screen's width. */
export function TableScroll(props: { label: string; children: ComponentChildren }) {
  // Focusable, so a keyboard can scroll it; a region, so its label says which table it holds.
  return (
    <div class="table-scroll" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}
