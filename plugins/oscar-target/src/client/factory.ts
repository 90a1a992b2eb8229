// The one place commands get an OSCAR client from: loaded on first use, so `sls package` never loads it.
// Until src/client/index.ts lands its path is a variable (bundlers then leave the require alone); the lead
// swaps this for a direct `import { createOscarClient } from './index'`.
import type { OscarClient, OscarClientOptions } from './types';

const CLIENT_MODULE = './index';

export function createClient(options: OscarClientOptions): OscarClient {
  const client = require(CLIENT_MODULE) as { createOscarClient(options: OscarClientOptions): OscarClient };
  return client.createOscarClient(options);
}
