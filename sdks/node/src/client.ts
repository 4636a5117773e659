import { mkdirSync, readFileSync } from 'node:fs';
import { arch, release } from 'node:os';
import { join } from 'node:path';
import { listenForBreadcrumbs } from './auto-breadcrumbs.ts';
import { createBreadcrumbRing, normalizeBreadcrumb } from './breadcrumbs.ts';
import { findOptOut } from './consent.ts';
import { HANDOFF_GRACE_MS } from './handoff.ts';
import { installHooks } from './hooks.ts';
import { ID_PATTERN, makeRandomId, makeReportId } from './ids.ts';
import { createLimiter, localFingerprint } from './limiter.ts';
import type { Limiter } from './limiter.ts';
import { createDebugLog, createNotice, printDebugReport } from './log.ts';
import type { DebugLog } from './log.ts';
import { createMetricRegistry } from './metrics.ts';
import type { MetricCollector, MetricRegistry } from './metrics.ts';
import {
  defaultQueueDir,
  findOptionProblems,
  MAX_BREADCRUMBS,
  resolveAutoBreadcrumbs,
  resolveEnvironment,
  resolveSettings,
} from './options.ts';
import type { DumpcatcherOptions } from './options.ts';
import { createQueue, writeFileAtomicSync } from './queue.ts';
import type { Queue, QueueEntry } from './queue.ts';
import { buildCrashReport, fitBody, sanitizeLabel } from './report.ts';
import type { ReportExtras, ReportFacts } from './report.ts';
import { createScrubber } from './scrub.ts';
import type { Scrubber } from './scrub.ts';
import { defaultRuntime } from './runtime.ts';
import type { ClientRuntime } from './runtime.ts';
import { createSender } from './sender.ts';
import { claimDeadMarkers, markerPath, removeMarker, systemProbe, writeMarker } from './session-markers.ts';
import type { ProcessIdentity } from './session-markers.ts';
import { createSessionBook, splitReport } from './sessions.ts';
import type { SessionOwner, SessionReportPart } from './sessions.ts';
import { collectSourceContext, createSourceCache } from './source-context.ts';
import { safeTimeout } from './timers.ts';
import type { Sender } from './sender.ts';
import { createTransport } from './transport.ts';
import type { Transport } from './transport.ts';
import type { BreadcrumbInput, CaptureContext, CrashReport, ReportPath, SessionReport, UsageReport } from './types.ts';

/** A Dumpcatcher client: every method is safe to call at any time and never throws. */
export interface DumpcatcherClient {
  /** `live` sends, `debug` prints, `off` does nothing (opted out, misconfigured or closed). */
  readonly mode: 'live' | 'debug' | 'off';
  /** This process's random client id (null when off). */
  readonly clientId: string | null;
  /** Queue folder in use (null unless live). */
  readonly queueDir: string | null;
  /** Captures a thrown value; returns its report id, or null when dropped or off. Returns once the report is on disk. */
  captureException(error: unknown, context?: CaptureContext): string | null;
  /** Adds a breadcrumb (scrubbed now) to the ring the next crash reports carry; a bad argument is ignored. */
  addBreadcrumb(breadcrumb: BreadcrumbInput): void;
  /** Collects every registered metric and enqueues one usage report; returns its report id or null. */
  reportUsage(): string | null;
  /** Registers (or replaces) a usage metric in this client's registry; false when the name is invalid. */
  defineMetric(name: string, collect: MetricCollector): boolean;
  /** Starts a release health session, ending the running one first (its report is queued). */
  startSession(): void;
  /** Ends the running session and queues its report (`ok`, or `errored` after a handled error). */
  endSession(): void;
  /** Sends what is queued; true when the queue is empty before `timeoutMs`, false otherwise. */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Flushes with `shutdownTimeoutMs`, removes the hooks, and turns every later call into a no-op. */
  close(): Promise<boolean>;
}

const DEFAULT_FLUSH_TIMEOUT_MS = 2000;

