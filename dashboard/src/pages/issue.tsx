import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type IssueDetail, type Resolution } from '../api';
import { DailyChart } from '../components/chart';
import { CrashCard } from '../components/stack-trace';
import { ErrorBox, Link, Loading } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { ago, exact, lastDays, num, plural } from '../format';
import { affectsShare } from '../release-figures';
import { issuePath, navigate, productPath } from '../router';
import type { ProductContext } from './product-shell';
import { ActivitySection, AssigneePicker, assigneeOf, personName } from './issue-activity';

type ResolutionKind = 'nextRelease' | 'inVersion' | 'now';

/** What each way of resolving will do, said on the form before someone picks one. */
function resolutionHint(kind: ResolutionKind, newest: string | null): string {
  if (kind === 'nextRelease')
    return newest === null
      ? 'Reopens on a crash from any later version.'
      : `Crashes from ${newest} and older keep it resolved; a crash from a newer version reopens it as regressed.`;
  if (kind === 'inVersion') return 'A crash from this version or a later one reopens it as regressed.';
  return 'Any new crash reopens it as regressed.';
}

function StatusControls(props: {
  productKey: string;
  issue: IssueDetail;
  onChanged: () => Promise<void>;
  children: ComponentChildren;
}) {
  const { issue } = props;
  const [kind, setKind] = useState<ResolutionKind>('nextRelease');
  const [version, setVersion] = useState('');
  const { busy, error, run } = useAction();
  const set = (body: Parameters<typeof api.setIssueStatus>[2]) =>
    run(async () => {
      await api.setIssueStatus(props.productKey, issue.id, body);
      await props.onChanged();
    });
  const resolution = (): Resolution => (kind === 'inVersion' ? { kind, version: version.trim() } : { kind });
  const choice = (value: ResolutionKind, label: string) => (
    <label class="choice">
      <input
        type="radio"
        name="resolution"
        value={value}
        checked={kind === value}
        aria-describedby={kind === value ? 'resolution-hint' : undefined}
        onChange={() => setKind(value)}
      />{' '}
      {label}
    </label>
  );
  const open = issue.status === 'unresolved' || issue.status === 'regressed';
  return (
    <section class="card controls" aria-label="Status">
      {open ? (
        <>
          <form
            class="resolve-form"
            onSubmit={(e) => {
              e.preventDefault();
              void set({ status: 'resolved', resolution: resolution() });
            }}
          >
            <fieldset>
              <legend>Resolve</legend>
              {choice('nextRelease', 'In the next release')}
              <span class="choice">
                {choice('inVersion', 'In version')}
                <input
                  aria-label="Version"
                  value={version}
                  required={kind === 'inVersion'}
                  disabled={kind !== 'inVersion'}
                  maxLength={64}
                  placeholder={issue.newestVersion ?? ''}
                  onInput={(e) => setVersion(e.currentTarget.value)}
                />
              </span>
              {choice('now', 'Now')}
            </fieldset>
            <p id="resolution-hint" class="muted small" aria-live="polite">
              {resolutionHint(kind, issue.newestVersion)}
            </p>
            <button type="submit" disabled={busy}>
              Resolve
            </button>
          </form>
          <button type="button" class="secondary" disabled={busy} onClick={() => void set({ status: 'ignored' })}>
            Ignore
          </button>
        </>
      ) : (
        <button type="button" disabled={busy} onClick={() => void set({ status: 'unresolved' })}>
          Reopen
        </button>
      )}
      {error && <ErrorBox error={error} />}
      {props.children}
    </section>
  );
}

/** Days of sessions a release's installs are counted over, for "x % of 2.3.0's installs" (the api's longest range is 92). */
const RELEASE_INSTALLS_DAYS = 90;

/**
 * "Affects N installs (x % of 2.3.0's installs)": the installs the issue affected, and its share
 * of its latest version's installs (from that release's sessions over the last 90 days).
 */
function Affects(props: { productKey: string; issue: IssueDetail }) {
  const { issue } = props;
  const [from, to] = lastDays(RELEASE_INSTALLS_DAYS);
  const [load] = useLoad(() => api.listReleases(props.productKey, from, to), [props.productKey, from, to]);
  const total = issue.installs.total;
  const inRelease = issue.installs.releases.find((r) => r.version === issue.lastVersion);
  const release = load.data?.releases.find((r) => r.version === issue.lastVersion);
  const share = affectsShare(total, issue.lastVersion, inRelease?.installs, release?.installs);
  return (
    <p class="affects" aria-busy={load.state === 'loading'}>
      Affects <strong>{plural(total, 'install', 'installs')}</strong>
      {share}
    </p>
  );
}

