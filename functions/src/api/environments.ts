import { EnvironmentsDocSchema } from '../grouping/schemas';
import { loadProductFor, type Caller } from './access';
import type { InsightsStore } from './deps';

/** One environment the product's reports named. */
export interface EnvironmentView {
  name: string;
  /** When the rollup first counted a report of it (the report's receivedAt). */
  firstSeen: string;
}

/** Answer of `GET /v1/products/{key}/environments`. */
export interface EnvironmentsView {
  /** Every environment seen, by name (at most MAX_ENVIRONMENTS); empty before the first report is rolled up. */
  environments: EnvironmentView[];
}

/**
 * `GET /v1/products/{key}/environments`: any member. The environments the product's reports
 * named, for the dashboard's picker. Reads: the product and one stats document.
 */
export async function listEnvironments(
  store: InsightsStore,
  params: { productKey: string },
  caller: Caller,
): Promise<EnvironmentsView> {
  await loadProductFor(store, caller, params.productKey, 'viewer');
  const data = (await store.getStats(params.productKey, ['environments'])).get('environments');
  if (data === undefined) return { environments: [] };
  const parsed = EnvironmentsDocSchema.safeParse(data);
  if (!parsed.success) throw new Error('malformed stats document environments');
  return {
    environments: parsed.data.environments
      .map((e) => ({ name: e.name, firstSeen: e.firstSeen.toISOString() }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}
