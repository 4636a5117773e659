/**
 * Automatic breadcrumbs (docs/sdk-node.md#breadcrumbs): `console` calls and outgoing HTTP
 * requests, installed once per process for every client that wants them and removed when the
 * last one closes. HTTP is observed through `diagnostics_channel` (node:http and node:https, and
 * `fetch` through undici's channels), so no module is patched; `console` methods are wrapped,
 * and each wrapper calls the app's original with the same arguments. The SDK's own requests
 * (marked with OWN_REQUEST) and its own stderr lines (written to process.stderr, never through
 * console) are never recorded.
 */
import * as diagnostics from 'node:diagnostics_channel';
import { errorMonitor } from 'node:events';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { format } from 'node:util';
import type { AutoBreadcrumbSettings } from './options.ts';
import type { BreadcrumbInput, BreadcrumbLevel } from './types.ts';

/** A client that takes automatic breadcrumbs of the kinds it has on. */
export interface AutoBreadcrumbSink {
  readonly kinds: AutoBreadcrumbSettings;
  /** Called synchronously; must not throw. */
  add(input: BreadcrumbInput): void;
}

// Symbol.for: a request the CommonJS build made is known to the ESM build's listener too.
const OWN_REQUEST = Symbol.for('dumpcatcher.node.ownRequest');

/** Marks `request` (the ingest's, the proxy tunnel's) as the SDK's own, so that no breadcrumb records it. */
export function markOwnRequest(request: ClientRequest): void {
  (request as unknown as Record<symbol, unknown>)[OWN_REQUEST] = true;
}

const CONSOLE_LEVELS = { log: 'info', info: 'info', warn: 'warning', error: 'error', debug: 'debug' } as const;
type ConsoleMethod = keyof typeof CONSOLE_LEVELS;
type AnyFunction = (...args: unknown[]) => unknown;

interface Subscription {
  name: string;
  listener: (message: unknown) => void;
  /** Held so that the channel (weakly kept by Node) lives as long as the subscription. */
  channel?: diagnostics.Channel;
}

interface State {
  sinks: Set<AutoBreadcrumbSink>;
  /** The console methods wrapped last: the function under our wrapper, and the wrapper. */
  console: Map<ConsoleMethod, { original: AnyFunction; wrapper: AnyFunction }>;
  consoleOn: boolean;
  /** Console calls running now: a console method that calls another records once. */
  consoleDepth: number;
  http: Subscription[] | null;
  /** Requests already recorded (an error after the answer is not a second breadcrumb). */
  recorded: WeakSet<object>;
  /** fetch requests seen at creation: what undici's later messages need. */
  fetches: WeakMap<object, { method: string; origin: string; path: string }>;
}

// On globalThis so that the ESM and CommonJS builds, both loaded, install once.
const STATE_KEY = Symbol.for('dumpcatcher.node.autoBreadcrumbs');

function state(): State {
  const holder = globalThis as typeof globalThis & { [STATE_KEY]?: State };
  holder[STATE_KEY] ??= {
    sinks: new Set(),
    console: new Map(),
    consoleOn: false,
    consoleDepth: 0,
    http: null,
    recorded: new WeakSet(),
    fetches: new WeakMap(),
  };
  return holder[STATE_KEY];
}

function emit(s: State, kind: keyof AutoBreadcrumbSettings, input: BreadcrumbInput): void {
  for (const sink of s.sinks) {
    if (!sink.kinds[kind]) continue;
    try {
      sink.add(input);
    } catch {
      // A sink never throws; if one did, the app's call must not notice.
    }
  }
}

// ---- console ---------------------------------------------------------------------------

function wrapConsole(s: State): void {
  const target = console as unknown as Record<string, unknown>;
  for (const method of Object.keys(CONSOLE_LEVELS) as ConsoleMethod[]) {
    // Wrapped again when someone wrapped or replaced ours since: a wrapper left under another
    // library's only passes calls on (consoleDepth), so a call is still recorded once.
    if (target[method] === s.console.get(method)?.wrapper) continue;
    const original = target[method];
    if (typeof original !== 'function') continue;
    const level: BreadcrumbLevel = CONSOLE_LEVELS[method];
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      if (s.consoleOn && s.consoleDepth === 0) {
        try {
          emit(s, 'console', { category: 'console', level, message: format(...args) });
        } catch {
          // util.format of an object whose inspection throws: the app's call still prints.
        }
      }
      s.consoleDepth += 1;
      try {
        return (original as AnyFunction).apply(this, args);
      } finally {
        s.consoleDepth -= 1;
      }
    };
    Object.defineProperty(wrapper, 'name', { value: (original as AnyFunction).name });
    target[method] = wrapper;
    s.console.set(method, { original: original as AnyFunction, wrapper });
  }
}

/** Puts back each original that nobody wrapped since; a wrapper under someone else's stays, doing nothing. */
function unwrapConsole(s: State): void {
  const target = console as unknown as Record<string, unknown>;
  for (const [method, { original, wrapper }] of s.console) {
    if (target[method] === wrapper) target[method] = original;
    s.console.delete(method);
  }
}

// ---- http ------------------------------------------------------------------------------

function levelOf(status: number | undefined): BreadcrumbLevel {
  if (status === undefined || status >= 500) return 'error';
  return status >= 400 ? 'warning' : 'info';
}

