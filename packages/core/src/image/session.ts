// One assemble or push: the blob cache, the secrets seen (redacted from every error), one client per registry,
// and which registries may skip TLS verification (loopback test registries only).
import { ContinuumError } from '../errors';
import { redact } from '../http/errors';
import { BlobCache } from './cache';
import { registryCredentials } from './credentials';
import { isLoopbackHost } from './reference';
import { Registry } from './registry';
import type { ImageOptions } from './index';

export interface Session {
  cache: BlobCache;
  secrets: Set<string>;
  registries: Map<string, Registry>;
}

export function session(options: ImageOptions): Session {
  return { cache: new BlobCache(options.cacheDir), secrets: new Set(), registries: new Map() };
}

/** `host:port` gets TLS without verification, `http://host:port` plain HTTP: loopback test registries only. */
function insecureMode(registry: string, options: ImageOptions): 'tls' | 'http' | undefined {
  for (const entry of options.insecureRegistries ?? []) {
    const plain = entry.startsWith('http://');
    const host = entry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
    if (!isLoopbackHost(host)) {
      throw new ContinuumError(
        'CONTINUUM_IMAGE',
        `insecureRegistries: "${entry}" is not a loopback registry; TLS verification is turned off for loopback test registries only`,
      );
    }
    if (host === registry) return plain ? 'http' : 'tls';
  }
  return undefined;
}

export function registryOf(registry: string, options: ImageOptions, s: Session): Registry {
  let client = s.registries.get(registry);
  if (!client) {
    const insecure = insecureMode(registry, options);
    client = new Registry(registry, {
      ...(insecure ? { insecure } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
      secrets: s.secrets,
      credentials: () =>
        registryCredentials(registry, {
          ...(options.dockerConfig ? { dockerConfig: options.dockerConfig } : {}),
          ...(options.ecrEndpoint ? { ecrEndpoint: options.ecrEndpoint } : {}),
          ...(options.awsCredentials ? { awsCredentials: options.awsCredentials } : {}),
          onSecret: (secret) => s.secrets.add(secret),
        }),
    });
    s.registries.set(registry, client);
  }
  return client;
}

export async function closing<T>(s: Session, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    // A message built from a registry's answer could quote what we sent: redact before it leaves.
    if (error instanceof Error && s.secrets.size) {
      error.message = redact(
        error.message,
        [...s.secrets].sort((a, b) => b.length - a.length),
      );
    }
    throw error;
  } finally {
    await Promise.all([...s.registries.values()].map((r) => r.close()));
  }
}
