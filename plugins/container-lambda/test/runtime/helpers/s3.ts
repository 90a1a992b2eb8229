// Test-side S3 access to s3rver through the AWS SDK, and S3 notifications shaped like the ones AWS sends.
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../../../../../test/harness/services';

export class TestBucket {
  readonly client: S3Client;

  constructor(
    endpoint: string,
    readonly bucket: string,
  ) {
    this.client = new S3Client(s3ClientConfig(endpoint));
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body }));
  }

  async get(key: string): Promise<Buffer> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  }

  async keys(prefix: string): Promise<string[]> {
    const out = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix }));
    return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
  }

  destroy(): void {
    this.client.destroy();
  }
}

/** S3 URL-encodes keys in notifications, with `+` for spaces. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

export function s3Event(bucket: string, key: string, size = 1): { Records: unknown[] } {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: '2026-11-26T10:00:00.000Z',
        eventName: 'ObjectCreated:Put',
        s3: { s3SchemaVersion: '1.0', bucket: { name: bucket }, object: { key: encodeEventKey(key), size } },
      },
    ],
  };
}
