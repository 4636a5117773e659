import { useState } from 'preact/hooks';
import { api, type GrantedRole, type Invitation } from '../api';
import { currentUid } from '../auth';
import type { DashboardConfig } from '../config';
import { ErrorBox, Loading, Secretish, TableScroll } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { exact } from '../format';
import { navigate } from '../router';
import type { ProductContext } from './product-shell';
import { SdkSnippets } from './sdk-snippets';
import { AlertSettings } from './settings-alerts';
import { MappingsSettings } from './settings-mappings';

function General(props: { ctx: ProductContext }) {
  const { product, isOwner } = props.ctx;
  const [name, setName] = useState(product.name);
  const [retention, setRetention] = useState(String(product.settings.retentionDays));
  const [rate, setRate] = useState(
    product.settings.rateLimitPerMinute === null ? '' : String(product.settings.rateLimitPerMinute),
  );
  const [saved, setSaved] = useState(false);
  const action = useAction();
  if (!isOwner)
    return (
      <section class="card" aria-labelledby="general-h">
        <h2 id="general-h">General</h2>
        <dl class="facts">
          <dt>Name</dt>
          <dd>{product.name}</dd>
          <dt>Retention</dt>
          <dd>{product.settings.retentionDays} days</dd>
          <dt>Rate limit</dt>
          <dd>
            {product.settings.rateLimitPerMinute === null
              ? 'service default'
              : `${product.settings.rateLimitPerMinute} reports/min`}
          </dd>
        </dl>
        <p class="muted small">Only the owner changes settings.</p>
      </section>
    );
  return (
    <form
      class="card"
      aria-labelledby="general-h"
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(false);
        void action
          .run(() =>
            api.updateProduct(product.productKey, {
              name: name.trim(),
              settings: {
                retentionDays: Number(retention),
                rateLimitPerMinute: rate.trim() === '' ? null : Number(rate),
              },
            }),
          )
          .then(async (ok) => {
            if (ok) {
              setSaved(true);
              await props.ctx.reload();
            }
          });
      }}
    >
      <h2 id="general-h">General</h2>
      <label for="s-name">Name</label>
      <input id="s-name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <label for="s-retention">Keep raw reports for (days)</label>
      <input
        id="s-retention"
        type="number"
        min={1}
        max={3650}
        required
        value={retention}
        onInput={(e) => setRetention(e.currentTarget.value)}
      />
      <label for="s-rate">Rate limit (reports per minute; empty for the service default)</label>
      <input id="s-rate" type="number" min={1} value={rate} onInput={(e) => setRate(e.currentTarget.value)} />
      <button type="submit" disabled={action.busy}>
        Save settings
      </button>
      {saved && <p role="status">Saved.</p>}
      {action.error && <ErrorBox error={action.error} />}
    </form>
  );
}

const OVERLAPS = [
  { seconds: 86400, label: '24 hours (default)' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 604800, label: '7 days' },
  { seconds: 0, label: 'none: stop the old secret now (it leaked)' },
];

function Keys(props: { ctx: ProductContext; config: DashboardConfig }) {
  const { product, isOwner } = props.ctx;
  const [overlap, setOverlap] = useState('86400');
  const [rotated, setRotated] = useState<{ secret: string; previousExpiresAt: string | null } | null>(null);
  const action = useAction();
  return (
    <section class="card" aria-labelledby="keys-h">
      <h2 id="keys-h">Keys and SDK set-up</h2>
      <dl class="facts">
        <dt>Product key</dt>
        <dd>
          <Secretish value={product.productKey} label="product key" />
        </dd>
        <dt>Ingest URL</dt>
        <dd>{props.config.ingestUrl ? <Secretish value={props.config.ingestUrl} label="ingest URL" /> : '—'}</dd>
      </dl>
      {isOwner && (
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void action.run(async () => {
              const r = await api.rotateSecret(product.productKey, Number(overlap));
              setRotated({ secret: r.secret, previousExpiresAt: r.previousExpiresAt });
            });
          }}
        >
          <label for="overlap">Old secret keeps working for</label>
          <select id="overlap" value={overlap} onChange={(e) => setOverlap(e.currentTarget.value)}>
            {OVERLAPS.map((o) => (
              <option key={o.seconds} value={String(o.seconds)}>
                {o.label}
              </option>
            ))}
          </select>
          <button type="submit" disabled={action.busy}>
            Rotate secret
          </button>
        </form>
      )}
      {action.error && <ErrorBox error={action.error} />}
      {rotated && (
        <div class="notice" role="status">
          <p>
            <strong>New secret (shown only now):</strong> <Secretish value={rotated.secret} label="new secret" />
          </p>
          <p>
            {rotated.previousExpiresAt
              ? `The previous secret keeps working until ${exact(rotated.previousExpiresAt)}.`
              : 'The previous secret no longer works.'}
          </p>
        </div>
      )}
      <SdkSnippets productKey={product.productKey} ingestUrl={props.config.ingestUrl} where="settings" />
    </section>
  );
}

