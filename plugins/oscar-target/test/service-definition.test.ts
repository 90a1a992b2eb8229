// The OSCAR service JSON of a function (the API document's field names), and the comparison deploy uses.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OscarService } from '../src/client/types';
import { resolveOscarFunction, type OscarFunctionConfig } from '../src/config';
import {
  changedFields,
  minioBuckets,
  redacted,
  SECRETS_ANNOTATION,
  serviceDefinition,
  trackingOf,
  trackingValue,
  TRACKING_LABEL,
} from '../src/service-definition';
import { options, plants } from './functions';
import { asStored } from './fake-cluster';

const definition = (fn: OscarFunctionConfig, storageProviders = {}): OscarService =>
  serviceDefinition(resolveOscarFunction('plants', fn, { ...options, storageProviders }), 'plants-dev');

describe('the OSCAR service of a function', () => {
  test("every config key under its OSCAR field, the script's content, and the tracking label", () => {
    const service = definition({
      ...plants,
      container: { ...plants.container!, alpine: true },
      input: [{ storage: 'minio.default', path: 'plants/in', suffix: ['.jpg'] }],
      memory: '2Gi',
      cpu: '1.0',
      gpu: true,
      synchronous: { minScale: 0, maxScale: 5 },
      secrets: { API_KEY: 'k' },
      replicas: [{ type: 'oscar', clusterId: 'edge', serviceName: 'plants', priority: 1 }],
      expose: { apiPort: 8080, minScale: 1 },
      mount: { storage: 'minio.default', path: 'plants/models' },
      visibility: 'restricted',
      allowedUsers: ['u@egi.eu'],
      logLevel: 'CRITICAL',
      imagePullSecrets: ['regcred'],
      annotations: { team: 'bio' },
      labels: { app: 'plants' },
      ephemeralStorage: '1Gi',
      isolationLevel: 'USER',
      volume: { size: '1Gi', mountPath: '/data' },
    });
    const { annotations, ...rest } = service;
    assert.deepEqual(rest, {
      name: 'plants',
      image: 'grycap/oscar-theano-plants',
      script: 'echo plants\n',
      cpu: '1.0',
      memory: '2Gi',
      enable_gpu: true,
      alpine: true,
      log_level: 'CRITICAL',
      visibility: 'restricted',
      allowed_users: ['u@egi.eu'],
      image_pull_secrets: ['regcred'],
      ephemeral_storage_request: '1Gi',
      isolation_level: 'USER',
      synchronous: { min_scale: 0, max_scale: 5 },
      expose: { min_scale: 1, api_port: [8080] },
      volume: { size: '1Gi', mount_path: '/data' },
      mount: { storage_provider: 'minio.default', path: 'plants/models' },
      input: [{ storage_provider: 'minio.default', path: 'plants/in', suffix: ['.jpg'] }],
      output: [{ storage_provider: 'minio.default', path: 'plants/out' }],
      federation: { members: [{ type: 'oscar', cluster_id: 'edge', service_name: 'plants', priority: 1 }] },
      environment: { variables: { THRESHOLD: '0.8' }, secrets: { API_KEY: 'k' } },
      labels: { app: 'plants', [TRACKING_LABEL]: 'plants-dev' },
    });
    assert.equal((annotations as Record<string, string>).team, 'bio');
    assert.match((annotations as Record<string, string>)[SECRETS_ANNOTATION]!, /^[0-9a-f]{64}$/);
  });

  test('the storage accounts a binding uses go along in OSCAR words', () => {
    const service = definition(
      { ...plants, output: [{ storage: 's3.aws', path: 'my-bucket/out' }] },
      { s3: { aws: { accessKey: 'AKIA', secretKey: 'SECRET', region: 'us-east-1' } } },
    );
    assert.deepEqual(service.storage_providers, {
      s3: { aws: { access_key: 'AKIA', secret_key: 'SECRET', region: 'us-east-1' } },
    });
  });

  test('what sls package writes holds no secret value nor storage credential', () => {
    const service = definition(
      { ...plants, secrets: { API_KEY: 'the-key' }, output: [{ storage: 's3.aws', path: 'my-bucket/out' }] },
      { s3: { aws: { accessKey: 'AKIA', secretKey: 'SECRET' } } },
    );
    const text = JSON.stringify(redacted(service));
    for (const secret of ['the-key', 'AKIA', 'SECRET']) assert.ok(!text.includes(secret), text);
    assert.ok(JSON.stringify(service).includes('the-key'), 'the definition itself is unchanged');
  });

  test('replica clusters and a KServe service go along in OSCAR words; cluster passwords are redacted on disk', () => {
    const service = definition({
      ...plants,
      clusters: {
        edge: {
          endpoint: 'https://edge.example.org',
          username: 'oscar',
          password: 'edge-pw',
          verifyTls: false,
        },
      },
      kserve: { api_version: 'v2', inference: { model_format: 'onnx' } },
    });
    assert.deepEqual(service.clusters, {
      edge: {
        endpoint: 'https://edge.example.org',
        auth_user: 'oscar',
        auth_password: 'edge-pw',
        ssl_verify: false,
      },
    });
    assert.deepEqual(service.kserve, { api_version: 'v2', inference: { model_format: 'onnx' } });
    assert.ok(!JSON.stringify(redacted(service)).includes('edge-pw'));
    assert.ok(
      (service.annotations as Record<string, string>)[SECRETS_ANNOTATION],
      'the password is in the digest',
    );
  });

  test('the tracking label value fits a Kubernetes label', () => {
    assert.equal(trackingValue('plants', 'dev'), 'plants-dev');
    assert.equal(trackingValue('my service', 'prod/eu'), 'my-service-prod-eu');
    assert.equal(trackingValue('x'.repeat(70), 'dev').length, 63);
    assert.equal(trackingOf(definition(plants)), 'plants-dev');
  });

  test("the buckets OSCAR deletes with it: the cluster's MinIO ones only", () => {
    const service = definition(
      {
        ...plants,
        output: [
          { storage: 'minio.default', path: 'plants/out' },
          { storage: 's3.aws', path: 'my-bucket/x' },
        ],
      },
      { s3: { aws: { accessKey: 'a', secretKey: 'b' } } },
    );
    assert.deepEqual(minioBuckets(service), ['plants']);
  });
});

