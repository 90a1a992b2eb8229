// The one place commands get an OSCAR client from: loaded on first use, so `sls package` never loads it.
import type { OscarClient, OscarClientOptions } from './types';

export function createClient(options: OscarClientOptions): OscarClient {
  const { createOscarClient } = require('./index') as typeof import('./index');
  return createOscarClient(options);
}
