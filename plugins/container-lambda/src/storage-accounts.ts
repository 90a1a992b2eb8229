// Outputs that go to another store than S3 (MinIO, WebDAV, Onedata): the accounts of
// `custom.containerLambda.storageProviders`, and the rule that their credentials are the function's secrets.
import type { FromSchema } from 'json-schema-to-ts';
import { ConfigError } from '@serverless-continuum/core/errors';
import { storageType, type ResolvedBinding } from '@serverless-continuum/core/functions';
import type { AccountType } from '@serverless-continuum/core/storage';
import { ACCOUNT_SECRET_KEYS, storageSecretName, type StorageAccounts } from './runtime/contract';

const accountId = { pattern: '^[A-Za-z0-9_-]+$' } as const;
const hostName = { type: 'string', pattern: '^[A-Za-z0-9.-]+(:[0-9]+)?(/[^\\s]*)?$' } as const;

/**
 * `custom.containerLambda.storageProviders`: the MinIO, WebDAV and Onedata accounts outputs name, without
 * credentials (those are `container.secrets`, see storageSecretName).
 */
export const storageProvidersSchema = {
  type: 'object',
  properties: {
    minio: {
      type: 'object',
      propertyNames: accountId,
      additionalProperties: {
        type: 'object',
        properties: {
          /** `https://host[:port]`: the keys cross the network. */
          endpoint: { type: 'string', pattern: '^https://[^\\s/]+(/.*)?$' },
          region: { type: 'string', minLength: 1 },
          /** Verify the server's TLS certificate (default true). */
          verify: { type: 'boolean' },
        },
        required: ['endpoint'],
        additionalProperties: false,
      },
    },
    webdav: {
      type: 'object',
      propertyNames: accountId,
      additionalProperties: {
        type: 'object',
        properties: {
          /** `host[:port][/path]`, reached over https (as faas-supervisor). */
          hostname: hostName,
          login: { type: 'string', minLength: 1 },
          verify: { type: 'boolean' },
        },
        required: ['hostname', 'login'],
        additionalProperties: false,
      },
    },
    onedata: {
      type: 'object',
      propertyNames: accountId,
      additionalProperties: {
        type: 'object',
        properties: {
          /** The Oneprovider's host, reached over https. */
          oneproviderHost: hostName,
          space: { type: 'string', minLength: 1 },
          verify: { type: 'boolean' },
        },
        required: ['oneproviderHost', 'space'],
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
} as const;

export type StorageProvidersConfig = FromSchema<typeof storageProvidersSchema>;

/** Whether a binding is S3 (`s3`, `s3.<id>`): the role reaches it, and only S3 has buckets and triggers here. */
export function inS3(binding: { storage: string }): boolean {
  return storageType(binding.storage) === 's3';
}

/**
 * The accounts the outputs name (MinIO, WebDAV, Onedata), each one of `custom.containerLambda.storageProviders`
 * whose credentials are among the function's secrets (so they reach the supervisor, never the template).
 */
export function outputAccounts(
  at: string,
  outputs: ResolvedBinding[],
  secrets: Record<string, unknown>,
  providers: StorageProvidersConfig | undefined,
): StorageAccounts | undefined {
  const accounts: StorageAccounts = {};
  outputs.forEach((output, index) => {
    if (inS3(output)) return;
    const type = storageType(output.storage) as AccountType;
    const dot = output.storage.indexOf('.');
    const id = dot === -1 ? 'default' : output.storage.slice(dot + 1);
    const verify = (account: { verify?: boolean }) => (account.verify === false ? { verify: false } : {});
    const account = providers?.[type]?.[id];
    if (!account) {
      const example = {
        minio: '{ endpoint: https://... }',
        webdav: '{ hostname, login }',
        onedata: '{ oneproviderHost, space }',
      }[type];
      throw new ConfigError(
        `${at}.output[${index}].storage`,
        `${output.storage} names no ${type} account`,
        `describe it in custom.containerLambda.storageProviders.${type}.${id}: ${example}`,
      );
    }
    const names = ACCOUNT_SECRET_KEYS[type].map((key) => storageSecretName(type, id, key));
    const missing = names.filter((name) => !(name in secrets));
    if (missing.length) {
      throw new ConfigError(
        `${at}.container.secrets`,
        `${missing.join(' and ')} required: output[${index}] writes to ${output.storage}, whose credentials ${missing.length === 1 ? 'it holds' : 'they hold'}`,
        'store them in SSM Parameter Store or Secrets Manager and name them here, never their values',
      );
    }
    if (type === 'minio') {
      const minio = providers!.minio![id]!;
      (accounts.minio ??= {})[id] = {
        endpoint: minio.endpoint,
        ...(minio.region ? { region: minio.region } : {}),
        ...verify(minio),
      };
    } else if (type === 'webdav') {
      const webdav = providers!.webdav![id]!;
      (accounts.webdav ??= {})[id] = {
        url: `https://${webdav.hostname}`,
        login: webdav.login,
        ...verify(webdav),
      };
    } else {
      const onedata = providers!.onedata![id]!;
      (accounts.onedata ??= {})[id] = {
        url: `https://${onedata.oneproviderHost}`,
        space: onedata.space,
        ...verify(onedata),
      };
    }
  });
  return Object.keys(accounts).length ? accounts : undefined;
}
