// A loopback HTTP proxy in front of a real local service (s3rver, dynalite): it forwards every request as is,
// except those a test chooses to fail, which it answers itself. For faults no real peer can be asked to make.
import { createServer, request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { listenLoopback, type Loopback } from './loopback';

export interface Fault {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface FaultProxy extends Loopback {
  /** The requests answered with a fault, as `<method> <url>`. */
  faulted: string[];
}

/** `fault` sees each request (before its body) and returns the answer to give instead, or nothing to forward it. */
export async function startFaultProxy(
  target: string,
  fault: (req: IncomingMessage) => Fault | undefined,
): Promise<FaultProxy> {
  const { hostname, port } = new URL(target);
  const faulted: string[] = [];
  const server = createServer((req, res) => {
    const answer = fault(req);
    if (answer) {
      faulted.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
      return;
    }
    const upstream = request(
      { hostname, port, method: req.method, path: req.url, headers: req.headers },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    upstream.on('error', (error) => res.destroy(error));
    req.pipe(upstream);
  });
  return { ...(await listenLoopback(server)), faulted };
}

/** S3's answer to a request it refuses: the status and the XML error body the SDK reads `Code` from. */
export function s3ErrorFault(status: number, code: string, message: string): Fault {
  return {
    status,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  };
}
