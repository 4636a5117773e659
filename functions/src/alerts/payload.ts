/** The bodies alerts send: the signed webhook's JSON and Slack's incoming-webhook message. Pure. */
import type { IssueDoc } from '../grouping/schemas';
import type { AlertMessageType } from './schemas';

/** Most issues one message lists; the rest are counted in `more`. */
export const MAX_ISSUES_PER_MESSAGE = 20;

/** An issue as alerts show it. */
export interface AlertIssue {
  id: string;
  title: string;
  type: string;
  culprit: string | null;
  status: string;
  count: number;
  clients: number;
  firstSeen: string;
  lastSeen: string;
  lastVersion: string;
  /** The issue in the dashboard, or null when no dashboard URL is configured. */
  url: string | null;
}

/** A release as `release.unhealthy` shows it: its last hour against the destination's threshold. */
export interface AlertRelease {
  version: string;
  /** Sessions of the last hour (estimated from this clock hour and the previous one), rounded. */
  sessions: number;
  crashedSessions: number;
  /** 1 − crashed ÷ sessions over the last hour. */
  crashFreeSessions: number;
  /** The destination's settings it crossed. */
  threshold: number;
  minSessions: number;
  /** The release in the dashboard, or null when no dashboard URL is configured. */
  url: string | null;
}

/** The webhook's JSON body (see docs/alerts.md). */
export interface WebhookBody {
  type: AlertMessageType;
  id: string;
  createdAt: string;
  product: { key: string; name: string };
  issues: AlertIssue[];
  more: number;
  /** Only for `release.unhealthy`: the releases that became unhealthy (`issues` is then empty). */
  releases?: AlertRelease[];
}

/** The link to a release in the dashboard, when there is one. */
export function releaseUrl(dashboardUrl: string | undefined, productKey: string, version: string): string | null {
  return dashboardUrl === undefined ? null : `${dashboardUrl}/p/${productKey}/releases/${encodeURIComponent(version)}`;
}

/** The link to an issue in the dashboard, when there is one. */
export function issueUrl(dashboardUrl: string | undefined, productKey: string, issueId: string): string | null {
  return dashboardUrl === undefined ? null : `${dashboardUrl}/p/${productKey}/issues/${issueId}`;
}

/** An issue document as alerts show it. */
export function toAlertIssue(id: string, issue: IssueDoc, dashboardUrl: string | undefined): AlertIssue {
  return {
    id,
    title: issue.title,
    type: issue.type,
    culprit: issue.culprit,
    status: issue.status,
    count: issue.count,
    clients: issue.clients,
    firstSeen: issue.firstSeen.toISOString(),
    lastSeen: issue.lastSeen.toISOString(),
    lastVersion: issue.lastVersion,
    url: issueUrl(dashboardUrl, issue.productKey, id),
  };
}

/** The webhook body for a message: the first MAX_ISSUES_PER_MESSAGE issues, and how many more. */
export function buildWebhookBody(input: {
  type: AlertMessageType;
  id: string;
  createdAt: Date;
  product: { key: string; name: string };
  issues: readonly AlertIssue[];
  releases?: readonly AlertRelease[];
}): WebhookBody {
  return {
    type: input.type,
    id: input.id,
    createdAt: input.createdAt.toISOString(),
    product: input.product,
    issues: input.issues.slice(0, MAX_ISSUES_PER_MESSAGE),
    more: Math.max(0, input.issues.length - MAX_ISSUES_PER_MESSAGE),
    ...(input.releases === undefined ? {} : { releases: [...input.releases] }),
  };
}

/** Slack's mrkdwn needs only these three escaped. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const HEADLINES: Record<AlertMessageType, (n: number) => string> = {
  'issue.new': (n) => (n === 1 ? 'New issue' : `${n} new issues`),
  'issue.regressed': (n) => (n === 1 ? 'Regressed issue' : `${n} regressed issues`),
  'issue.spike': (n) => (n === 1 ? 'Crash spike' : `Crash spikes in ${n} issues`),
  'release.unhealthy': (n) => (n === 1 ? 'Unhealthy release' : `${n} unhealthy releases`),
  test: () => 'Test alert: this destination works',
};

/**
 * The Slack incoming-webhook body for a webhook body: `text` carries everything (Discord's and
 * Google Chat's Slack-compatible endpoints show only it), `blocks` lay it out in Slack.
 */
export function buildSlackBody(body: WebhookBody): { text: string; blocks: object[] } {
  const releases = body.releases ?? [];
  const total = body.issues.length + body.more + releases.length;
  const headline = `[${body.product.name}] ${HEADLINES[body.type](total)}`;
  const line = (i: AlertIssue) => {
    const title = i.url === null ? escape(i.title) : `<${i.url}|${escape(i.title)}>`;
    const where = i.culprit === null ? '' : ` in ${escape(i.culprit)}`;
    return `• ${title}${where} (${i.count} crashes, ${i.clients} clients, version ${escape(i.lastVersion)})`;
  };
  const percent = (x: number) => `${(Math.floor(x * 1000) / 10).toFixed(1)} %`;
  const releaseLine = (r: AlertRelease) => {
    const name = r.url === null ? escape(r.version) : `<${r.url}|${escape(r.version)}>`;
    return `• ${name}: ${percent(r.crashFreeSessions)} crash-free sessions in the last hour (${r.crashedSessions} of ${r.sessions} crashed; threshold ${percent(r.threshold)})`;
  };
  const lines = [...body.issues.map(line), ...releases.map(releaseLine)];
  const more = body.more > 0 ? [`…and ${body.more} more`] : [];
  const blocks: object[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `*${escape(headline)}*` } },
    ...lines.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } })),
    ...more.map((text) => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] })),
  ];
  return { text: [escape(headline), ...lines, ...more].join('\n'), blocks };
}
