// The functions the unit tests share: the issue's `plants`, resolved against the oscar-service fixture.
import { resolve } from 'node:path';
import type { OscarFunctionConfig, OscarResolveOptions } from '../src/config';

export const SERVICE_DIR = resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'oscar-service');
export const options: OscarResolveOptions = { serviceDir: SERVICE_DIR, readScript: () => 'echo plants\n' };
export const plants: OscarFunctionConfig = {
  container: { image: 'grycap/oscar-theano-plants', script: 'plants.sh', environment: { THRESHOLD: '0.8' } },
  input: [{ storage: 'minio.default', path: 'plants/in' }],
  output: [{ storage: 'minio.default', path: 'plants/out' }],
};