function Members(props: { ctx: ProductContext }) {
  const { product, isOwner } = props.ctx;
  const me = currentUid();
  const action = useAction();
  return (
    <section class="card" aria-labelledby="members-h">
      <h2 id="members-h">Members</h2>
      <TableScroll label="Members, table">
        <table class="list compact">
          <caption class="visually-hidden">Members of {product.name}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {product.members.map((m) => (
              <tr key={m.uid}>
                <td>{m.displayName ?? '—'}</td>
                <td>{m.email ?? '—'}</td>
                <td>
                  {isOwner && m.role !== 'owner' ? (
                    <select
                      aria-label={`Role of ${m.email ?? m.displayName ?? m.uid}`}
                      value={m.role}
                      disabled={action.busy}
                      onChange={(e) => {
                        const role = e.currentTarget.value as GrantedRole;
                        void action
                          .run(() => api.setMemberRole(product.productKey, m.uid, role))
                          .then(() => props.ctx.reload());
                      }}
                    >
                      <option value="member">member</option>
                      <option value="viewer">viewer</option>
                    </select>
                  ) : (
                    <span class={`role role-${m.role}`}>{m.role}</span>
                  )}
                </td>
                <td>
                  {m.role !== 'owner' && isOwner && (
                    <button
                      type="button"
                      class="secondary"
                      disabled={action.busy}
                      onClick={() =>
                        void action
                          .run(() => api.removeMember(product.productKey, m.uid))
                          .then(() => props.ctx.reload())
                      }
                    >
                      Remove {m.email ?? m.displayName ?? 'member'}
                    </button>
                  )}
                  {m.role !== 'owner' && !isOwner && m.uid === me && (
                    <button
                      type="button"
                      class="secondary"
                      disabled={action.busy}
                      onClick={() =>
                        void action
                          .run(() => api.removeMember(product.productKey, m.uid))
                          .then((ok) => ok && navigate('/'))
                      }
                    >
                      Leave this product
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <p class="muted small">
        Members resolve, ignore, reopen and assign issues and comment on them; viewers see everything read-only; only
        the owner manages the product, its keys, people, alerts and mappings.
      </p>
      {action.error && <ErrorBox error={action.error} />}
      {isOwner && <Invitations productKey={product.productKey} />}
    </section>
  );
}

function Invitations(props: { productKey: string }) {
  const [load, reload] = useLoad(() => api.listInvitations(props.productKey), [props.productKey]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<GrantedRole>('viewer');
  const [sent, setSent] = useState<string | null>(null);
  const action = useAction();
  const pending: Invitation[] = load.data?.invitations ?? [];
  return (
    <>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setSent(null);
          const address = email.trim();
          void action
            .run(() => api.invite(props.productKey, address, role))
            .then(async (ok) => {
              if (ok) {
                setEmail('');
                setSent(address);
                await reload();
              }
            });
        }}
      >
        <label for="invite-email">Invite by email</label>
        <input id="invite-email" type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <label for="invite-role">as</label>
        <select id="invite-role" value={role} onChange={(e) => setRole(e.currentTarget.value as GrantedRole)}>
          <option value="viewer">Viewer: reads only</option>
          <option value="member">Member: triages issues</option>
        </select>
        <button type="submit" disabled={action.busy}>
          Send invitation
        </button>
      </form>
      <p class="muted small">
        The invitee sees the invitation after signing in with Google as that verified address, and accepts or declines
        it, joining with the role chosen here (you can change it later).
      </p>
      {sent && <p role="status">Invitation for {sent} created.</p>}
      {action.error && <ErrorBox error={action.error} />}
      {load.state === 'error' && <ErrorBox error={load.error} retry={() => void reload()} what="pending invitations" />}
      {pending.length > 0 && (
        <>
          <h3>Pending invitations</h3>
          <ul class="plain">
            {pending.map((inv) => (
              <li key={inv.id}>
                {inv.email} <span class={`role role-${inv.role}`}>{inv.role}</span>{' '}
                <span class="muted small">until {exact(inv.expiresAt)}</span>{' '}
                <button
                  type="button"
                  class="secondary"
                  onClick={() =>
                    void action.run(() => api.revokeInvitation(props.productKey, inv.id)).then(() => reload())
                  }
                >
                  Revoke invitation for {inv.email}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

function DangerZone(props: { ctx: ProductContext }) {
  const { product } = props.ctx;
  const [typed, setTyped] = useState('');
  const action = useAction();
  return (
    <form
      class="card danger"
      aria-labelledby="danger-h"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(() => api.deleteProduct(product.productKey)).then((ok) => ok && navigate('/'));
      }}
    >
      <h2 id="danger-h">Delete this product</h2>
      <p>
        Deletes the product, its secrets, and every crash, usage report, issue and number it has. The key stops working
        at once. This cannot be undone and takes about half a minute.
      </p>
      <label for="confirm-delete">Type the product name ({product.name}) to confirm</label>
      <input id="confirm-delete" value={typed} autocomplete="off" onInput={(e) => setTyped(e.currentTarget.value)} />
      <button type="submit" class="destructive" disabled={typed !== product.name || action.busy}>
        {action.busy ? 'Deleting…' : 'Delete product'}
      </button>
      {action.busy && (
        <p role="status" aria-live="polite">
          Deleting {product.name}…
        </p>
      )}
      {action.error && <ErrorBox error={action.error} />}
    </form>
  );
}

/** Name, retention, rate limit, keys and rotation, members and invitations, deletion. */
export function SettingsPage(props: { product: ProductContext | null; config: DashboardConfig }) {
  if (props.product === null) return <Loading what="the settings" />;
  return (
    <>
      <General ctx={props.product} />
      <Keys ctx={props.product} config={props.config} />
      <Members ctx={props.product} />
      <AlertSettings ctx={props.product} />
      {props.product.isOwner && <MappingsSettings productKey={props.product.product.productKey} />}
      {props.product.isOwner && <DangerZone ctx={props.product} />}
    </>
  );
}