const OFF_CLIENT_BASE = {
  clientId: null,
  queueDir: null,
  captureException: () => null,
  addBreadcrumb: () => undefined,
  reportUsage: () => null,
  defineMetric: () => false,
  startSession: () => undefined,
  endSession: () => undefined,
  flush: () => Promise.resolve(true),
  close: () => Promise.resolve(true),
};

/** A client that does nothing (before `init`, after `close`, or when opted out). */
export function createNoopClient(): DumpcatcherClient {
  return { mode: 'off', ...OFF_CLIENT_BASE };
}

/**
 * Creates a client. `runtime` replaces parts of the surroundings (clock, randomness, env,
 * stderr, process) for tests; `registry` is the metric registry to use (the SDK's single one
 * when created through `init`).
 */
export function createClient(
  options: DumpcatcherOptions,
  runtimeOverrides: Partial<ClientRuntime> = {},
  registry: MetricRegistry = createMetricRegistry(),
): DumpcatcherClient {
  try {
    return createClientUnsafe(options, { ...defaultRuntime(), ...runtimeOverrides }, registry);
  } catch (err) {
    if (options && (options as { debug?: unknown }).debug === true) {
      process.stderr.write(`[dumpcatcher] init failed, SDK disabled: ${String(err)}\n`);
    }
    return createNoopClient();
  }
}

