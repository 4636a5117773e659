import { z } from 'zod';

/** The events a destination may subscribe to. */
export const ALERT_EVENTS = ['issue.new', 'issue.regressed', 'issue.spike', 'release.unhealthy'] as const;
/** One alert event. */
export type AlertEvent = (typeof ALERT_EVENTS)[number];
/** What a delivered message is about: an event, or the owner's test. */
export type AlertMessageType = AlertEvent | 'test';

/** Where alerts go: a signed JSON webhook, or a Slack incoming webhook (and Slack-compatible endpoints). */
export const AlertKindSchema = z.enum(['webhook', 'slack']);
/** A destination kind. */
export type AlertKind = z.infer<typeof AlertKindSchema>;

/**
 * The crash counts per hour a destination may set as its spike threshold. A fixed ladder, so the
 * rollup can record which levels an issue crossed without knowing any destination.
 */
export const SPIKE_THRESHOLDS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

const SpikeThresholdSchema = z
  .number()
  .int()
  .refine((n) => (SPIKE_THRESHOLDS as readonly number[]).includes(n), `must be one of ${SPIKE_THRESHOLDS.join(', ')}`);

/** `release.unhealthy` defaults: crash-free sessions over the last hour below 99 %, with at least 50 sessions. */
export const DEFAULT_UNHEALTHY_THRESHOLD = 0.99;
/** The fewest sessions in the last hour for `release.unhealthy` by default. */
export const DEFAULT_UNHEALTHY_MIN_SESSIONS = 50;

const UnhealthyThresholdSchema = z.number().gt(0, 'must be above 0').max(1, 'must be at most 1');
const UnhealthyMinSessionsSchema = z.number().int().min(1).max(1_000_000);
const UNHEALTHY_ONLY = 'allowed only with the release.unhealthy event';

/** Most destinations one product may have. */
export const MAX_ALERTS_PER_PRODUCT = 10;

const UrlSchema = z.string().trim().min(1).max(2048);
const EventsSchema = z
  .array(z.enum(ALERT_EVENTS))
  .min(1, 'name at least one event')
  .refine((events) => new Set(events).size === events.length, 'events must not repeat');

/** Body of `POST /v1/products/{key}/alerts`; `spikeThreshold` goes with the `issue.spike` event, and only with it. */
export const CreateAlertBodySchema = z
  .strictObject({
    kind: AlertKindSchema,
    url: UrlSchema,
    events: EventsSchema,
    spikeThreshold: SpikeThresholdSchema.optional(),
    /** Crash-free sessions (0–1] below which a release is unhealthy; default 0.99. */
    unhealthyThreshold: UnhealthyThresholdSchema.optional(),
    /** Fewest sessions in the last hour for the rate to count; default 50. */
    unhealthyMinSessions: UnhealthyMinSessionsSchema.optional(),
  })
  .refine((b) => b.events.includes('issue.spike') === (b.spikeThreshold !== undefined), {
    message: 'spikeThreshold is required with issue.spike and allowed only with it',
    path: ['spikeThreshold'],
  })
  .refine((b) => b.events.includes('release.unhealthy') || b.unhealthyThreshold === undefined, {
    message: UNHEALTHY_ONLY,
    path: ['unhealthyThreshold'],
  })
  .refine((b) => b.events.includes('release.unhealthy') || b.unhealthyMinSessions === undefined, {
    message: UNHEALTHY_ONLY,
    path: ['unhealthyMinSessions'],
  });
/** A validated create request. */
export type CreateAlertBody = z.infer<typeof CreateAlertBodySchema>;

/** Body of `PATCH /v1/products/{key}/alerts/{id}`: url, events or both. */
export const UpdateAlertBodySchema = z
  .strictObject({
    url: UrlSchema.optional(),
    events: EventsSchema.optional(),
    spikeThreshold: SpikeThresholdSchema.nullable().optional(),
    unhealthyThreshold: UnhealthyThresholdSchema.optional(),
    unhealthyMinSessions: UnhealthyMinSessionsSchema.optional(),
  })
  .refine(
    (b) => Object.values(b).some((v) => v !== undefined),
    'url, events, spikeThreshold, unhealthyThreshold or unhealthyMinSessions is required',
  );
/** A validated update request. */
export type UpdateAlertBody = z.infer<typeof UpdateAlertBodySchema>;

/** `products/{key}/alerts/{id}`: a destination and how its deliveries went (closed to clients). */
export const AlertDocSchema = z.object({
  kind: AlertKindSchema,
  url: z.string().min(1),
  events: z.array(z.enum(ALERT_EVENTS)),
  /** Crashes in an hour that make an `issue.spike`; null unless the destination takes that event. */
  spikeThreshold: z.number().int().nullable().default(null),
  /** Crash-free sessions over the last hour below which `release.unhealthy` fires. */
  unhealthyThreshold: z.number().default(DEFAULT_UNHEALTHY_THRESHOLD),
  /** Fewest sessions in the last hour for `release.unhealthy`. */
  unhealthyMinSessions: z.number().int().default(DEFAULT_UNHEALTHY_MIN_SESSIONS),
  createdAt: z.date(),
  updatedAt: z.date(),
  lastSuccessAt: z.date().nullable(),
  lastFailureAt: z.date().nullable(),
  /** Why the last attempt failed (an HTTP status or a transport error; never a secret). */
  lastFailure: z.string().nullable(),
  /** True once a message was given up after the retry window; a later success clears it. */
  failing: z.boolean(),
});
/** A destination document. */
export type AlertDoc = z.infer<typeof AlertDocSchema>;

