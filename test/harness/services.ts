// Real local stand-ins for AWS services, started by a test on a free loopback port and stopped by it:
// s3rver for S3 and dynalite for DynamoDB. Nothing here talks to AWS or needs credentials.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

export interface LocalService {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** Stops the server (and drops its data); resolves once the port is released. */
  close(): Promise<void>;
}

const DUMMY_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const REGION = 'us-east-1';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

/**
 * Starts s3rver on 127.0.0.1 with its data in a fresh temporary folder (removed on close).
 * `buckets` are created before the server answers its first request.
 */
export async function startS3rver(options: { buckets?: string[] } = {}): Promise<LocalService> {
  const S3rver: S3rverConstructor = require('s3rver');
  const directory = mkdtempSync(join(tmpdir(), 'continuum-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    // Path-style only: a vhost match on `127.0.0.1` is impossible anyway, and this keeps routing obvious.
    vhostBuckets: false,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    close() {
      closed ??= (async () => {
        const closing = server.close();
        // Keep-alive sockets of SDK clients would otherwise hold the server (and the test process) open.
        server.httpServer?.closeAllConnections();
        await closing;
        rmSync(directory, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

/** Creates a bucket on a running s3rver (or any S3 endpoint) through the AWS SDK. */
export async function createBucket(endpoint: string, name: string): Promise<void> {
  const client = new S3Client(s3ClientConfig(endpoint));
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
}

type DynaliteServer = Server;
type DynaliteFactory = (options: Record<string, unknown>) => DynaliteServer;

/** Starts dynalite, in memory, on 127.0.0.1; tables become ACTIVE immediately. */
export async function startDynalite(): Promise<LocalService> {
  const dynalite: DynaliteFactory = require('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** AWS SDK v3 S3 client config for a local endpoint: path-style, dummy credentials, us-east-1. */
export function s3ClientConfig(endpoint: string): S3ClientConfig {
  return {
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: DUMMY_CREDENTIALS,
    // s3rver does not understand the newer default CRC checksums on every request.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** AWS SDK v3 DynamoDB client config for a local endpoint: dummy credentials, us-east-1. */
export function dynamoClientConfig(endpoint: string): DynamoDBClientConfig {
  return { endpoint, region: REGION, credentials: DUMMY_CREDENTIALS };
}
