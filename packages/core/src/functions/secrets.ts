// References to secrets kept in AWS (SSM Parameter Store, Secrets Manager), as `container.secrets` writes them:
// one parser for the config rules, the IAM grants, the Batch job definition and the supervisor.

export type SecretService = 'ssm' | 'secretsmanager';

export interface SecretReference {
  service: SecretService;
  /** As written: what GetParameter's `Name` and GetSecretValue's `SecretId` take. */
  reference: string;
  /** The full ARN when written as one (an SSM name gets its ARN from the stack's partition, region, account). */
  arn?: string;
  /** SSM only: the parameter's name without a leading `/`, as it follows `parameter/` in its ARN. */
  parameterPath?: string;
}

const PARTITION = 'aws(?:-[a-z]+)*';
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d';
const ACCOUNT = '\\d{12}';
// Parameter names: letters, digits and `_.-`; a hierarchy is written `/a/b` (SSM requires the leading slash).
const PARAMETER_PATH = '[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*';
const SSM_NAME = new RegExp(`^(?:/${PARAMETER_PATH}|[A-Za-z0-9_.-]+)$`);
const SSM_ARN = new RegExp(`^arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:parameter/(${PARAMETER_PATH})$`);
// A whole secret; Batch's `:json-key:version-stage:version-id` suffixes are not taken (the script gets one value).
const SECRET_ARN = new RegExp(
  `^arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:[A-Za-z0-9/_+=.@-]+$`,
);
/** SSM's longest parameter name. */
const MAX_PARAMETER_NAME = 1011;

/** The reference `value` names, or undefined when it is neither an SSM parameter nor a Secrets Manager secret. */
export function parseSecretReference(value: string): SecretReference | undefined {
  if (SECRET_ARN.test(value)) return { service: 'secretsmanager', reference: value, arn: value };
  const arn = SSM_ARN.exec(value);
  if (arn) return { service: 'ssm', reference: value, arn: value, parameterPath: arn[1] };
  if (!SSM_NAME.test(value) || value.length > MAX_PARAMETER_NAME) return undefined;
  // Names starting with aws or ssm are AWS's own (public parameters, the Secrets Manager bridge).
  if (/^\/?(aws|ssm)/i.test(value)) return undefined;
  return { service: 'ssm', reference: value, parameterPath: value.replace(/^\//, '') };
}

/** What to write instead, for messages. */
export const SECRET_REFERENCE_FORMS =
  'write an SSM parameter name (/app/db-password), its ARN (arn:aws:ssm:<region>:<account>:parameter/app/db-password) or a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)';
