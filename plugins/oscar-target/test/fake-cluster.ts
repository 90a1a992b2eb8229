// A small in-memory OSCAR behind the OscarClient interface, for the command tests: it answers like a v4
// cluster (server fields and defaults added, the token generated) and records every call.
import type { OscarClient, OscarJobs, OscarService } from '../src/client/types';

export interface FakeCluster extends OscarClient {
  services: Map<string, OscarService>;
  calls: string[];
  jobsOf: Map<string, OscarJobs['jobs']>;
  logsOf: Map<string, string>;
  /** What /run answers. */
  runAnswer: Buffer;
  runs: Array<{ name: string; token: string; input: string }>;
}

/** What the cluster writes into a service it stores (as OSCAR does: defaults, owner, token...). */
export function asStored(service: OscarService, token = `token-of-${service.name}`): OscarService {
  return {
    cpu: '0.2',
    memory: '256Mi',
    log_level: 'INFO',
    enable_gpu: false,
    alpine: false,
    ...structuredClone(service),
    token,
    owner: 'cluster_admin',
    cluster_id: '',
    namespace: 'oscar-svc',
    bucket_list: [],
    labels: { oscar_service: service.name, ...((service.labels as object) ?? {}) },
  };
}

export function fakeCluster(initial: OscarService[] = []): FakeCluster {
  const services = new Map(initial.map((s) => [s.name, s]));
  const cluster: FakeCluster = {
    services,
    calls: [],
    jobsOf: new Map(),
    logsOf: new Map(),
    runAnswer: Buffer.from('hello from the cluster\n'),
    runs: [],
    async info() {
      cluster.calls.push('info');
      return { version: 'v4.1.2', kubernetes_version: 'v1.30.0', architecture: 'amd64' };
    },
    async config() {
      cluster.calls.push('config');
      return {
        name: 'oscar',
        serverless_backend: 'knative',
        minio_provider: { endpoint: 'http://minio:9000' },
      };
    },
    async minio() {
      cluster.calls.push('minio');
      return {
        endpoint: 'http://127.0.0.1:1',
        region: 'us-east-1',
        accessKey: 'minio',
        secretKey: 'minio-secret',
        verify: true,
      };
    },
    async listServices() {
      cluster.calls.push('list');
      return [...services.values()].map((s) => structuredClone(s));
    },
    async getService(name) {
      cluster.calls.push(`get ${name}`);
      const s = services.get(name);
      return s && structuredClone(s);
    },
    async createService(service) {
      cluster.calls.push(`create ${service.name}`);
      services.set(service.name, asStored(service));
      return structuredClone(services.get(service.name)!);
    },
    async updateService(service) {
      cluster.calls.push(`update ${service.name}`);
      services.set(service.name, asStored(service, services.get(service.name)?.token));
    },
    async deleteService(name) {
      cluster.calls.push(`delete ${name}`);
      return services.delete(name);
    },
    async run(name, token, input) {
      cluster.calls.push(`run ${name}`);
      cluster.runs.push({ name, token, input: input.toString() });
      return cluster.runAnswer;
    },
    async job(name, token, input) {
      cluster.calls.push(`job ${name}`);
      cluster.runs.push({ name, token, input: input.toString() });
    },
    async jobs(name) {
      cluster.calls.push(`jobs ${name}`);
      return { jobs: structuredClone(cluster.jobsOf.get(name) ?? {}) };
    },
    async jobLog(name, job) {
      cluster.calls.push(`log ${name} ${job}`);
      return cluster.logsOf.get(job) ?? '';
    },
  };
  return cluster;
}
