/** The team side of an issue: who it is assigned to, and its activity (status changes, assignments, comments, merges). */
import { useState } from 'preact/hooks';
import { api, type ActivityEntry, type IssueDetail, type MemberView } from '../api';
import { ErrorBox, Loading } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { ago, exact } from '../format';

/** Longest comment the api takes. */
const MAX_COMMENT = 2000;

type Person = { uid: string; displayName: string | null; email: string | null };

/** A person's name as the page shows it: display name, else address, else uid. */
export function personName(person: Person | null | undefined): string {
  if (person === null || person === undefined) return 'Nobody';
  return person.displayName ?? person.email ?? person.uid;
}

/** The assignee as the product's members list names them (someone who left shows as their uid). */
export function assigneeOf(issue: IssueDetail, members: MemberView[]): Person | null {
  if (issue.assigneeUid === null) return null;
  return members.find((m) => m.uid === issue.assigneeUid) ?? { uid: issue.assigneeUid, displayName: null, email: null };
}

/** Picks who the issue is assigned to (owner and members only). */
export function AssigneePicker(props: {
  productKey: string;
  issue: IssueDetail;
  members: MemberView[];
  onChanged: () => Promise<void>;
}) {
  const { busy, error, run } = useAction();
  const current = props.issue.assigneeUid ?? '';
  const left = current !== '' && !props.members.some((m) => m.uid === current);
  return (
    <div class="assignee">
      <label for="assignee">Assigned to</label>{' '}
      <select
        id="assignee"
        value={current}
        disabled={busy}
        onChange={(e) => {
          const uid = e.currentTarget.value;
          void run(async () => {
            await api.assignIssue(props.productKey, props.issue.id, uid === '' ? null : uid);
            await props.onChanged();
          });
        }}
      >
        <option value="">Nobody</option>
        {left && <option value={current}>{current} (no longer has access)</option>}
        {props.members.map((m) => (
          <option key={m.uid} value={m.uid}>
            {personName(m)} ({m.role})
          </option>
        ))}
      </select>
      {error && <ErrorBox error={error} />}
    </div>
  );
}

function resolutionWords(entry: Extract<ActivityEntry, { kind: 'status' }>): string {
  switch (entry.status) {
    case 'resolved': {
      const r = entry.resolution;
      if (r?.kind === 'nextRelease')
        return r.afterVersion === null
          ? 'resolved this in the next release'
          : `resolved this in the release after ${r.afterVersion}`;
      if (r?.kind === 'inVersion') return `resolved this in version ${r.version}`;
      return 'resolved this now';
    }
    case 'ignored':
      return 'ignored this';
    case 'unresolved':
      return 'reopened this';
    case 'regressed':
      return entry.regressedInVersion === null
        ? 'reopened this as regressed'
        : `reopened this as regressed in ${entry.regressedInVersion}`;
  }
}

function EntryText(props: { entry: ActivityEntry }) {
  const { entry } = props;
  const who = entry.by === null ? 'Dumpcatcher' : personName(entry.by);
  if (entry.kind === 'comment')
    return (
      <>
        <strong>{who}</strong> commented
        <p class="comment-text">{entry.text}</p>
      </>
    );
  if (entry.kind === 'assign')
    return (
      <>
        <strong>{who}</strong>{' '}
        {entry.assignee === null ? 'unassigned this' : `assigned this to ${personName(entry.assignee)}`}
      </>
    );
  if (entry.kind === 'merge')
    return (
      <>
        <strong>{who}</strong> merged in the obfuscated issue <code>{entry.mergedFrom.slice(0, 12)}</code> (
        {entry.count === 1 ? '1 crash' : `${entry.count} crashes`}) once mapping <code>{entry.mapId}</code> was
        uploaded; its activity is below
      </>
    );
  return (
    <>
      <strong>{who}</strong> {resolutionWords(entry)}
    </>
  );
}

/** The comment box: owner and members only. */
function CommentForm(props: { productKey: string; issueId: string; onAdded: () => void }) {
  const [text, setText] = useState('');
  const { busy, error, run } = useAction();
  const length = text.trim().length;
  return (
    <form
      class="comment-form"
      onSubmit={(e) => {
        e.preventDefault();
        void run(() => api.commentOnIssue(props.productKey, props.issueId, text)).then((ok) => {
          if (!ok) return;
          setText('');
          props.onAdded();
        });
      }}
    >
      <label for="comment">Comment</label>
      <textarea
        id="comment"
        rows={3}
        required
        maxLength={MAX_COMMENT}
        aria-describedby="comment-count"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <p id="comment-count" class="muted small">
        {length} of {MAX_COMMENT} characters
      </p>
      <button type="submit" disabled={busy || length === 0}>
        Add comment
      </button>
      {error && <ErrorBox error={error} />}
    </form>
  );
}

/** The issue's activity, newest first, a page at a time; the comment box for those who may comment. */
export function ActivitySection(props: {
  productKey: string;
  issueId: string;
  canComment: boolean;
  /** Changes when the issue changed, so the first page is read again. */
  changes: number;
}) {
  const [older, setOlder] = useState<{ entries: ActivityEntry[]; cursor: string | null } | null>(null);
  const [load, reload] = useLoad(async () => {
    setOlder(null);
    return api.issueActivity(props.productKey, props.issueId, null);
  }, [props.productKey, props.issueId, props.changes]);
  const more = useAction();
  const first = load.data;
  const entries = [...(first?.activity ?? []), ...(older?.entries ?? [])];
  const cursor = older === null ? (first?.nextCursor ?? null) : older.cursor;
  return (
    <section class="card" aria-labelledby="activity-h">
      <h2 id="activity-h">Activity</h2>
      {props.canComment && (
        <CommentForm productKey={props.productKey} issueId={props.issueId} onAdded={() => void reload()} />
      )}
      {first === undefined && load.state === 'loading' && <Loading what="the activity" />}
      {load.state === 'error' && <ErrorBox error={load.error} retry={() => void reload()} what="the activity" />}
      {first !== undefined && entries.length === 0 && (
        <p class="muted">Nothing yet: status changes, assignments and comments show here.</p>
      )}
      {entries.length > 0 && (
        <ol class="timeline">
          {entries.map((entry) => (
            <li key={entry.id}>
              <EntryText entry={entry} />{' '}
              <time class="muted small" dateTime={entry.at} title={exact(entry.at)}>
                {ago(entry.at)}
              </time>
            </li>
          ))}
        </ol>
      )}
      {cursor !== null && (
        <button
          type="button"
          class="secondary"
          disabled={more.busy}
          onClick={() =>
            void more.run(async () => {
              const page = await api.issueActivity(props.productKey, props.issueId, cursor);
              setOlder({ entries: [...(older?.entries ?? []), ...page.activity], cursor: page.nextCursor });
            })
          }
        >
          Show older activity
        </button>
      )}
      {more.error && <ErrorBox error={more.error} />}
    </section>
  );
}
