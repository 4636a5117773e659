/**
 * The alert routes' core: destinations of a product (owner manages, members read without
 * secrets), their signing secrets, and the owner's test message. Persistence is the
 * `AlertApiStore` (alerts/store.ts); sending is the same transport the rollup's delivery uses.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DumpcatcherError } from '../shared/errors';
import { checkDestination } from '../alerts/address';
import { buildSlackBody, buildWebhookBody } from '../alerts/payload';
import {
  DEFAULT_UNHEALTHY_MIN_SESSIONS,
  DEFAULT_UNHEALTHY_THRESHOLD,
  MAX_ALERTS_PER_PRODUCT,
  type AlertDoc,
  type AlertKind,
  type CreateAlertBody,
  type UpdateAlertBody,
} from '../alerts/schemas';
import { generateWebhookSecret, webhookHeaders } from '../alerts/sign';
import { loadProductFor, type Caller, type Role } from './access';
import type { AlertDeps, ApiDeps } from './deps';

/** A destination as the api shows it. */
export interface AlertView {
  id: string;
  productKey: string;
  kind: AlertKind;
  /** The full URL for the owner; for viewers only its origin, since a Slack URL is itself a credential. */
  url: string;
  events: string[];
  /** Crashes in an hour that make an `issue.spike`; null without that event. */
  spikeThreshold: number | null;
  /** Crash-free sessions over the last hour below which a release is unhealthy; null without `release.unhealthy`. */
  unhealthyThreshold: number | null;
  /** Fewest sessions in the last hour for `release.unhealthy`; null without that event. */
  unhealthyMinSessions: number | null;
  createdAt: string;
  updatedAt: string;
  status: {
    lastSuccessAt: string | null;
    lastFailureAt: string | null;
    lastFailure: string | null;
    failing: boolean;
  };
}

function alertsOf(deps: ApiDeps): AlertDeps {
  if (deps.alerts === undefined) throw new Error('the api was built without alerts');
  return deps.alerts;
}

function toView(productKey: string, id: string, alert: AlertDoc, role: Role): AlertView {
  return {
    id,
    productKey,
    kind: alert.kind,
    url: role === 'owner' ? alert.url : `${new URL(alert.url).origin}/…`,
    events: [...alert.events],
    spikeThreshold: alert.spikeThreshold,
    unhealthyThreshold: alert.events.includes('release.unhealthy') ? alert.unhealthyThreshold : null,
    unhealthyMinSessions: alert.events.includes('release.unhealthy') ? alert.unhealthyMinSessions : null,
    createdAt: alert.createdAt.toISOString(),
    updatedAt: alert.updatedAt.toISOString(),
    status: {
      lastSuccessAt: alert.lastSuccessAt?.toISOString() ?? null,
      lastFailureAt: alert.lastFailureAt?.toISOString() ?? null,
      lastFailure: alert.lastFailure,
      failing: alert.failing,
    },
  };
}

async function checkUrl(alerts: AlertDeps, url: string): Promise<void> {
  const check = await checkDestination(url, {
    allowLoopback: alerts.allowLoopback,
    ...(alerts.resolve === undefined ? {} : { resolve: alerts.resolve }),
  });
  if (check.ok) return;
  const message = check.message;
  throw new DumpcatcherError('invalid_body', `Invalid request body: url: ${message}.`, {
    details: { issues: [{ path: 'url', message }], refusal: check.refusal },
  });
}

function notFound(): DumpcatcherError {
  return new DumpcatcherError('not_found', 'No such alert destination.');
}

/** A new destination id: `al_` + 128 random bits. */
function newAlertId(): string {
  return 'al_' + randomBytes(16).toString('base64url');
}

/** The product's destinations, with their delivery status; any member. */
export async function listAlerts(deps: ApiDeps, caller: Caller, productKey: string): Promise<{ alerts: AlertView[] }> {
  const { role } = await loadProductFor(deps.store, caller, productKey, 'viewer');
  const rows = await alertsOf(deps).store.listAlerts(productKey);
  return { alerts: rows.map((r) => toView(productKey, r.id, r.alert, role)) };
}

/** Adds a destination (owner); a webhook's signing secret is in this answer and nowhere else. */
export async function createAlert(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
  body: CreateAlertBody,
): Promise<AlertView & { secret?: string }> {
  await loadProductFor(deps.store, caller, productKey, 'owner');
  const alerts = alertsOf(deps);
  await checkUrl(alerts, body.url);
  const now = deps.clock();
  const id = newAlertId();
  const alert: AlertDoc = {
    kind: body.kind,
    url: body.url,
    events: body.events,
    spikeThreshold: body.spikeThreshold ?? null,
    unhealthyThreshold: body.unhealthyThreshold ?? DEFAULT_UNHEALTHY_THRESHOLD,
    unhealthyMinSessions: body.unhealthyMinSessions ?? DEFAULT_UNHEALTHY_MIN_SESSIONS,
    createdAt: now,
    updatedAt: now,
    lastSuccessAt: null,
    lastFailureAt: null,
    lastFailure: null,
    failing: false,
  };
  const secret = body.kind === 'webhook' ? generateWebhookSecret() : null;
  if (!(await alerts.store.createAlert(productKey, id, alert, secret, MAX_ALERTS_PER_PRODUCT))) {
    throw new DumpcatcherError('conflict', `A product may have at most ${MAX_ALERTS_PER_PRODUCT} alert destinations.`, {
      details: { maxAlerts: MAX_ALERTS_PER_PRODUCT },
    });
  }
  const view = toView(productKey, id, alert, 'owner');
  return secret === null ? view : { ...view, secret };
}

