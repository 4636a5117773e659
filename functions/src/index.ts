import { http } from '@google-cloud/functions-framework';
import { getAuth } from 'firebase-admin/auth';
import { loadConfig } from './shared/config';
import { getAdminApp, getDb } from './shared/firestore';
import { createIngestHandler } from './ingest/handler';
import { createFirestoreIngestStore, createFirestoreProductLoader } from './ingest/store';
import { createConfiguredRollupTrigger, loadRollupTriggerConfig } from './ingest/trigger-config';
import { loadApiConfig } from './api/config';
import { createFirebaseVerifier } from './api/firebase-auth';
import { createApiHandler } from './api/handler';
import { createFirestoreApiStore } from './api/store';
import { loadRollupConfig } from './rollup/config';
import { createRollupHandler } from './rollup/handler';
import { createFirestoreRollupStore } from './rollup/store';
import { createCommitTurn } from './rollup/commit-turn';
import { createFirestoreInsightsStore } from './api/insights-store';
import { createUserSweeper } from './rollup/user-sweep';
import { loadAlertsConfig } from './alerts/config';
import { runAlertDelivery } from './alerts/deliver';
import { createFirestoreAlertStore } from './alerts/store';
import { createSender } from './alerts/transport';
import { createMappingCache } from './grouping/retrace/cache';
import { createFirestoreMappingStore } from './api/mapping-store';
import { createFirestoreUserSweepStore } from './rollup/users-store';
import { runRegroup } from './rollup/regroup';
import { createFirestoreRegroupStore } from './rollup/regroup-store';
import { backfillSearchTokens } from './rollup/search-backfill';
import { createFirestoreSearchBackfillStore } from './rollup/search-backfill-store';

const config = loadConfig();
const apiConfig = loadApiConfig();
const rollupConfig = loadRollupConfig();
const rollupTrigger = createConfiguredRollupTrigger(loadRollupTriggerConfig());
const alertsConfig = loadAlertsConfig();
// One commit turn per process, shared by the rollup's batches and the expansion of queued alerts.
const commitTurn = createCommitTurn(getDb());
const alertStore = createFirestoreAlertStore(getDb(), (transaction) => commitTurn(transaction));
const sendAlert = createSender({ allowLoopback: alertsConfig.DUMPCATCHER_ALERTS_ALLOW_LOOPBACK });
const mappingStore = createFirestoreMappingStore(getDb());
const rollupMappings = createMappingCache(mappingStore);
const regroupStore = createFirestoreRegroupStore(getDb());

http(
  'ingest',
  createIngestHandler({
    store: createFirestoreIngestStore(getDb()),
    loadProduct: createFirestoreProductLoader(getDb()),
    config,
    ...(rollupTrigger === undefined ? {} : { rollupTrigger }),
  }),
);
http(
  'api',
  createApiHandler({
    store: createFirestoreApiStore(getDb(), {
      ingestCacheMs: config.DUMPCATCHER_PRODUCT_CACHE_SECONDS * 1000,
    }),
    verifyCaller: createFirebaseVerifier(getAuth(getAdminApp()), apiConfig.DUMPCATCHER_API_SIGN_IN_PROVIDERS),
    config: apiConfig,
    maxRateLimitPerMinute: config.DUMPCATCHER_RATE_PER_PRODUCT,
    insights: { ...createFirestoreInsightsStore(getDb()), mappings: createMappingCache(mappingStore) },
    mappings: mappingStore,
    alerts: {
      store: alertStore,
      send: sendAlert,
      allowLoopback: alertsConfig.DUMPCATCHER_ALERTS_ALLOW_LOOPBACK,
      dashboardUrl: alertsConfig.DUMPCATCHER_DASHBOARD_URL,
    },
  }),
);
http(
  'rollup',
  createRollupHandler({
    store: createFirestoreRollupStore(getDb(), commitTurn),
    config: rollupConfig,
    mappings: rollupMappings,
    regroup: (deadline) =>
      runRegroup({ store: regroupStore, mappings: rollupMappings, clock: () => new Date(), deadline }),
    sweepUsers: createUserSweeper(createFirestoreUserSweepStore(getDb(), getAuth(getAdminApp()))),
    backfillSearch: () => backfillSearchTokens(createFirestoreSearchBackfillStore(getDb())),
    deliverAlerts: (deadline) =>
      runAlertDelivery({
        store: alertStore,
        send: sendAlert,
        clock: () => new Date(),
        dashboardUrl: alertsConfig.DUMPCATCHER_DASHBOARD_URL,
        deadline,
      }),
  }),
);
