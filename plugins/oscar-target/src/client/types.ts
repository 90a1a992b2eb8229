// The OSCAR REST client's interface: what the provider's commands call, over OSCAR's published API (v4.1.2).

export type OscarAuth =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'token'; token: string }
  | { kind: 'refresh'; refreshToken: string; tokenEndpoint: string; clientId?: string; token?: string };

export interface OscarClientOptions {
  /** The cluster's URL, e.g. `https://oscar.example.org`. */
  endpoint: string;
  auth: OscarAuth;
  /** TLS verification; on unless the user turns it off. */
  verifyTls?: boolean;
  ca?: string;
  timeoutMs?: number;
  /** Never receives a password, token or key. */
  log?: (line: string) => void;
}

/** OSCAR's `types.Service`, with the API document's (snake_case) field names. */
export type OscarService = {
  name: string;
  image: string;
  script?: string;
  token?: string;
  [field: string]: unknown;
};

export interface OscarJobs {
  jobs: Record<
    string,
    { status?: string; creation_time?: string; start_time?: string; finish_time?: string }
  >;
  nextPage?: string;
}

export interface OscarClient {
  info(): Promise<Record<string, unknown>>;
  /** `/system/config` with every credential removed. */
  config(): Promise<Record<string, unknown>>;
  /** The MinIO provider of `/system/config`, credentials included: for `sls oscar put|get|ls` only, never printed. */
  minio(): Promise<{
    endpoint: string;
    region: string;
    accessKey: string;
    secretKey: string;
    verify: boolean;
  }>;
  listServices(): Promise<OscarService[]>;
  /** undefined on 404. */
  getService(name: string): Promise<OscarService | undefined>;
  /** POST (201, empty body), then GET to learn the service's token. */
  createService(service: OscarService): Promise<OscarService>;
  /** PUT: replaces the whole definition (204). */
  updateService(service: OscarService): Promise<void>;
  /** false on 404. */
  deleteService(name: string): Promise<boolean>;
  /** `/run/{name}` with `Bearer <service token>`: the input base64-encoded, the answer decoded. */
  run(name: string, token: string, input: Buffer): Promise<Buffer>;
  /** `/job/{name}` with `Bearer <service token>`: 201 and no job id. */
  job(name: string, token: string, input: Buffer): Promise<void>;
  /** `/system/logs/{name}`, in either of its shapes. */
  jobs(name: string, page?: string): Promise<OscarJobs>;
  jobLog(name: string, job: string): Promise<string>;
}
