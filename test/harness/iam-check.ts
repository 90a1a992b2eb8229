// Checks every request a packaged handler makes against the IAM policy its role has in the template: each handler
// runs inside its role (an AsyncLocalStorage), its SDK requests carry that role in a header, and loopback proxies in
// front of S3, DynamoDB and the Lambda wire record each S3/DynamoDB/Lambda action no statement of the role allows.
// It plays IAM's Allow rules only (actions, ARN patterns, StringLike conditions): what our policies use.
import { AsyncLocalStorage } from 'node:async_hooks';
import http, { createServer, type IncomingHttpHeaders } from 'node:http';
import type { CfnTemplate } from '@serverless-continuum/core/cfn';
import { listenLoopback, readBody } from './loopback';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ROLE_HEADER = 'x-continuum-test-role';

export interface ResolvedStatement {
  Action: string[];
  Resource: string[];
  Condition?: { StringLike?: Record<string, string[]> };
}

export interface Request {
  action: string;
  resource: string;
  context?: Record<string, string>;
}

export interface Violation extends Request {
  role: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const roleStore = new AsyncLocalStorage<string>();

/** Runs `fn` as `role`: every AWS request it makes, however deep, is checked against that role's policy. */
export function asRole<T>(role: string, fn: () => T): T {
  return roleStore.run(role, fn);
}

let tagging = false;

/**
 * Tags every outgoing HTTP request made inside `asRole` with its role. Call before loading the bundles, so that
 * their SDK copies see the wrapped `http.request`.
 */
export function tagRequestsWithRole(): void {
  if (tagging) return;
  tagging = true;
  const original = http.request;
  (http as { request: unknown }).request = function request(this: unknown, ...args: unknown[]) {
    const req = (original as (...a: unknown[]) => http.ClientRequest).apply(this, args);
    const role = roleStore.getStore();
    if (role) req.setHeader(ROLE_HEADER, role);
    return req;
  };
}

/** A template value with the pseudo parameters, `Fn::Sub` and a table's `Fn::GetAtt Arn` resolved. */
function resolveValue(template: CfnTemplate, value: Loose): string {
  if (typeof value === 'string') return value;
  if (value?.['Fn::Sub'] && typeof value['Fn::Sub'] === 'string') {
    return (value['Fn::Sub'] as string)
      .replaceAll('${AWS::Partition}', 'aws')
      .replaceAll('${AWS::Region}', REGION)
      .replaceAll('${AWS::AccountId}', ACCOUNT);
  }
  const [id, attribute] = value?.['Fn::GetAtt'] ?? [];
  const target = template.Resources[id] as Loose;
  if (attribute === 'Arn' && target?.Type === 'AWS::DynamoDB::Table') {
    return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${target.Properties.TableName}`;
  }
  throw new Error(`iam-check cannot resolve ${JSON.stringify(value)}`);
}

/** The inline policy statements of a role of the template, with their ARNs resolved. */
export function roleStatements(template: CfnTemplate, roleId: string): ResolvedStatement[] {
  const role = template.Resources[roleId] as Loose;
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role of the template`);
  return (role.Properties.Policies ?? []).flatMap((policy: Loose) =>
    policy.PolicyDocument.Statement.map((s: Loose) => {
      if (s.Effect !== 'Allow') throw new Error(`iam-check plays Allow statements only (${roleId})`);
      return {
        Action: [s.Action].flat(),
        Resource: [s.Resource].flat().map((r: Loose) => resolveValue(template, r)),
        ...(s.Condition ? { Condition: s.Condition } : {}),
      };
    }),
  );
}

/** IAM's ARN and StringLike patterns: `*` any characters (`/` included), `?` one. */
function matches(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(value);
}

export function allows(statements: ResolvedStatement[], request: Request): boolean {
  return statements.some(
    (s) =>
      s.Action.includes(request.action) &&
      s.Resource.some((r) => matches(r, request.resource)) &&
      Object.entries(s.Condition?.StringLike ?? {}).every(([key, patterns]) => {
        const value = request.context?.[key];
        return value !== undefined && patterns.some((p) => matches(p, value));
      }),
  );
}

/** The IAM actions of one path-style S3 request (the SDK's calls the suite makes). */
export function s3Requests(method: string, url: string, body: string): Request[] {
  const { pathname, searchParams } = new URL(url, 'http://s3');
  const [bucket = '', ...rest] = pathname.slice(1).split('/');
  const key = rest.map(decodeURIComponent).join('/');
  const object = `arn:aws:s3:::${bucket}/${key}`;
  if (!key) {
    if (method === 'GET') {
      return [
        {
          action: 's3:ListBucket',
          resource: `arn:aws:s3:::${bucket}`,
          context: { 's3:prefix': searchParams.get('prefix') ?? '' },
        },
      ];
    }
    if (method === 'POST' && searchParams.has('delete')) {
      return [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => ({
        action: 's3:DeleteObject',
        resource: `arn:aws:s3:::${bucket}/${m[1]}`,
      }));
    }
    return [{ action: `s3:bucket ${method}`, resource: `arn:aws:s3:::${bucket}` }];
  }
  // Multipart uploads are authorised as PutObject, except listing and aborting them.
  if (searchParams.has('uploadId') && method === 'GET')
    return [{ action: 's3:ListMultipartUploadParts', resource: object }];
  if (searchParams.has('uploadId') && method === 'DELETE')
    return [{ action: 's3:AbortMultipartUpload', resource: object }];
  const action =
    method === 'GET' || method === 'HEAD'
      ? searchParams.has('versionId')
        ? 's3:GetObjectVersion'
        : 's3:GetObject'
      : method === 'PUT' || method === 'POST'
        ? 's3:PutObject'
        : method === 'DELETE'
          ? 's3:DeleteObject'
          : `s3:object ${method}`;
  return [{ action, resource: object }];
}

export function dynamoRequests(headers: IncomingHttpHeaders, body: string): Request[] {
  const operation = String(headers['x-amz-target'] ?? '').split('.')[1] ?? '?';
  const table = (JSON.parse(body || '{}') as { TableName?: string }).TableName ?? '?';
  return [
    { action: `dynamodb:${operation}`, resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}` },
  ];
}

export function lambdaRequests(url: string): Request[] {
  const name = decodeURIComponent(/^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(url)?.[1] ?? '?');
  return [
    { action: 'lambda:InvokeFunction', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}` },
  ];
}

