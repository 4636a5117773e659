import { api } from '../api';
import { rememberEnvironment } from '../environment-memory';
import { useLoad } from '../hooks';
import { navigate, routeUrl, withEnvironment, type Route } from '../router';

/** A product page's route (every one has a key and may have an environment). */
type ProductRoute = Extract<Route, { key: string }>;

/**
 * Chooses the environment a product's figures are filtered to: every environment, or one the
 * product's reports named (`GET …/environments`). The choice goes into the URL (`env=`) and is
 * remembered for the product, so a reload, another tab and a shared link all show it.
 */
export function EnvironmentPicker(props: { route: ProductRoute }) {
  const { key, env } = props.route;
  const [load] = useLoad(() => api.listEnvironments(key), [key]);
  const names = load.data?.environments.map((e) => e.name) ?? [];
  // An environment from a shared link that this product never saw stays shown, with nothing in it.
  const options = env === undefined || names.includes(env) ? names : [...names, env];
  return (
    <span class="environment-picker">
      <label for="environment">Environment</label>
      <select
        id="environment"
        value={env ?? ''}
        onChange={(e) => {
          const chosen = e.currentTarget.value === '' ? undefined : e.currentTarget.value;
          rememberEnvironment(key, chosen);
          navigate(routeUrl(withEnvironment(props.route, chosen)), { replace: true });
        }}
      >
        <option value="">All environments</option>
        {options.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
    </span>
  );
}
