// The one place commands get an OSCAR client from: loaded on first use, so `sls package` never loads it.
import type { OscarClient, OscarClientOptions } from './types';

export function createClient(options: OscarClientOptions): OscarClient {
  const client = require('./index') as { createOscarClient(options: OscarClientOptions): OscarClient };
  return client.createOscarClient(options);
}