/** `path` without its query string and fragment: they often carry tokens and personal data. */
export function stripQuery(path: string): string {
  const end = path.search(/[?#]/);
  const bare = end < 0 ? path : path.slice(0, end);
  return bare === '' ? '/' : bare;
}

function errorName(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown } | null;
  if (e && typeof e.code === 'string' && e.code !== '') return e.code;
  if (e && typeof e.name === 'string' && e.name !== '') return e.name;
  return 'Error';
}

/** The `http` breadcrumb of one request: its answer's status, or the error that came instead. */
export function httpBreadcrumb(
  method: string,
  host: string,
  rawPath: string,
  answer: { status: number } | { error: unknown },
): BreadcrumbInput {
  const path = stripQuery(rawPath);
  const status = 'status' in answer ? answer.status : undefined;
  return {
    category: 'http',
    level: levelOf(status),
    message: `${method} ${host}${path}`,
    data:
      status !== undefined
        ? { method, host, path, status }
        : { method, host, path, error: errorName((answer as { error: unknown }).error) },
  };
}

/** Method, host (with a port that is not the scheme's default) and path of a node:http request. */
function describeRequest(request: ClientRequest): { method: string; host: string; path: string } {
  const method = String(request.method || 'GET');
  const path = String(request.path || '/');
  // Through a plain HTTP proxy the path is the whole URL.
  if (/^https?:\/\//i.test(path)) {
    try {
      const url = new URL(path);
      return { method, host: url.host, path: url.pathname };
    } catch {
      // Not a URL after all: fall through.
    }
  }
  const header = request.getHeader('host');
  const host = typeof header === 'string' && header !== '' ? header : String(request.host || '');
  return { method, host, path };
}

function isOwn(request: object): boolean {
  return (request as Record<symbol, unknown>)[OWN_REQUEST] === true;
}

function recordRequest(s: State, request: ClientRequest, answer: { status: number } | { error: unknown }): void {
  if (s.recorded.has(request)) return;
  s.recorded.add(request);
  const { method, host, path } = describeRequest(request);
  emit(s, 'http', httpBreadcrumb(method, host, path, answer));
}

function recordFetch(s: State, request: object, answer: { status: number } | { error: unknown }): void {
  const seen = s.fetches.get(request);
  if (!seen || s.recorded.has(request)) return;
  s.recorded.add(request);
  let host = seen.origin;
  try {
    host = new URL(seen.origin).host;
  } catch {
    // Keep the origin as undici gave it.
  }
  emit(s, 'http', httpBreadcrumb(seen.method, host, seen.path, answer));
}

function subscribeHttp(s: State): Subscription[] {
  const subscriptions: Subscription[] = [
    {
      name: 'http.client.request.start',
      listener: (message) => {
        const request = (message as { request?: ClientRequest }).request;
        if (!request || isOwn(request)) return;
        // errorMonitor sees the error without handling it: an app without an 'error' listener
        // still gets Node's usual crash.
        request.on(errorMonitor, (error: unknown) => recordRequest(s, request, { error }));
      },
    },
    {
      name: 'http.client.response.finish',
      listener: (message) => {
        const { request, response } = message as { request?: ClientRequest; response?: IncomingMessage };
        if (!request || !response || isOwn(request)) return;
        recordRequest(s, request, { status: response.statusCode ?? 0 });
      },
    },
    {
      name: 'undici:request:create',
      listener: (message) => {
        const request = (message as { request?: { method?: unknown; origin?: unknown; path?: unknown } }).request;
        if (!request) return;
        s.fetches.set(request, {
          method: String(request.method ?? 'GET'),
          origin: String(request.origin ?? ''),
          path: String(request.path ?? '/'),
        });
      },
    },
    {
      name: 'undici:request:headers',
      listener: (message) => {
        const { request, response } = message as { request?: object; response?: { statusCode?: unknown } };
        if (!request) return;
        recordFetch(s, request, { status: typeof response?.statusCode === 'number' ? response.statusCode : 0 });
      },
    },
    {
      name: 'undici:request:error',
      listener: (message) => {
        const { request, error } = message as { request?: object; error?: unknown };
        if (request) recordFetch(s, request, { error });
      },
    },
  ];
  for (const subscription of subscriptions) {
    // diagnostics.subscribe came in Node 18.7; before it, the channel's own method.
    if (typeof diagnostics.subscribe === 'function') diagnostics.subscribe(subscription.name, subscription.listener);
    else {
      subscription.channel = diagnostics.channel(subscription.name);
      subscription.channel.subscribe(subscription.listener);
    }
  }
  return subscriptions;
}

function unsubscribeHttp(subscriptions: Subscription[]): void {
  for (const { name, listener, channel } of subscriptions) {
    if (channel) channel.unsubscribe(listener);
    else diagnostics.unsubscribe(name, listener);
  }
}

/** Installs or removes each kind so that exactly the kinds some sink wants are on. */
function sync(s: State): void {
  let consoleWanted = false;
  let httpWanted = false;
  for (const sink of s.sinks) {
    consoleWanted ||= sink.kinds.console;
    httpWanted ||= sink.kinds.http;
  }
  s.consoleOn = consoleWanted;
  if (consoleWanted) wrapConsole(s);
  else unwrapConsole(s);
  if (httpWanted && s.http === null) s.http = subscribeHttp(s);
  if (!httpWanted && s.http !== null) {
    unsubscribeHttp(s.http);
    s.http = null;
  }
}

/** Starts sending automatic breadcrumbs to `sink`; returns the function that stops it. */
export function listenForBreadcrumbs(sink: AutoBreadcrumbSink): () => void {
  const s = state();
  if (!sink.kinds.console && !sink.kinds.http) return () => undefined;
  s.sinks.add(sink);
  sync(s);
  return () => {
    if (s.sinks.delete(sink)) sync(s);
  };
}