/** Changes a destination's URL or events (owner). */
export async function updateAlert(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
  alertId: string,
  body: UpdateAlertBody,
): Promise<AlertView> {
  await loadProductFor(deps.store, caller, productKey, 'owner');
  const alerts = alertsOf(deps);
  const current = await alerts.store.getAlert(productKey, alertId);
  if (current === null) throw notFound();
  if (body.url !== undefined) await checkUrl(alerts, body.url);
  const change: Partial<AlertDoc> = { updatedAt: deps.clock() };
  if (body.url !== undefined) change.url = body.url;
  if (body.events !== undefined) change.events = body.events;
  if (body.spikeThreshold !== undefined) change.spikeThreshold = body.spikeThreshold;
  if (body.unhealthyThreshold !== undefined) change.unhealthyThreshold = body.unhealthyThreshold;
  if (body.unhealthyMinSessions !== undefined) change.unhealthyMinSessions = body.unhealthyMinSessions;
  const events = change.events ?? current.events;
  for (const field of ['unhealthyThreshold', 'unhealthyMinSessions'] as const) {
    if (body[field] === undefined || events.includes('release.unhealthy')) continue;
    const message = 'allowed only with the release.unhealthy event';
    throw new DumpcatcherError('invalid_body', `Invalid request body: ${field}: ${message}.`, {
      details: { issues: [{ path: field, message }] },
    });
  }
  const threshold = change.spikeThreshold === undefined ? current.spikeThreshold : change.spikeThreshold;
  if (events.includes('issue.spike') !== (threshold !== null)) {
    const message = 'spikeThreshold is required with issue.spike and allowed only with it';
    throw new DumpcatcherError('invalid_body', `Invalid request body: spikeThreshold: ${message}.`, {
      details: { issues: [{ path: 'spikeThreshold', message }] },
    });
  }
  if (!(await alerts.store.updateAlert(productKey, alertId, change))) throw notFound();
  return toView(productKey, alertId, { ...current, ...change }, 'owner');
}

/** Deletes a destination and its secret (owner); messages still queued for it are given up. */
export async function deleteAlert(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
  alertId: string,
): Promise<{ id: string; productKey: string; deleted: true }> {
  await loadProductFor(deps.store, caller, productKey, 'owner');
  const alerts = alertsOf(deps);
  if ((await alerts.store.getAlert(productKey, alertId)) === null) throw notFound();
  await alerts.store.deleteAlert(productKey, alertId);
  return { id: alertId, productKey, deleted: true };
}

/** Replaces a webhook's signing secret (owner); the new one is shown in this answer only. */
export async function rotateAlertSecret(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
  alertId: string,
): Promise<{ id: string; productKey: string; secret: string }> {
  await loadProductFor(deps.store, caller, productKey, 'owner');
  const alerts = alertsOf(deps);
  const alert = await alerts.store.getAlert(productKey, alertId);
  if (alert === null) throw notFound();
  if (alert.kind !== 'webhook')
    throw new DumpcatcherError('invalid_argument', 'Only webhook destinations have a signing secret.', {
      details: { kind: alert.kind },
    });
  const secret = generateWebhookSecret();
  await alerts.store.setSecret(productKey, alertId, secret);
  return { id: alertId, productKey, secret };
}

/** Sends a `test` message to a destination now (owner) and answers how it went; the status is recorded. */
export async function testAlert(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
  alertId: string,
): Promise<{ id: string; messageId: string; delivered: boolean; status: number | null; error: string | null }> {
  const { product } = await loadProductFor(deps.store, caller, productKey, 'owner');
  const alerts = alertsOf(deps);
  const alert = await alerts.store.getAlert(productKey, alertId);
  if (alert === null) throw notFound();
  const now = deps.clock();
  const id = `msg_test_${randomUUID()}`;
  const webhook = buildWebhookBody({
    type: 'test',
    id,
    createdAt: now,
    product: { key: productKey, name: product.name },
    issues: [],
  });
  const body = JSON.stringify(alert.kind === 'slack' ? buildSlackBody(webhook) : webhook);
  let headers: Record<string, string> = {};
  if (alert.kind === 'webhook') {
    const secret = await alerts.store.getSecret(alertId);
    if (secret === null) throw new Error(`alert ${alertId} has no secret`);
    headers = webhookHeaders(secret, id, now, body);
  }
  const outcome = await alerts.send(alert.url, body, headers);
  const at = deps.clock();
  await alerts.store.recordStatus(
    productKey,
    alertId,
    outcome.ok ? { lastSuccessAt: at, failing: false } : { lastFailureAt: at, lastFailure: outcome.reason },
  );
  return outcome.ok
    ? { id: alertId, messageId: id, delivered: true, status: outcome.status, error: null }
    : { id: alertId, messageId: id, delivered: false, status: outcome.status, error: outcome.reason };
}
