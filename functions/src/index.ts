import { http } from '@google-cloud/functions-framework';
import { loadConfig } from './shared/config';
import { getDb } from './shared/firestore';
import { createIngestHandler } from './ingest/handler';
import { createFirestoreIngestStore, createFirestoreProductLoader } from './ingest/store';

const config = loadConfig();

http('ingest', createIngestHandler({ store: createFirestoreIngestStore(getDb()), loadProduct: createFirestoreProductLoader(getDb()), config }));