/** One issue: what, where, how often, its status, and its recent crashes one by one. */
export function IssuePage(props: { productKey: string; product: ProductContext | null; issueId: string }) {
  const key = props.productKey;
  const [load, reload] = useLoad(() => api.getIssue(key, props.issueId, 30), [key, props.issueId]);
  const [index, setIndex] = useState(0);
  // Bumped after every change made here, so the activity reads its first page again.
  const [changes, setChanges] = useState(0);
  const changed = async () => {
    await reload();
    setChanges((n) => n + 1);
  };
  const issue = load.data;
  // An obfuscated issue merged into its readable one once its mapping came: the address is the survivor's.
  const survivor = issue?.redirectedFrom === undefined ? undefined : issue.id;
  useEffect(() => {
    if (survivor !== undefined && survivor !== props.issueId) navigate(issuePath(key, survivor), { replace: true });
  }, [key, survivor, props.issueId]);
  if (issue === undefined) {
    if (load.state === 'error')
      return load.error instanceof ApiError && load.error.status === 404 ? (
        <section>
          <h2>Issue not found</h2>
          <p>
            This product has no such issue. <Link href={productPath(key, 'issues')}>Back to the issues</Link>
          </p>
        </section>
      ) : (
        <ErrorBox error={load.error} retry={() => void reload()} what="the issue" />
      );
    return <Loading what="the issue" />;
  }
  const crashes = issue.recentCrashes;
  const shown = Math.min(index, Math.max(0, crashes.length - 1));
  const crash = crashes[shown];
  return (
    <article class="issue">
      <p class="crumbs">
        <Link href={productPath(key, 'issues')}>Issues</Link> /
      </p>
      <h2 class="issue-title">{issue.title}</h2>
      {issue.culprit && <p class="culprit">{issue.culprit}</p>}
      {issue.retrace?.status === 'missing_mapping' && (
        <p class="notice warn" role="note">
          This trace is obfuscated (ProGuard/R8) and no mapping <code>{issue.retrace.mapId}</code> is stored yet. Upload
          the build's <code>mapping.txt</code> under that id (Settings → Mappings, or with an upload token from the
          build server): the next rollup merges this issue into the readable one, and new crashes read as your code.
        </p>
      )}
      {issue.retrace?.status === 'retraced' && (
        <p class="muted small">
          Retraced with mapping <code>{issue.retrace.mapId}</code> (the original trace is kept with each crash).
        </p>
      )}
      <Affects productKey={key} issue={issue} />
      <dl class="facts wide">
        <dt>Status</dt>
        <dd>
          <span class={`status status-${issue.status}`}>{issue.status}</span>
          {issue.status === 'resolved' && issue.resolvedInVersion && ` in ${issue.resolvedInVersion}`}
          {issue.status === 'resolved' &&
            issue.resolvedAfterVersion &&
            ` in the next release (reopens on a version newer than ${issue.resolvedAfterVersion})`}
          {issue.status === 'regressed' && issue.regressedInVersion && ` in ${issue.regressedInVersion}`}
        </dd>
        <dt>Assigned to</dt>
        <dd>{props.product ? personName(assigneeOf(issue, props.product.product.members)) : '…'}</dd>
        <dt>Crashes</dt>
        <dd>{num(issue.count)}</dd>
        <dt>Clients</dt>
        <dd>{num(issue.clients)}</dd>
        <dt>First seen</dt>
        <dd title={exact(issue.firstSeen)}>{ago(issue.firstSeen)}</dd>
        <dt>Last seen</dt>
        <dd title={exact(issue.lastSeen)}>{ago(issue.lastSeen)}</dd>
        <dt>Versions</dt>
        <dd>{issue.versions.join(', ') || '—'}</dd>
        {issue.installs.releases.length > 0 && (
          <>
            <dt>Installs per release</dt>
            <dd>
              {issue.installs.releases
                .map(
                  (r) =>
                    `${r.version}: ${plural(r.installs, 'install', 'installs')}, ${plural(r.crashes, 'crash', 'crashes')}`,
                )
                .join(' · ')}
            </dd>
          </>
        )}
        <dt>Type</dt>
        <dd>
          <code>{issue.type}</code>
        </dd>
      </dl>
      {props.product?.canTriage && (
        <StatusControls productKey={key} issue={issue} onChanged={changed}>
          <AssigneePicker productKey={key} issue={issue} members={props.product.product.members} onChanged={changed} />
        </StatusControls>
      )}
      <section class="card">
        <DailyChart
          title="This issue's crashes per day, last 30 days (UTC)"
          days={issue.daily.map((d) => d.day)}
          series={[{ label: 'Crashes', values: issue.daily.map((d) => d.count) }]}
          height={140}
        />
      </section>
      <ActivitySection
        productKey={key}
        issueId={issue.id}
        canComment={props.product?.canTriage === true}
        changes={changes}
      />
      <section aria-labelledby="recent-h">
        <h2 id="recent-h">Recent crashes</h2>
        {crash === undefined ? (
          <p class="muted">
            The raw reports of this issue have passed the product's retention
            {props.product ? ` (${props.product.product.settings.retentionDays} days)` : ''}; the counts above remain.
          </p>
        ) : (
          <>
            <nav class="pager" aria-label="Recent crashes">
              <button type="button" class="secondary" disabled={shown === 0} onClick={() => setIndex(shown - 1)}>
                Newer crash
              </button>
              <span>
                Crash {shown + 1} of {crashes.length}
              </span>
              <button
                type="button"
                class="secondary"
                disabled={shown >= crashes.length - 1}
                onClick={() => setIndex(shown + 1)}
              >
                Older crash
              </button>
            </nav>
            <CrashCard crash={crash} index={shown} key={crash.id} />
          </>
        )}
      </section>
    </article>
  );
}
