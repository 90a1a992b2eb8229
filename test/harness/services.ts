// Real local stand-ins for AWS services, started by a test on a free loopback port and stopped by it:
// s3rver for S3 and dynalite for DynamoDB. Nothing here talks to AWS or needs credentials.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { CreateTableCommand, type DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { listenLoopback } from './loopback';

export interface LocalService {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** Stops the server (and drops its data); resolves once the port is released. */
  close(): Promise<void>;
}

/** The only key pair s3rver accepts (it checks the access key id and the signature); dynalite takes any. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const DUMMY_CREDENTIALS = S3RVER_CREDENTIALS;
const REGION = 'us-east-1';

// s3rver runs in a child process started with `--openssl-legacy-provider`: it signs ListObjectsV2 continuation
// tokens with DES, which OpenSSL 3 (Node 17+) only offers through the legacy provider. In-process, every listing
// of more than 1,000 keys fails with InternalError. The child also exits on its own when its parent dies.
const S3RVER_CHILD = `
const S3rver = require(process.argv[1]);
const options = JSON.parse(process.argv[2]);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
const server = new S3rver(options);
if (process.argv[3] === 'events') server.on('event', (event) => process.stdout.write(JSON.stringify({ event }) + '\\n'));
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'),
  (error) => { console.error(error); process.exit(1); },
);
`;

/**
 * Starts s3rver on 127.0.0.1 with its data in a fresh temporary folder (removed on close).
 * `buckets` are created before the server answers its first request.
 */
export async function startS3rver(
  options: {
    buckets?: string[];
    /** Serve https with this key and certificate (PEM) instead of http. */
    tls?: { key: string; cert: string };
    /**
     * Receives s3rver's notification for every object written or deleted (`{ Records: [...] }`, shaped like S3's
     * but with the key as written, not URL-encoded), as a bucket notification would deliver it.
     */
    onEvent?: (event: unknown) => void;
  } = {},
): Promise<LocalService> {
  const directory = mkdtempSync(join(tmpdir(), 'continuum-s3rver-'));
  const serverOptions = {
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    // Path-style only: keeps routing obvious for an IP endpoint.
    vhostBuckets: false,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: [] })),
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
  };
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      '-e',
      S3RVER_CHILD,
      require.resolve('s3rver'),
      JSON.stringify(serverOptions),
      ...(options.onEvent ? ['events'] : []),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      // Line one is the port; every later line is an event.
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        let end: number;
        while ((end = out.indexOf('\n')) >= 0) {
          const line = out.slice(0, end);
          out = out.slice(end + 1);
          if (!line) continue;
          const message = JSON.parse(line) as { port?: number; event?: unknown };
          if (message.port !== undefined) resolve(message.port);
          else if (message.event !== undefined) options.onEvent?.(message.event);
        }
      });
      child.once('error', reject);
      child.once('exit', (code) =>
        reject(new Error(`s3rver exited with code ${code} before listening: ${err}`)),
      );
    });
  } catch (error) {
    child.kill();
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  // A test that forgets close() must not hang the runner: the child dies with us (its stdin closes).
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr])
    (stream as unknown as { unref?(): void }).unref?.();
  let closed: Promise<void> | undefined;
  return {
    endpoint: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close() {
      closed ??= (async () => {
        child.ref(); // keep the event loop alive until the child has really gone
        child.stdin.end();
        child.kill();
        await exited;
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
  const { endpoint, close } = await listenLoopback(server);
  return { endpoint, close };
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

/** Creates the table core's state store uses (`pk`/`sk` strings, on demand) on a running dynalite. */
export async function createStateTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}
