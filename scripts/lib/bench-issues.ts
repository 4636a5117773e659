import { addCrashFacets, buildSearchTokens, createFacetSets } from '../../functions/src/grouping/search-tokens';

/**
 * What the benches' seeded issue `i` says, for the searched lists: every 10th is a checkout
 * issue, every 4th from staging (the rest production), every 3rd also seen on 2.3.0, every 7th
 * labelled pay.
 */
export function issueText(i: number) {
  const checkout = i % 10 === 0;
  return {
    title: checkout
      ? `CheckoutError: payment declined for order ${i}`
      : `TypeError: cannot read properties of undefined (reading 'item${i}')`,
    type: checkout ? 'CheckoutError' : 'TypeError',
    culprit: checkout ? 'CheckoutService.priceOf' : `src/cart/line-${i % 400}.ts in renderItem`,
    versions: i % 3 === 0 ? ['1.4.0', '2.3.0'] : ['1.4.0', '1.4.1'],
    environment: i % 4 === 0 ? 'staging' : 'production',
    label: i % 7 === 0 ? 'pay' : undefined,
  };
}

/** The search tokens the rollup would have written for seeded issue `i`. */
export function tokensOf(i: number): string[] {
  const text = issueText(i);
  const facets = createFacetSets();
  addCrashFacets(facets, { environment: text.environment, label: text.label, app: { name: 'shop' } });
  return buildSearchTokens(text, [], facets);
}
