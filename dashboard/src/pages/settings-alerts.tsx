import { useState } from 'preact/hooks';
import { alertsApi, type AlertDestination, type AlertEventName } from '../api';
import { ErrorBox, Secretish, TableScroll } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { exact } from '../format';
import type { ProductContext } from './product-shell';

const EVENTS: Array<{ value: AlertEventName; label: string }> = [
  { value: 'issue.new', label: 'New issue' },
  { value: 'issue.regressed', label: 'Regressed issue' },
  { value: 'issue.spike', label: 'Crash spike' },
];

/** The thresholds the api accepts (SPIKE_THRESHOLDS). */
const THRESHOLDS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** Checkboxes for the events, in a fieldset whose legend names them, and the spike threshold when a spike is chosen. */
function EventChoice(props: {
  id: string;
  value: AlertEventName[];
  onChange: (v: AlertEventName[]) => void;
  threshold: number;
  onThreshold: (n: number) => void;
}) {
  return (
    <fieldset style={{ border: 0, padding: 0, margin: '0.5rem 0' }}>
      <legend>Send on</legend>
      {EVENTS.map((e) => (
        <label key={e.value} for={`${props.id}-${e.value}`}>
          <input
            id={`${props.id}-${e.value}`}
            type="checkbox"
            checked={props.value.includes(e.value)}
            onChange={(ev) =>
              props.onChange(
                ev.currentTarget.checked ? [...props.value, e.value] : props.value.filter((v) => v !== e.value),
              )
            }
          />{' '}
          {e.label}
        </label>
      ))}
      {props.value.includes('issue.spike') && (
        <>
          <label for={`${props.id}-threshold`}>Spike: crashes of one issue in an hour</label>
          <select
            id={`${props.id}-threshold`}
            value={String(props.threshold)}
            onChange={(ev) => props.onThreshold(Number(ev.currentTarget.value))}
          >
            {THRESHOLDS.map((n) => (
              <option key={n} value={String(n)}>
                {n}
              </option>
            ))}
          </select>
        </>
      )}
    </fieldset>
  );
}

function statusText(a: AlertDestination): string {
  if (a.status.failing) return `Failing: ${a.status.lastFailure ?? 'no answer'}`;
  const ok = a.status.lastSuccessAt;
  const failed = a.status.lastFailureAt;
  if (failed !== null && (ok === null || failed > ok))
    return `Last attempt failed ${exact(failed)} (${a.status.lastFailure ?? 'unknown'}); retrying`;
  if (ok !== null) return `Delivered ${exact(ok)}`;
  return 'Nothing sent yet';
}

function describe(a: AlertDestination): string {
  return `${a.kind === 'slack' ? 'Slack' : 'webhook'} ${a.url}`;
}

function Row(props: {
  productKey: string;
  alert: AlertDestination;
  isOwner: boolean;
  onChanged: () => Promise<void>;
  onSecret: (s: { secret: string; for: string }) => void;
}) {
  const { alert: a, productKey } = props;
  const [editing, setEditing] = useState(false);
  const [url, setUrl] = useState(a.url);
  const [events, setEvents] = useState<AlertEventName[]>(a.events as AlertEventName[]);
  const [threshold, setThreshold] = useState(a.spikeThreshold ?? 100);
  const [tested, setTested] = useState<string | null>(null);
  const action = useAction();
  const name = describe(a);
  return (
    <tr>
      <td>{a.kind === 'slack' ? 'Slack' : 'Webhook'}</td>
      <td>
        <code style={{ overflowWrap: 'anywhere' }}>{a.url}</code>
      </td>
      <td>
        {a.events
          .map((e) => {
            const label = EVENTS.find((x) => x.value === e)?.label ?? e;
            return e === 'issue.spike' ? `${label} (${a.spikeThreshold ?? '?'}/hour)` : label;
          })
          .join(', ')}
      </td>
      <td class={a.status.failing ? 'status-regressed' : ''}>{statusText(a)}</td>
      {props.isOwner && (
        <td>
          {!editing && (
            <div class="controls">
              <button
                type="button"
                class="secondary"
                disabled={action.busy}
                onClick={() =>
                  void action.run(async () => {
                    const r = await alertsApi.test(productKey, a.id);
                    setTested(
                      r.delivered ? `Test delivered (HTTP ${r.status ?? ''}).` : `Test failed: ${r.error ?? ''}`,
                    );
                    await props.onChanged();
                  })
                }
              >
                Send test to {name}
              </button>
              {a.kind === 'webhook' && (
                <button
                  type="button"
                  class="secondary"
                  disabled={action.busy}
                  onClick={() =>
                    void action.run(async () => {
                      const r = await alertsApi.rotate(productKey, a.id);
                      props.onSecret({ secret: r.secret, for: name });
                    })
                  }
                >
                  Rotate secret of {name}
                </button>
              )}
              <button type="button" class="secondary" onClick={() => setEditing(true)}>
                Edit {name}
              </button>
              <button
                type="button"
                class="destructive"
                disabled={action.busy}
                onClick={() => void action.run(() => alertsApi.remove(productKey, a.id)).then(() => props.onChanged())}
              >
                Delete {name}
              </button>
            </div>
          )}
          {editing && (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void action
                  .run(() =>
                    alertsApi.update(productKey, a.id, {
                      url: url.trim(),
                      events,
                      spikeThreshold: events.includes('issue.spike') ? threshold : null,
                    }),
                  )
                  .then(async (ok) => {
                    if (ok) {
                      setEditing(false);
                      await props.onChanged();
                    }
                  });
              }}
            >
              <label for={`edit-url-${a.id}`}>URL</label>
              <input
                id={`edit-url-${a.id}`}
                type="url"
                required
                value={url}
                onInput={(e) => setUrl(e.currentTarget.value)}
              />
              <EventChoice
                id={`edit-events-${a.id}`}
                value={events}
                onChange={setEvents}
                threshold={threshold}
                onThreshold={setThreshold}
              />
              <button type="submit" disabled={action.busy || events.length === 0}>
                Save {name}
              </button>{' '}
              <button type="button" class="secondary" onClick={() => setEditing(false)}>
                Cancel editing
              </button>
            </form>
          )}
          {tested && <p role="status">{tested}</p>}
          {action.error && <ErrorBox error={action.error} />}
        </td>
      )}
    </tr>
  );
}

