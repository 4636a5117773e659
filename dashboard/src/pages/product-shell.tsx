import type { ComponentChildren } from 'preact';
import { api, ApiError, type ProductDetail } from '../api';
import { EnvironmentPicker } from '../components/environment-picker';
import { ErrorBox, Link } from '../components/ui';
import { useLoad } from '../hooks';
import { productPath, type Route } from '../router';

/** Pages whose figures the environment filters (settings has none). */
const FILTERED = new Set<Route['page']>(['overview', 'issues', 'issue', 'releases', 'release', 'usage']);

/** A loaded product and a way to reload it after a change. */
export interface ProductContext {
  product: ProductDetail;
  /** Manages the product: settings, keys, people, alerts, mappings. */
  isOwner: boolean;
  /** Triages issues (owner or member): status, assignee, comments. */
  canTriage: boolean;
  reload: () => Promise<void>;
}

const TABS = [
  { section: undefined, label: 'Overview', pages: ['overview'] },
  { section: 'issues', label: 'Issues', pages: ['issues', 'issue'] },
  { section: 'releases', label: 'Releases', pages: ['releases', 'release'] },
  { section: 'usage', label: 'Usage', pages: ['usage'] },
  { section: 'settings', label: 'Settings', pages: ['settings'] },
] as const;

/** Loads one product (404 for strangers) and frames its pages with the product's tabs. */
export function ProductShell(props: {
  productKey: string;
  route: Extract<Route, { key: string }>;
  /** Gets null while the product loads: pages that need only the key start their own reads at once. */
  children: (ctx: ProductContext | null) => ComponentChildren;
}) {
  const [load, reload] = useLoad(() => api.getProduct(props.productKey), [props.productKey]);
  if (load.data === undefined && load.state === 'error') {
    if (load.error instanceof ApiError && load.error.status === 404)
      return (
        <main id="main">
          <h1>Product not found</h1>
          <p>
            There is no product <code>{props.productKey}</code>, or you are not one of its members. Ask its owner for an
            invitation. <Link href="/">Back to your products</Link>
          </p>
        </main>
      );
    return (
      <main id="main">
        <ErrorBox error={load.error} retry={() => void reload()} what="this product" />
      </main>
    );
  }
  const product = load.data;
  const ctx: ProductContext | null =
    product === undefined
      ? null
      : { product, isOwner: product.role === 'owner', canTriage: product.role !== 'viewer', reload };
  const key = props.productKey;
  const env = props.route.env;
  // Every tab keeps the environment, so moving between pages never drops the filter.
  const tabUrl = (section: Parameters<typeof productPath>[1]) =>
    env === undefined ? productPath(key, section) : `${productPath(key, section)}?${new URLSearchParams({ env })}`;
  return (
    <>
      <div class="product-head">
        <p class="crumbs">
          <Link href="/">Products</Link> /
        </p>
        <h1>
          {product === undefined ? (
            <span class="muted">{key}</span>
          ) : (
            <>
              {product.name} <span class={`role role-${product.role}`}>{product.role}</span>
            </>
          )}
        </h1>
        <nav aria-label="Product">
          <ul class="tabs">
            {TABS.map((t) => (
              <li key={t.label}>
                <Link
                  href={tabUrl(t.section)}
                  aria-current={(t.pages as readonly string[]).includes(props.route.page) ? 'page' : undefined}
                >
                  {t.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        {FILTERED.has(props.route.page) && <EnvironmentPicker route={props.route} />}
      </div>
      <main id="main">{props.children(ctx)}</main>
    </>
  );
}