describe('identical or changed', () => {
  const wanted = definition({
    ...plants,
    memory: '2Gi',
    secrets: { API_KEY: 'k' },
    labels: { app: 'plants' },
  });

  test("the cluster's copy is identical: its token, owner, defaults and own labels are not differences", () => {
    assert.deepEqual(changedFields(wanted, asStored(wanted)), []);
  });

  test('a cluster before v3.4 writes environment.Variables; before v4.1 replicas at the top: still identical', () => {
    const withReplicas = definition({
      ...plants,
      replicas: [{ type: 'endpoint', url: 'https://x.org/run' }],
    });
    const stored = asStored(withReplicas);
    stored.environment = { Variables: { THRESHOLD: '0.8' } };
    stored.replicas = (stored.federation as { members: unknown }).members;
    delete stored.federation;
    assert.deepEqual(changedFields(withReplicas, stored), []);
  });

  test('names each field that changed: the script, a variable, the cpu, the bindings', () => {
    const stored = asStored(wanted);
    const next = definition({
      ...plants,
      container: { ...plants.container!, environment: { THRESHOLD: '0.9' } },
      memory: '2Gi',
      cpu: '2',
      secrets: { API_KEY: 'k' },
      labels: { app: 'plants' },
      output: [{ storage: 'minio.default', path: 'plants/results' }],
    });
    next.script = 'echo v2\n';
    assert.deepEqual(changedFields(next, stored), ['script', 'cpu', 'output', 'environment.variables']);
  });

  test('a key the user removed is a change back to the default', () => {
    const gpu = definition({ ...plants, gpu: true });
    assert.deepEqual(changedFields(definition(plants), asStored(gpu)), ['enable_gpu']);
  });

  test('a changed secret value is a change, though the cluster need not give secrets back', () => {
    const stored = asStored(wanted);
    delete (stored.environment as { secrets?: unknown }).secrets;
    assert.deepEqual(changedFields(wanted, stored), []);
    const rotated = definition({
      ...plants,
      memory: '2Gi',
      secrets: { API_KEY: 'rotated' },
      labels: { app: 'plants' },
    });
    assert.deepEqual(changedFields(rotated, stored), ['annotations']);
  });

  test('a replica cluster compares without its password, and a new password is a change of the digest', () => {
    const withCluster = (password: string, endpoint = 'https://edge.example.org') =>
      definition({ ...plants, clusters: { edge: { endpoint, username: 'oscar', password } } });
    const stored = asStored(withCluster('one'));
    delete ((stored.clusters as Record<string, Record<string, unknown>>).edge ?? {}).auth_password;
    assert.deepEqual(changedFields(withCluster('one'), stored), []);
    assert.deepEqual(changedFields(withCluster('two'), stored), ['annotations']);
    assert.deepEqual(changedFields(withCluster('one', 'https://other.example.org'), stored), ['clusters']);
  });
});