function CreateForm(props: {
  productKey: string;
  onCreated: () => Promise<void>;
  onSecret: (s: { secret: string; for: string }) => void;
}) {
  const [kind, setKind] = useState<'webhook' | 'slack'>('webhook');
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<AlertEventName[]>(['issue.new', 'issue.regressed']);
  const [threshold, setThreshold] = useState(100);
  const action = useAction();
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void action
          .run(async () => {
            const created = await alertsApi.create(props.productKey, {
              kind,
              url: url.trim(),
              events,
              ...(events.includes('issue.spike') ? { spikeThreshold: threshold } : {}),
            });
            if (created.secret !== undefined) props.onSecret({ secret: created.secret, for: describe(created) });
          })
          .then(async (ok) => {
            if (ok) {
              setUrl('');
              await props.onCreated();
            }
          });
      }}
    >
      <h3>Add a destination</h3>
      <label for="alert-kind">Kind</label>
      <select id="alert-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as 'webhook' | 'slack')}>
        <option value="webhook">Webhook (signed JSON)</option>
        <option value="slack">Slack incoming webhook (also Discord, Google Chat)</option>
      </select>
      <label for="alert-url">URL (https)</label>
      <input
        id="alert-url"
        type="url"
        required
        placeholder="https://hooks.example.com/dumpcatcher"
        value={url}
        onInput={(e) => setUrl(e.currentTarget.value)}
      />
      <EventChoice
        id="alert-events"
        value={events}
        onChange={setEvents}
        threshold={threshold}
        onThreshold={setThreshold}
      />
      <button type="submit" disabled={action.busy || events.length === 0}>
        Add destination
      </button>
      {action.error && <ErrorBox error={action.error} />}
    </form>
  );
}

/** Alert destinations: the owner adds, edits, tests, rotates and deletes them; viewers see them without secrets. */
export function AlertSettings(props: { ctx: ProductContext }) {
  const { product, isOwner } = props.ctx;
  const [load, reload] = useLoad(() => alertsApi.list(product.productKey), [product.productKey]);
  const [secret, setSecret] = useState<{ secret: string; for: string } | null>(null);
  const alerts = load.data?.alerts ?? [];
  return (
    <section class="card" aria-labelledby="alerts-h">
      <h2 id="alerts-h">Alerts</h2>
      <p class="muted small">
        New, regressed and spiking issues are sent once to each destination, signed (webhooks) and retried for a day.
        See docs/alerts.md to verify a signature.
      </p>
      {load.state === 'error' && <ErrorBox error={load.error} retry={() => void reload()} what="alert destinations" />}
      {load.state === 'ok' && alerts.length === 0 && <p>No destinations yet.</p>}
      {alerts.length > 0 && (
        <TableScroll label="Alert destinations, table">
          <table class="list compact">
            <caption class="visually-hidden">Alert destinations of {product.name}</caption>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Delivery</th>
                {isOwner && (
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {alerts.map((a) => (
                <Row
                  key={a.id}
                  productKey={product.productKey}
                  alert={a}
                  isOwner={isOwner}
                  onChanged={reload}
                  onSecret={setSecret}
                />
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {secret && (
        <div class="notice" role="status">
          <p>
            <strong>Signing secret of {secret.for} (shown only now):</strong>{' '}
            <Secretish value={secret.secret} label="signing secret" />
          </p>
        </div>
      )}
      {isOwner ? (
        <CreateForm productKey={product.productKey} onCreated={reload} onSecret={setSecret} />
      ) : (
        <p class="muted small">Only the owner manages destinations.</p>
      )}
    </section>
  );
}
