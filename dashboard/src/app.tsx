import { useEffect, useState } from 'preact/hooks';
import { currentSessionUser, signOut, watchSessionUser } from './auth';
import type { DashboardConfig } from './config';
import { Link, Loading } from './components/ui';
import { useRoute } from './router';
import { IssuePage } from './pages/issue';
import { IssuesPage } from './pages/issues';
import { OverviewPage } from './pages/overview';
import { ProductShell } from './pages/product-shell';
import { ProductsPage } from './pages/products';
import { ReleasePage } from './pages/release';
import { ReleasesPage } from './pages/releases';
import { SettingsPage } from './pages/settings';
import { SignInPage } from './pages/sign-in';
import { UsagePage } from './pages/usage';

/** Signed-in state and the page the URL names. */
export function App(props: { config: DashboardConfig }) {
  const [user, setUser] = useState(currentSessionUser);
  useEffect(() => watchSessionUser(setUser), []);
  const route = useRoute();

  useEffect(() => {
    document.title = user ? 'Dumpcatcher' : 'Sign in · Dumpcatcher';
  }, [user, route.page]);

  if (user === undefined) return <Loading what="your session" />;
  if (user === null) return <SignInPage />;

  let page;
  switch (route.page) {
    case 'products':
      page = <ProductsPage config={props.config} />;
      break;
    case 'not-found':
      page = (
        <main id="main">
          <h1>Page not found</h1>
          <p>
            There is no page at this address. <Link href="/">Go to your products</Link>.
          </p>
        </main>
      );
      break;
    default:
      page = (
        <ProductShell productKey={route.key} route={route}>
          {(product) =>
            route.page === 'overview' ? (
              <OverviewPage route={route} />
            ) : route.page === 'issues' ? (
              <IssuesPage route={route} />
            ) : route.page === 'issue' ? (
              <IssuePage productKey={route.key} product={product} issueId={route.issueId} />
            ) : route.page === 'releases' ? (
              <ReleasesPage route={route} />
            ) : route.page === 'release' ? (
              <ReleasePage route={route} />
            ) : route.page === 'usage' ? (
              <UsagePage route={route} />
            ) : (
              <SettingsPage product={product} config={props.config} />
            )
          }
        </ProductShell>
      );
  }
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          Dumpcatcher
        </Link>
        <span class="who">
          <span class="muted">{user.email}</span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </span>
      </header>
      {page}
    </>
  );
}
