// Signed links to the local server's objects: what S3 presigned URLs are on AWS, with an expiry and an HMAC.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ObjectLinks } from '../service/types';

function signature(key: Buffer, method: string, bucket: string, objectKey: string, expires: number): string {
  return createHmac('sha256', key)
    .update(`${method}\n${bucket}\n${objectKey}\n${expires}`)
    .digest('base64url');
}

export interface LocalLinks extends ObjectLinks {
  /** True when `url`'s query signs this method on this object and has not expired. */
  verify(method: string, bucket: string, objectKey: string, query: URLSearchParams, now: number): boolean;
}

export function localLinks(baseUrl: () => string, secret: string, now: () => number): LocalLinks {
  const key = createHmac('sha256', secret).update('tascaas-local-links').digest();
  const link = (method: string, bucket: string, objectKey: string, expiresSeconds: number) => {
    const expires = Math.floor(now() / 1000) + expiresSeconds;
    const path = [bucket, ...objectKey.split('/')].map(encodeURIComponent).join('/');
    const sig = signature(key, method, bucket, objectKey, expires);
    return Promise.resolve(`${baseUrl()}/objects/${path}?expires=${expires}&sig=${sig}`);
  };
  return {
    get: ({ bucket, key: objectKey }, seconds) => link('GET', bucket, objectKey, seconds),
    put: ({ bucket, key: objectKey }, seconds) => link('PUT', bucket, objectKey, seconds),
    verify(method, bucket, objectKey, query, at) {
      const expires = Number(query.get('expires'));
      const given = Buffer.from(query.get('sig') ?? '');
      if (!Number.isInteger(expires) || expires < Math.floor(at / 1000)) return false;
      const expected = Buffer.from(signature(key, method, bucket, objectKey, expires));
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
