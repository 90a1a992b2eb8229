// Image references as Docker reads them: `python:3.12` is `docker.io/library/python:3.12`, a first component
// with a dot, a colon or `localhost` is a registry host, and a digest pins the content.
import { ContinuumError } from '../errors';

export interface ImageReference {
  /** `host[:port]` as written (`docker.io` for Docker Hub). */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?$|^\[[0-9a-fA-F:]+\](?::\d{1,5})?$/;

function invalid(reference: string, why: string): ContinuumError {
  return new ContinuumError('CONTINUUM_IMAGE', `"${reference}" is not an image reference: ${why}`);
}

export function parseReference(reference: string): ImageReference {
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(reference, 'the digest must be sha256:<64 hex digits>');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(reference, `"${tag}" is not a tag`);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  let registry = 'docker.io';
  let repository = rest;
  if (
    first &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))
  ) {
    if (!HOST.test(first)) throw invalid(reference, `"${first}" is not a registry host`);
    registry = first;
    repository = rest.slice(slash + 1);
  }
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  if (!REPOSITORY.test(repository))
    throw invalid(reference, `"${repository}" is not a repository name (lowercase, digits, . _ - /)`);
  if (!tag && !digest) tag = 'latest';
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The host the API answers on: Docker Hub's names differ from its API host. */
export function apiHost(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}

/** `host[:port]/repository` for a push target such as `--registry 127.0.0.1:5000/fn`. */
export function parseRepositoryTarget(value: string): { registry: string; repository: string } {
  const ref = parseReference(value);
  if (ref.digest || value.lastIndexOf(':') > value.lastIndexOf('/')) {
    throw invalid(value, 'give host[:port]/repository, without a tag or digest');
  }
  return { registry: ref.registry, repository: ref.repository };
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** The account and region of a private ECR registry host, or undefined for any other registry. */
export function ecrRegistry(registry: string): { account: string; region: string } | undefined {
  const match = ECR_HOST.exec(registry);
  return match ? { account: match[1]!, region: match[2]! } : undefined;
}

export function isLoopbackHost(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
