// Output stores reached over HTTP, as faas-supervisor writes them: WebDAV (MKCOL each missing folder, then PUT,
// Basic auth) and Onedata's CDMI interface (`/cdmi/<space>/...`, the token in X-Auth-Token). Only what
// publishing needs: write a file, and take it back when another upload of the same run fails.
import { createHttpClient, HttpError, type HttpClient } from '@serverless-continuum/core/http';

/** What publishing an output needs of a store (core's `Storage` has both). */
export interface OutputStore {
  put(bucket: string, key: string, body: Buffer | Uint8Array | string): Promise<void>;
  delete(bucket: string, key: string): Promise<void>;
}

/** A binding path `folder/sub` is bucket `folder`, prefix `sub`: one path again, each segment URL-encoded. */
function encodedPath(bucket: string, key: string): string {
  return [bucket, ...key.split('/')].map(encodeURIComponent).join('/');
}

function folders(bucket: string, key: string): string[] {
  const parts = [bucket, ...key.split('/').slice(0, -1)];
  return parts.map((_, index) =>
    parts
      .slice(0, index + 1)
      .map(encodeURIComponent)
      .join('/'),
  );
}

function bytes(body: Buffer | Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body) : body;
}

const status = (error: unknown): number | undefined =>
  error instanceof HttpError ? error.status : undefined;

/** WebDAV: `url` is the server's root (`https://<hostname>`, as faas-supervisor builds it). */
export function createWebdavStore(options: {
  url: string;
  login: string;
  password: string;
  tlsVerify?: boolean;
}): OutputStore {
  const client: HttpClient = createHttpClient({
    url: options.url,
    auth: { type: 'basic', user: options.login, password: options.password },
    ...(options.tlsVerify === false ? { tlsVerify: false } : {}),
    name: 'WebDAV',
  });
  const made = new Set<string>();
  return {
    async put(bucket, key, body) {
      for (const folder of folders(bucket, key)) {
        if (made.has(folder)) continue;
        try {
          await client.request('MKCOL', `/${folder}/`);
        } catch (error) {
          // 405: the collection exists already (RFC 4918 9.3.1).
          if (status(error) !== 405) throw error;
        }
        made.add(folder);
      }
      await client.request('PUT', `/${encodedPath(bucket, key)}`, {
        body: bytes(body),
        headers: { 'content-type': 'application/octet-stream' },
      });
    },
    async delete(bucket, key) {
      try {
        await client.request('DELETE', `/${encodedPath(bucket, key)}`);
      } catch (error) {
        if (status(error) !== 404) throw error;
      }
    },
  };
}

const CDMI_VERSION = { 'x-cdmi-specification-version': '1.1.1' };

/** Onedata: `url` is the Oneprovider (`https://<oneprovider_host>`); files go under `/cdmi/<space>/`. */
export function createOnedataStore(options: {
  url: string;
  space: string;
  token: string;
  tlsVerify?: boolean;
}): OutputStore {
  const client: HttpClient = createHttpClient({
    url: options.url,
    headers: { 'x-auth-token': options.token },
    ...(options.tlsVerify === false ? { tlsVerify: false } : {}),
    name: 'Onedata',
  });
  const space = encodeURIComponent(options.space);
  const made = new Set<string>();
  return {
    async put(bucket, key, body) {
      for (const folder of folders(bucket, key)) {
        if (made.has(folder)) continue;
        const path = `/cdmi/${space}/${folder}/`;
        try {
          await client.request('GET', path, { headers: CDMI_VERSION });
        } catch (error) {
          if (status(error) !== 404) throw error;
          // A trailing slash makes a container (CDMI 1.1.1, 9.2).
          await client.request('PUT', path);
        }
        made.add(folder);
      }
      await client.request('PUT', `/cdmi/${space}/${encodedPath(bucket, key)}`, {
        body: bytes(body),
        headers: { 'content-type': 'application/octet-stream' },
      });
    },
    async delete(bucket, key) {
      try {
        await client.request('DELETE', `/cdmi/${space}/${encodedPath(bucket, key)}`);
      } catch (error) {
        if (status(error) !== 404) throw error;
      }
    },
  };
}
