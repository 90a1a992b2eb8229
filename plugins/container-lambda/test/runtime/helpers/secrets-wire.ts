// Loopback SSM and Secrets Manager endpoints (AWS JSON 1.1: `POST /` with `X-Amz-Target`) that check each request
// the SDK sends, answer GetParameter / GetSecretValue from a table, and ParameterNotFound /
// ResourceNotFoundException otherwise, as the services do.
import { startEndpoint, type WireEndpoint } from './aws-wire';

export interface SecretEndpoint extends WireEndpoint {
  /** The JSON bodies received, parsed. */
  bodies(): unknown[];
}

interface Answer {
  status: number;
  body: unknown;
  /** An error type: the body is then `{ __type, message }`. */
  type?: string;
}

async function start(
  service: 'ssm' | 'secretsmanager',
  target: string,
  answer: (body: Record<string, unknown>) => Answer,
): Promise<SecretEndpoint> {
  let violations: string[] = [];
  const endpoint = await startEndpoint(service, { method: 'POST', path: /^\/$/ }, (request) => {
    if (request.headers['x-amz-target'] !== target) {
      violations.push(`x-amz-target ${String(request.headers['x-amz-target'])}: expected ${target}`);
    }
    if (request.headers['content-type'] !== 'application/x-amz-json-1.1') {
      violations.push(`content-type ${String(request.headers['content-type'])}: not AWS JSON 1.1`);
    }
    const { status, body, type } = answer(JSON.parse(request.body) as Record<string, unknown>);
    return {
      status,
      body: JSON.stringify(type ? { __type: type, message: body } : body),
      headers: { 'Content-Type': 'application/x-amz-json-1.1' },
    };
  });
  violations = endpoint.violations;
  return { ...endpoint, bodies: () => endpoint.requests.map((r) => JSON.parse(r.body) as unknown) };
}

/** SSM GetParameter: `parameters` maps a name or ARN to its value. */
export function startSsmEndpoint(parameters: Record<string, string>): Promise<SecretEndpoint> {
  return start('ssm', 'AmazonSSM.GetParameter', (body) => {
    const name = String(body.Name);
    const value = parameters[name];
    if (value === undefined) {
      return { status: 400, body: `Parameter ${name} not found.`, type: 'ParameterNotFound' };
    }
    const arn = name.startsWith('arn:')
      ? name
      : `arn:aws:ssm:us-east-1:123456789012:parameter/${name.replace(/^\//, '')}`;
    return {
      status: 200,
      body: { Parameter: { Name: name, Type: 'SecureString', Value: value, Version: 1, ARN: arn } },
    };
  });
}

/** Secrets Manager GetSecretValue: `secrets` maps a secret ARN to its SecretString. */
export function startSecretsManagerEndpoint(secrets: Record<string, string>): Promise<SecretEndpoint> {
  return start('secretsmanager', 'secretsmanager.GetSecretValue', (body) => {
    const id = String(body.SecretId);
    const value = secrets[id];
    if (value === undefined) {
      return {
        status: 400,
        body: "Secrets Manager can't find the specified secret.",
        type: 'ResourceNotFoundException',
      };
    }
    return {
      status: 200,
      body: {
        ARN: id,
        Name: id.split(':')[6],
        SecretString: value,
        VersionId: 'v1',
        VersionStages: ['AWSCURRENT'],
      },
    };
  });
}