export interface IamCheck {
  /** Requests a role made that its policy does not allow. */
  violations: Violation[];
  /** Every checked request, by role. */
  seen: Violation[];
  /** A proxy endpoint in front of `target` for one service. */
  proxy(service: 's3' | 'dynamodb' | 'lambda', target: string): Promise<string>;
  close(): Promise<void>;
}

/** `policies`: role name (as given to `asRole`) -> its statements. */
export function iamCheck(policies: Record<string, ResolvedStatement[]>): IamCheck {
  const violations: Violation[] = [];
  const seen: Violation[] = [];
  const closers: Array<() => Promise<void>> = [];
  return {
    violations,
    seen,
    async proxy(service, target) {
      const to = new URL(target);
      const server = createServer((req, res) => {
        void readBody(req).then((body) => {
          const role = req.headers[ROLE_HEADER] as string | undefined;
          if (role) {
            const text = body.toString('utf8');
            const requests =
              service === 's3'
                ? s3Requests(req.method ?? 'GET', req.url ?? '/', text)
                : service === 'dynamodb'
                  ? dynamoRequests(req.headers, text)
                  : lambdaRequests(req.url ?? '');
            const statements = policies[role];
            if (!statements) throw new Error(`no policy for role ${role}`);
            for (const request of requests) {
              seen.push({ role, ...request });
              if (!allows(statements, request)) violations.push({ role, ...request });
            }
          }
          const headers = { ...req.headers };
          delete headers[ROLE_HEADER];
          // Headers unchanged (Host included): S3's signature covers them.
          const forward = http.request(
            { host: to.hostname, port: to.port, method: req.method, path: req.url, headers },
            (answer) => {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
            },
          );
          forward.on('error', (error) => res.destroy(error));
          forward.end(body);
        });
      });
      const { endpoint, close } = await listenLoopback(server);
      closers.push(close);
      return endpoint;
    },
    async close() {
      await Promise.all(closers.map((close) => close()));
    },
  };
}