function createClientUnsafe(
  options: DumpcatcherOptions,
  runtime: ClientRuntime,
  registry: MetricRegistry,
): DumpcatcherClient {
  const debug = options?.debug === true;
  const log = createDebugLog(
    debug,
    runtime.env,
    typeof options?.secret === 'string' ? options.secret : '',
    runtime.writeStderr,
  );

  const notice = createNotice(
    debug,
    runtime.env,
    typeof options?.secret === 'string' ? options.secret : '',
    runtime.writeStderr,
    runtime.noticesSaid,
  );

  const problems = findOptionProblems(options, runtime.env);
  if (problems.length > 0) {
    notice('config', `SDK disabled, nothing will be reported: ${problems.join('; ')}`);
    // flush() must not say all went well when nothing can be sent.
    return { ...createNoopClient(), flush: () => Promise.resolve(false) };
  }
  const optOut = findOptOut(options.enabled, runtime.env, runtime.homeDir, runtime.platform);
  if (optOut !== null) {
    notice('opt-out', `SDK disabled: opted out by ${optOut}`);
    return createNoopClient();
  }

  let mode: 'live' | 'debug' | 'off' = debug ? 'debug' : 'live';
  const settings = resolveSettings(options);
  const queueDir = options.queueDir || defaultQueueDir(runtime, options.productKey);
  const clientId = makeRandomId();
  let counter = 0;
  const scrub: Scrubber = createScrubber({
    homeDir: runtime.homeDir,
    userName: runtime.userName,
    secret: options.secret,
  });
  const captured = new WeakSet<object>();

  const queue: Queue | null =
    mode === 'live'
      ? createQueue(
          queueDir,
          {
            maxFiles: settings.maxQueueFiles,
            maxBytes: settings.maxQueueBytes,
            maxAgeSeconds: settings.maxQueueAgeSeconds,
          },
          runtime.now,
          log,
        )
      : null;
  const limiter: Limiter = createLimiter(
    mode === 'live' ? join(queueDir, 'limiter.json') : null,
    settings.maxReportsPerFingerprint,
    settings.limiterWindowSeconds,
    runtime.now,
  );
  const transport: Transport | null =
    mode === 'live'
      ? (runtime.makeTransport ?? createTransport)({
          endpoint: options.endpoint,
          productKey: options.productKey,
          secret: options.secret,
          gzipThresholdBytes: settings.gzipThresholdBytes,
          requestTimeoutMs: settings.requestTimeoutMs,
          now: runtime.now,
          env: runtime.env,
        })
      : null;

  const installId = options.installId !== false ? loadInstallId(mode === 'live' ? queueDir : null, log) : undefined;
  const label = sanitizeLabel(options.label, scrub);
  const environment = resolveEnvironment(options, runtime.env);
  const facts: ReportFacts = {
    appName: options.appName.slice(0, 128),
    appVersion: options.appVersion.slice(0, 64),
    environment,
    runtime: { name: 'node', version: process.versions.node },
    os: { name: runtime.platform === 'win32' ? 'windows' : runtime.platform, version: release(), arch: arch() },
    ...(label !== undefined ? { label } : {}),
    ...(options.tags ? { tags: options.tags } : {}),
    ...(installId !== undefined ? { installId } : {}),
  };

  // ---- breadcrumbs and source context (docs/sdks.md#breadcrumbs, #source-context) ---------
  const ring = createBreadcrumbRing(options.maxBreadcrumbs ?? MAX_BREADCRUMBS);
  const keepsBreadcrumbs = (options.maxBreadcrumbs ?? MAX_BREADCRUMBS) > 0;
  const addBreadcrumb = (input: BreadcrumbInput): void => {
    if (mode === 'off' || !keepsBreadcrumbs) return;
    const crumb = normalizeBreadcrumb(input, scrub, runtime.now());
    if (crumb) ring.add(crumb);
    else log('addBreadcrumb takes an object ({category, message, level, data}); ignored');
  };
  const sourceCache = options.sourceContext !== false ? createSourceCache(scrub) : null;
  const reportExtras = (): ReportExtras => {
    const extras: ReportExtras = {};
    if (keepsBreadcrumbs) {
      // beforeSend may edit the report; the ring must not change with it.
      extras.breadcrumbs = ring.snapshot(options.beforeSend !== undefined);
    }
    if (sourceCache) {
      extras.sourceContext = (rawStack, scrubbedStack) => {
        try {
          return collectSourceContext(rawStack, scrubbedStack, sourceCache);
        } catch (err) {
          log('source context left out:', err);
          return [];
        }
      };
    }
    return extras;
  };

  // ---- sending -------------------------------------------------------------------------
  // An ingest older than /v1/sessions answers 404 there: no more sessions from this process.
  let sessionsOn = true;
  const sender: Sender | null =
    queue && transport
      ? createSender({
          queue,
          transport,
          now: runtime.now,
          random: runtime.random,
          log,
          notice,
          onSessionsRefused: () => {
            sessionsOn = false;
            notice(
              'sessions-unsupported',
              'the ingest does not know /v1/sessions (an older server): session reports are dropped from now on',
            );
            removeMarker(markerPath(queueDir, clientId));
          },
        })
      : null;
  let exitFlushDone = false;
  const kick = (): void => {
    if (mode === 'live') sender?.kick();
  };

  // ---- capture -------------------------------------------------------------------------

  const enqueue = (
    path: ReportPath,
    body: CrashReport | UsageReport | SessionReport,
    durable: boolean,
    given?: string,
  ): void => {
    if (mode === 'debug') {
      printDebugReport(runtime.writeStderr, path, body);
      return;
    }
    if (!queue) return;
    const bodyJson = given ?? JSON.stringify(body);
    counter += 1;
    const createdAtMs = runtime.now();
    const entry: QueueEntry = {
      v: 1,
      path,
      clientId,
      counter,
      createdAt: new Date(createdAtMs).toISOString(),
      body: body as unknown as Record<string, unknown>,
    };
    const outcome = queue.writeSync(entry, createdAtMs, durable, bodyJson);
    sender?.track(outcome.name, entry, bodyJson);
    // The bounds may have dropped older reports, or this one if it alone is over maxQueueBytes.
    if (outcome.dropped.length > 0) {
      sender?.untrack(outcome.dropped);
      notice(
        'queue-full',
        `queue full: ${outcome.dropped.length} unsent report(s) dropped (maxQueueFiles ${settings.maxQueueFiles}, maxQueueBytes ${settings.maxQueueBytes})`,
      );
    }
    exitFlushDone = false;
  };

  const applyBeforeSend = (report: CrashReport): CrashReport | null => {
    if (!options.beforeSend) return report;
    let edited: CrashReport | null | undefined;
    try {
      edited = options.beforeSend(report);
    } catch (err) {
      log('beforeSend threw; report dropped:', err);
      return null;
    }
    if (edited === null || edited === undefined) {
      log(`beforeSend dropped report ${report.reportId}`);
      return null;
    }
    const e = edited as unknown as { reportId?: unknown; exception?: { type?: unknown; stacktrace?: unknown } };
    if (
      typeof e.reportId !== 'string' ||
      typeof e.exception?.type !== 'string' ||
      typeof e.exception.stacktrace !== 'string'
    ) {
      log('beforeSend returned something that is not a crash report; report dropped');
      return null;
    }
    return edited;
  };

  /**
   * The whole capture path, synchronous: it also runs in the hook of a dying process, where
   * `fatal` makes the write durable (fsync) and saves the limiter's counts at once.
   */
  const captureSync = (error: unknown, context: CaptureContext | undefined, fatal: boolean): string | null => {
    if (mode === 'off') return null;
    if (typeof error === 'object' && error !== null) {
      if (captured.has(error)) return null;
      captured.add(error);
    }
    if (settings.sampleRate < 1 && !(runtime.random() < settings.sampleRate)) {
      log('report not sampled (sampleRate)');
      return null;
    }
    const built = buildCrashReport(error, context, facts, scrub, makeReportId(), runtime.now(), reportExtras());
    const report = applyBeforeSend(built);
    if (!report) return null;
    const fp = localFingerprint(
      report.exception.type,
      report.exception.stacktrace,
      context?.fingerprint ?? report.fingerprint,
    );
    if (!limiter.allow(fp)) {
      notice(
        'limiter',
        `a crash report was dropped by the client-side limiter (more than ${settings.maxReportsPerFingerprint} per ${settings.limiterWindowSeconds} s with one fingerprint)`,
      );
      return null;
    }
    // Measured on the JSON the queue stores and the sender sends, after beforeSend.
    const fitted = fitBody(report, JSON.stringify(report), log);
    enqueue('/v1/crashes', fitted.report, fatal, fitted.json);
    if (fatal) limiter.persistNow();
    else limiter.persistSoon();
    return fitted.report.reportId;
  };

  // ---- sessions (docs/sdks.md "Sessions") -----------------------------------------------
  const owner: SessionOwner = {
    appName: facts.appName,
    appVersion: facts.appVersion,
    environment,
    ...(installId !== undefined ? { installId } : {}),
  };
  const book = createSessionBook(owner);
  const probe = runtime.processProbe ?? systemProbe;
  const self: ProcessIdentity | null = mode === 'live' ? probe.self() : null;
  const ownMarker = markerPath(queueDir, clientId);

  const queueSessionReport = (whole: SessionReportPart, durable: boolean): void => {
    if (!sessionsOn) return;
    for (const p of splitReport(whole)) {
      const report: SessionReport = {
        reportId: makeReportId(),
        occurredAt: new Date(runtime.now()).toISOString(),
        ...p,
      };
      enqueue('/v1/sessions', report, durable);
    }
  };
  /** The marker says what runs now: written (atomically) while a session runs, gone when none does. */
  const saveMarker = (durable: boolean): void => {
    if (mode !== 'live' || self === null) return;
    try {
      if (book.current && sessionsOn) {
        mkdirSync(queueDir, { recursive: true, mode: 0o700 });
        writeMarker(queueDir, clientId, owner, book.current, book.carried, self, durable);
      } else {
        removeMarker(ownMarker);
      }
    } catch (err) {
      log('could not write the session marker:', err);
    }
  };
  const finishSession = (status: 'ok' | 'crashed', durable: boolean): void => {
    if (mode === 'off') return;
    const ended = book.end(status);
    if (ended) queueSessionReport(ended, durable);
    saveMarker(durable);
  };

  let removeHooks: (() => void) | null = null;

  /**
   * At exit: reports this process wrote and never got to try (a crash, or `process.exit()`
   * right after a capture) go with a detached child, so a one-shot program that dies is heard
   * without a next start. Reports already tried wait for the next start, as before.
   */
  const handOffUntried = (): void => {
    if (mode !== 'live' || !sender || !sender.hasUntried()) return;
    const spawnExitSender = runtime.spawnExitSender;
    const started =
      spawnExitSender !== undefined &&
      spawnExitSender({
        endpoint: options.endpoint,
        productKey: options.productKey,
        secret: options.secret,
        queueDir,
        limits: {
          maxFiles: settings.maxQueueFiles,
          maxBytes: settings.maxQueueBytes,
          maxAgeSeconds: settings.maxQueueAgeSeconds,
        },
        gzipThresholdBytes: settings.gzipThresholdBytes,
        requestTimeoutMs: settings.requestTimeoutMs,
        timeoutMs: settings.shutdownTimeoutMs + HANDOFF_GRACE_MS,
      });
    log(
      started
        ? 'exit: a detached sender sends what is queued'
        : 'exit: no sender could start; the next start sends what is queued',
    );
  };

  const client: DumpcatcherClient = {
    get mode() {
      return mode;
    },
    get clientId() {
      return mode === 'off' ? null : clientId;
    },
    get queueDir() {
      return mode === 'live' ? queueDir : null;
    },
    captureException(error, context) {
      try {
        if (mode !== 'off' && book.markErrored()) saveMarker(false);
        const id = captureSync(error, context, false);
        if (id !== null) kick();
        return id;
      } catch (err) {
        log('captureException failed:', err);
        return null;
      }
    },
    addBreadcrumb(breadcrumb) {
      try {
        addBreadcrumb(breadcrumb);
      } catch (err) {
        log('addBreadcrumb failed:', err);
      }
    },
    reportUsage() {
      try {
        if (mode === 'off') return null;
        const metrics = registry.collect({ appName: facts.appName, appVersion: facts.appVersion }, (name, err) =>
          log(`metric ${name} left out: its collector threw`, err),
        );
        if (Object.keys(metrics).length === 0) return null;
        const report: UsageReport = {
          reportId: makeReportId(),
          occurredAt: new Date(runtime.now()).toISOString(),
          app: { name: facts.appName, version: facts.appVersion },
          environment,
          metrics,
        };
        if (installId !== undefined) report.installId = installId;
        if (label !== undefined) report.label = label;
        enqueue('/v1/usage', report, false);
        kick();
        return report.reportId;
      } catch (err) {
        log('reportUsage failed:', err);
        return null;
      }
    },
    defineMetric(name, collect) {
      try {
        if (mode === 'off') return false;
        const ok = registry.define(name, collect);
        if (!ok) log(`metric name ${JSON.stringify(name)} is invalid (want [a-z0-9_.]{1,64}); ignored`);
        return ok;
      } catch {
        return false;
      }
    },
    startSession() {
      try {
        if (mode === 'off') return;
        const ended = book.start(runtime.now());
        if (ended) queueSessionReport(ended, false);
        saveMarker(false);
        kick();
      } catch (err) {
        log('startSession failed:', err);
      }
    },
    endSession() {
      try {
        finishSession('ok', false);
        kick();
      } catch (err) {
        log('endSession failed:', err);
      }
    },
    async flush(timeoutMs = DEFAULT_FLUSH_TIMEOUT_MS) {
      try {
        if (mode !== 'live' || !sender) return true;
        return await holdWhile(timeoutMs, sender.flush(timeoutMs));
      } catch (err) {
        log('flush failed:', err);
        return false;
      }
    },
    async close() {
      try {
        if (mode === 'off') return true;
        finishSession('ok', false);
        const ok =
          mode === 'live' && sender
            ? await holdWhile(settings.shutdownTimeoutMs, sender.flush(settings.shutdownTimeoutMs))
            : true;
        mode = 'off';
        removeHooks?.();
        removeHooks = null;
        stopAutoBreadcrumbs();
        limiter.persistNow();
        queue?.dispose();
        sender?.stop();
        transport?.destroy();
        return ok;
      } catch (err) {
        log('close failed:', err);
        return false;
      }
    },
  };

  removeHooks = installHooks(
    runtime.process,
    {
      onUncaught(error, origin) {
        try {
          // The process may die as soon as this returns, so the report is written right here.
          const id = captureSync(error, undefined, true);
          if (id !== null) log(`captured ${origin} as report ${id}`);
          // Right after the crash report, on disk before the process dies.
          finishSession('crashed', true);
          // Only matters when an app handler keeps the process alive.
          kick();
        } catch (err) {
          log('could not capture an uncaught exception:', err);
        }
      },
      onUnhandledRejection(reason) {
        try {
          // The app's own handler keeps the process alive: an error the app handled.
          if (mode !== 'off' && book.markErrored()) saveMarker(false);
          if (captureSync(reason, undefined, false) !== null) kick();
        } catch (err) {
          log('could not capture an unhandled rejection:', err);
        }
      },
      onExit() {
        try {
          // process.exit() skips beforeExit: the session ends here, and its report (never tried)
          // leaves with the hand-off below.
          finishSession('ok', false);
          limiter.persistNow();
          queue?.dispose();
          handOffUntried();
        } catch (err) {
          log('exit hook:', err);
        }
      },
      onBeforeExit() {
        try {
          // The event loop ran dry: the run is over, and its session report can leave with the flush.
          finishSession('ok', false);
        } catch (err) {
          log('could not end the session:', err);
        }
        if (mode !== 'live' || exitFlushDone || !sender) return;
        exitFlushDone = true;
        if (!sender.hasWork()) return;
        // The only handle the SDK ever holds the process with, and only for shutdownTimeoutMs.
        const hold = safeTimeout(() => undefined, settings.shutdownTimeoutMs);
        void sender.flush(settings.shutdownTimeoutMs).finally(() => clearTimeout(hold));
      },
    },
    options.captureUncaught !== false,
  );

  const stopAutoBreadcrumbs = keepsBreadcrumbs
    ? listenForBreadcrumbs({ kinds: resolveAutoBreadcrumbs(options.autoBreadcrumbs), add: client.addBreadcrumb })
    : () => undefined;

  startSessions(options.autoSessionTracking !== false);

  if (mode === 'live') {
    log(`ready: client ${clientId}, queue ${queueDir}`);
    // Reports earlier runs left behind go out first.
    kick();
  } else {
    log('debug mode: reports are printed, never sent or written');
  }
  return client;

  /**
   * At init: the process session starts (unless autoSessionTracking is false), and the sessions
   * earlier processes left without an end become reports (or ride with this one's).
   */
  function startSessions(auto: boolean): void {
    try {
      if (auto) book.start(runtime.now());
      if (mode !== 'live' || self === null) return;
      const dead = claimDeadMarkers(queueDir, clientId, self, probe);
      for (const other of book.found(dead.sessions)) queueSessionReport(other, false);
      // The marker carries this release's found sessions before their own markers go.
      saveMarker(dead.claimed.length > 0);
      for (const claim of dead.claimed) removeMarker(claim);
      if (dead.sessions.length > 0) log(`found ${dead.sessions.length} session(s) that ended without an end`);
    } catch (err) {
      log('could not start the session:', err);
    }
  }
}

/**
 * Keeps the process alive (its timers and sockets are unref()ed) until `work` settles, for at
 * most `timeoutMs`: an app that awaits flush() or close() must get the answer before Node exits.
 */
async function holdWhile<T>(timeoutMs: number, work: Promise<T>): Promise<T> {
  const hold = safeTimeout(() => undefined, timeoutMs);
  try {
    return await work;
  } finally {
    clearTimeout(hold);
  }
}

function loadInstallId(queueDir: string | null, log: DebugLog): string {
  if (queueDir === null) return makeRandomId();
  const file = join(queueDir, 'install-id');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (ID_PATTERN.test(existing)) return existing;
  } catch {
    // Not there yet.
  }
  const id = makeRandomId();
  try {
    mkdirSync(queueDir, { recursive: true, mode: 0o700 });
    writeFileAtomicSync(file, id + '\n');
  } catch (err) {
    log('could not store the install id:', err);
  }
  return id;
}
