// ECR's API at the wire (its JSON protocol: `POST /`, `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.*`):
// repositories with their tags and images, and the requests in arrival order, for the push and remove steps.
import { createServer } from 'node:http';
import { listenLoopback, readBody } from './loopback';

const PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const ACCOUNT = '123456789012';

export interface EcrImage {
  digest: string;
  tags: string[];
}

export interface EcrRepository {
  tags: Record<string, string>;
  images: EcrImage[];
}

export interface EcrWire {
  /** For `AWS_ENDPOINT_URL_ECR`. */
  endpoint: string;
  /** Each request's operation (`DescribeRepositories`) and JSON body; `mark(...)` requests as `mark:<name>`. */
  requests: Array<{ operation: string; body: Record<string, unknown> }>;
  /** The repositories by name, as the calls left them. */
  repositories: Map<string, EcrRepository>;
  close(): Promise<void>;
}

export interface EcrWireOptions {
  repositories?: Record<string, EcrRepository>;
  /** Operations answered with this error name (`AccessDeniedException`). */
  failing?: Record<string, string>;
  /** ListImages answers this many ids a page at most. */
  pageSize?: number;
}

const arnOf = (name: string) => `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${name}`;

export async function startEcrWire(options: EcrWireOptions = {}): Promise<EcrWire> {
  const repositories = new Map(Object.entries(options.repositories ?? {}));
  const requests: EcrWire['requests'] = [];
  const server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      // A test's own marker (`POST /mark/<name>`): where a step happened among the SDK's calls.
      if (req.url?.startsWith('/mark/')) {
        requests.push({ operation: `mark:${req.url.slice('/mark/'.length)}`, body: {} });
        res.writeHead(204).end();
        return;
      }
      const operation = target.startsWith(PREFIX) ? target.slice(PREFIX.length) : target;
      const body = (raw.length ? JSON.parse(raw.toString('utf8')) : {}) as Record<string, unknown>;
      requests.push({ operation, body });
      const answer = (status: number, value: unknown) =>
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(value));
      const fail = (type: string, message: string) => answer(400, { __type: type, message });
      const failing = options.failing?.[operation];
      if (failing) return fail(failing, `${operation} is not allowed here`);
      const name = String(body.repositoryName ?? (body.repositoryNames as string[] | undefined)?.[0] ?? '');
      const repository = repositories.get(name);
      const missing = () =>
        fail(
          'RepositoryNotFoundException',
          `The repository with name '${name}' does not exist in the registry with id '${ACCOUNT}'`,
        );
      const described = (n: string) => ({
        repositoryName: n,
        repositoryArn: arnOf(n),
        registryId: ACCOUNT,
        repositoryUri: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/${n}`,
      });
      switch (operation) {
        case 'GetAuthorizationToken':
          return answer(200, {
            authorizationData: [
              {
                authorizationToken: Buffer.from('AWS:ecr-wire-password').toString('base64'),
                proxyEndpoint: `https://${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`,
              },
            ],
          });
        case 'DescribeRepositories':
          return repository ? answer(200, { repositories: [described(name)] }) : missing();
        case 'CreateRepository': {
          if (repository)
            return fail('RepositoryAlreadyExistsException', `The repository ${name} already exists`);
          const tags = (body.tags as Array<{ Key: string; Value: string }> | undefined) ?? [];
          repositories.set(name, {
            tags: Object.fromEntries(tags.map((t) => [t.Key, t.Value])),
            images: [],
          });
          return answer(200, { repository: described(name) });
        }
        case 'ListTagsForResource': {
          const found = [...repositories].find(([n]) => arnOf(n) === body.resourceArn);
          if (!found) return missing();
          return answer(200, {
            tags: Object.entries(found[1].tags).map(([Key, Value]) => ({ Key, Value })),
          });
        }
        case 'ListImages': {
          if (!repository) return missing();
          const ids = repository.images.flatMap((image) =>
            image.tags.length
              ? image.tags.map((imageTag) => ({ imageDigest: image.digest, imageTag }))
              : [{ imageDigest: image.digest }],
          );
          const from = Number(body.nextToken ?? 0);
          const size = options.pageSize ?? 1000;
          const page = ids.slice(from, from + size);
          return answer(200, {
            imageIds: page,
            ...(from + size < ids.length ? { nextToken: String(from + size) } : {}),
          });
        }
        case 'BatchDeleteImage': {
          if (!repository) return missing();
          const deleted: unknown[] = [];
          const failures: unknown[] = [];
          for (const id of body.imageIds as Array<{ imageTag?: string }>) {
            const image = repository.images.find((i) => id.imageTag && i.tags.includes(id.imageTag));
            if (!image) {
              failures.push({
                imageId: id,
                failureCode: 'ImageNotFound',
                failureReason: 'Requested image not found',
              });
              continue;
            }
            image.tags = image.tags.filter((t) => t !== id.imageTag);
            if (!image.tags.length) repository.images = repository.images.filter((i) => i !== image);
            deleted.push({ imageDigest: image.digest, imageTag: id.imageTag });
          }
          return answer(200, { imageIds: deleted, failures });
        }
        case 'DeleteRepository':
          if (!repository) return missing();
          if (repository.images.length && body.force !== true)
            return fail('RepositoryNotEmptyException', `The repository ${name} is not empty`);
          repositories.delete(name);
          return answer(200, { repository: described(name) });
        default:
          return fail('UnknownOperationException', `${target} is not played by this wire`);
      }
    });
  });
  const { endpoint, close } = await listenLoopback(server);
  return { endpoint, requests, repositories, close };
}
