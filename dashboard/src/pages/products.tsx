import { useState } from 'preact/hooks';
import { api, ApiError, type Invitation, type ProductView, type WithSecret } from '../api';
import type { DashboardConfig } from '../config';
import { Empty, ErrorBox, Link, Loading, Secretish, TableScroll } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { exact } from '../format';
import { productPath } from '../router';
import { SdkSnippets } from './sdk-snippets';

function Invitations(props: { onAccepted: () => void }) {
  const [load, reload] = useLoad(() => api.myInvitations(), []);
  const { error, run } = useAction();
  if (load.state === 'error')
    return <ErrorBox error={load.error} retry={() => void reload()} what="your invitations" />;
  const invitations: Invitation[] = load.data?.invitations ?? [];
  if (invitations.length === 0) return null;
  const act = (fn: () => Promise<unknown>) =>
    run(async () => {
      await fn();
      await reload();
      props.onAccepted();
    });
  return (
    <section aria-labelledby="inv-h" class="card">
      <h2 id="inv-h">Invitations</h2>
      {error && <ErrorBox error={error} />}
      <ul class="plain">
        {invitations.map((inv) => (
          <li key={inv.id} class="invitation">
            <span>
              <strong>{inv.productName ?? inv.productKey}</strong>: {inv.invitedBy.displayName ?? 'Its owner'} invited
              you {inv.role === 'member' ? 'as a member, to triage its issues' : 'to view it'} (until{' '}
              {exact(inv.expiresAt)}).
            </span>{' '}
            <button type="button" onClick={() => void act(() => api.acceptInvitation(inv.id))}>
              Accept invitation to {inv.productName ?? inv.productKey}
            </button>{' '}
            <button type="button" class="secondary" onClick={() => void act(() => api.declineInvitation(inv.id))}>
              Decline invitation to {inv.productName ?? inv.productKey}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function CreateProduct(props: { onCreated: (p: WithSecret<ProductView>) => void }) {
  const [name, setName] = useState('');
  const { busy, error, run } = useAction();
  return (
    <form
      class="card inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          const p = await api.createProduct(name.trim());
          setName('');
          props.onCreated(p);
        });
      }}
    >
      <h2>New product</h2>
      <label for="product-name">Product name</label>
      <input
        id="product-name"
        required
        maxLength={100}
        value={name}
        placeholder="e.g. Checkout web"
        onInput={(e) => setName(e.currentTarget.value)}
      />
      <button type="submit" disabled={busy || name.trim() === ''}>
        Create product
      </button>
      {error && <ErrorBox error={error} />}
    </form>
  );
}

/** The user's products with their role, pending invitations, and creating a product. */
export function ProductsPage(props: { config: DashboardConfig }) {
  const [load, reload] = useLoad(() => api.listProducts(), []);
  const [created, setCreated] = useState<WithSecret<ProductView> | null>(null);
  const products = load.data?.products ?? [];
  if (load.state === 'error' && load.error instanceof ApiError && load.error.code === 'not_allowed')
    return (
      <main id="main">
        <h1>This deployment does not admit you</h1>
        <p role="alert">{load.error.message}</p>
        <p>
          Sign out and sign in with another Google account, or ask whoever deployed this Dumpcatcher to add your address
          or domain to its allow-list.
        </p>
      </main>
    );
  return (
    <main id="main">
      <h1>Your products</h1>
      <Invitations onAccepted={() => void reload()} />
      {created && (
        <section class="card created" aria-labelledby="created-h">
          <h2 id="created-h">“{created.name}” is ready</h2>
          <p>
            <strong>Copy the secret now: it is shown only this once.</strong> Your app signs its reports with it; if you
            lose it, rotate it in Settings.
          </p>
          <dl class="facts">
            <dt>Product key</dt>
            <dd>
              <Secretish value={created.productKey} label="product key" />
            </dd>
            <dt>Secret</dt>
            <dd>
              <Secretish value={created.secret} label="secret" />
            </dd>
          </dl>
          <SdkSnippets productKey={created.productKey} ingestUrl={props.config.ingestUrl} where="created" />
          <p>
            <Link href={productPath(created.productKey)}>Open {created.name}</Link>
          </p>
        </section>
      )}
      {load.state === 'error' && <ErrorBox error={load.error} retry={() => void reload()} what="your products" />}
      {load.state === 'loading' && load.data === undefined && <Loading what="your products" />}
      {load.data !== undefined &&
        (products.length === 0 ? (
          <Empty title="No products yet">
            <p>
              Create a product below: you get a key and a secret for your app's SDK. Crashes it sends show up here
              within seconds. Someone invited you? Their invitation appears above once you sign in with the invited
              Google address.
            </p>
          </Empty>
        ) : (
          <TableScroll label="Your products, table">
            <table class="list">
              <caption class="visually-hidden">Your products</caption>
              <thead>
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col">Your role</th>
                  <th scope="col">Key</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {products.map((p) => (
                  <tr key={p.productKey}>
                    <td>
                      <Link href={productPath(p.productKey)}>{p.name}</Link>
                    </td>
                    <td>
                      <span class={`role role-${p.role}`}>{p.role}</span>
                    </td>
                    <td>
                      <code>{p.productKey}</code>
                    </td>
                    <td>{exact(p.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        ))}
      <CreateProduct
        onCreated={(p) => {
          setCreated(p);
          void reload();
        }}
      />
    </main>
  );
}
