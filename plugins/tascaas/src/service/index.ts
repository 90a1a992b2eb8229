// The tascaas service: the API, job submission, completion and the monitor over its adapters (being written).
import type { ApiRequest, ApiResponse, Services } from './types';

export type * from './types';

const pending = (): never => {
  throw new Error('tascaas service: not built yet');
};

/** Answers one request of the API (TaScaaS's node API, RUPER-LB's /lb, the upload requests and the job API). */
export async function handleApi(services: Services, request: ApiRequest): Promise<ApiResponse> {
  void services;
  void request;
  return pending();
}

/** Starts the job an uploaded `*.config` object describes (the S3 trigger; a duplicate event starts nothing). */
export async function submitUploadedConfig(services: Services, bucket: string, key: string): Promise<void> {
  void services;
  void bucket;
  void key;
  return pending();
}

/** Completes the partition whose result object was just uploaded, when its finish was received. */
export async function completeUploadedResult(services: Services, bucket: string, key: string): Promise<void> {
  void services;
  void bucket;
  void key;
  return pending();
}

/** One monitor pass: dead-lettered partitions fail their job, the capacity hint is recomputed, deadlines checked. */
export async function runMonitor(services: Services): Promise<void> {
  void services;
  return pending();
}