/** `alertSecrets/{alertId}`: a webhook's signing secret, read by the functions only. */
export const AlertSecretDocSchema = z.object({ productKey: z.string().min(1), secret: z.string().min(1) });

/** One transition the rollup committed, as queued in the outbox. */
export const OutboxEventSchema = z.object({
  /** Derived from (product, issue, transition, when), so a transition is one event whatever the runs. */
  id: z.string().min(1),
  event: z.enum(ALERT_EVENTS),
  /** The issue of an `issue.*` event; absent for `release.unhealthy`. */
  issueId: z.string().min(1).optional(),
  /** For `issue.spike`: the SPIKE_THRESHOLDS the issue's hourly count crossed in this batch. */
  levels: z.array(z.number().int()).optional(),
  /**
   * For `release.unhealthy`: a release's sessions and crashed sessions over the last hour as a
   * batch left them. Delivery decides per destination whether that crosses its threshold.
   */
  release: z.object({ version: z.string().min(1), sessions: z.number().min(0), crashed: z.number().min(0) }).optional(),
});
/** A queued event. */
export type OutboxEvent = z.infer<typeof OutboxEventSchema>;

/** `alertOutbox/{id}`: a batch's transitions of one product, written in the batch's own transaction. */
export const OutboxDocSchema = z.object({
  productKey: z.string().min(1),
  events: z.array(OutboxEventSchema),
  createdAt: z.date(),
});
/** An outbox document. */
export type OutboxDoc = z.infer<typeof OutboxDocSchema>;

/** Where a message stands. */
export const DeliveryStatusSchema = z.enum(['pending', 'sent', 'failed']);

/** `alertDeliveries/{messageId}`: one message to one destination, its body frozen so retries resend it unchanged. */
export const DeliveryDocSchema = z.object({
  productKey: z.string().min(1),
  alertId: z.string().min(1),
  kind: AlertKindSchema,
  type: z.enum(ALERT_EVENTS),
  /** The JSON body, exactly as sent (and signed) on every attempt. */
  body: z.string().min(1),
  eventIds: z.array(z.string()),
  status: DeliveryStatusSchema,
  attempts: z.number().int().min(0),
  createdAt: z.date(),
  /** When the next attempt is due; null once sent or given up. */
  nextAttemptAt: z.date().nullable(),
  /** An attempt under way holds the message until then, so two runs never send it at once. */
  leaseUntil: z.date().nullable(),
  lastError: z.string().nullable(),
  sentAt: z.date().nullable(),
});
/** A delivery document. */
export type DeliveryDoc = z.infer<typeof DeliveryDocSchema>;

/** Configuration of alert delivery, read at cold start by the api and the rollup. */
export const AlertsConfigSchema = z.object({
  /** `1` lets destinations on the loopback address (http or https) through: the local stack and tests only. */
  DUMPCATCHER_ALERTS_ALLOW_LOOPBACK: z
    .enum(['', '0', '1'])
    .default('')
    .transform((v) => v === '1'),
  /** Where the dashboard is served; alerts link each issue there. Unset: alerts carry no links. */
  DUMPCATCHER_DASHBOARD_URL: z
    .url()
    .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL')
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
});
/** Validated alerts configuration. */
export type AlertsConfig = z.infer<typeof AlertsConfigSchema>;

/** `alertSpikeMarks/{id}`: when a destination was last told of an issue's spike (at most once per 24 h). */
export const SpikeMarkDocSchema = z.object({
  productKey: z.string().min(1),
  alertId: z.string().min(1),
  issueId: z.string().min(1),
  at: z.date(),
});
/** A spike mark. */
export type SpikeMarkDoc = z.infer<typeof SpikeMarkDocSchema>;

/** `alertReleaseMarks/{id}`: whether a destination was told a release is unhealthy and it has not recovered since. */
export const ReleaseMarkDocSchema = z.object({
  productKey: z.string().min(1),
  alertId: z.string().min(1),
  version: z.string().min(1),
  unhealthy: z.boolean(),
  at: z.date(),
});
/** A release mark. */
export type ReleaseMarkDoc = z.infer<typeof ReleaseMarkDocSchema>;

/**
 * The hourly crash rate the rollup keeps in each issue document (field `alertRate`, outside the
 * issue schema): this clock hour's count and the previous one's, for a sliding-hour estimate.
 */
export const AlertRateSchema = z.object({
  /** Start of the clock hour `current` counts, epoch ms (a number: the rollup reads nested fields raw). */
  hourStartMs: z.number(),
  current: z.number().min(0),
  previous: z.number().min(0),
});
/** An issue's hourly rate. */
export type AlertRate = z.infer<typeof AlertRateSchema>;
