// CloudFormation's DescribeStacks at the wire (the query protocol: a form-encoded `POST /`, an XML answer), for
// commands that read a deployed stack's outputs; a stack that is not there is a ValidationError, as AWS answers.
import { createServer } from 'node:http';
import { listenLoopback, readBody } from './loopback';

export interface CloudFormationWire {
  /** For `AWS_ENDPOINT_URL_CLOUDFORMATION`. */
  endpoint: string;
  /** Every request's form fields, in arrival order. */
  requests: Array<Record<string, string>>;
  close(): Promise<void>;
}

const xml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** `stacks` maps a stack name to its outputs; it is read on each call. */
export async function startCloudFormationWire(
  stacks: Record<string, Record<string, string>>,
): Promise<CloudFormationWire> {
  const requests: Array<Record<string, string>> = [];
  const server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const form = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
      requests.push(form);
      const name = form.StackName ?? '';
      const outputs = stacks[name];
      if (form.Action !== 'DescribeStacks' || !outputs) {
        res
          .writeHead(400, { 'content-type': 'text/xml' })
          .end(
            `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${xml(name)} does not exist</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
          );
        return;
      }
      const members = Object.entries(outputs)
        .map(
          ([key, value]) =>
            `<member><OutputKey>${xml(key)}</OutputKey><OutputValue>${xml(value)}</OutputValue></member>`,
        )
        .join('');
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${xml(name)}</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/${xml(name)}/1</StackId><CreationTime>2024-05-01T10:00:00Z</CreationTime><StackStatus>UPDATE_COMPLETE</StackStatus><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></DescribeStacksResponse>`,
        );
    });
  });
  const { endpoint, close } = await listenLoopback(server);
  return { endpoint, requests, close };
}
