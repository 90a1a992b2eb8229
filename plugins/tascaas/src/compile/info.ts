// The lines `sls info` / `sls deploy` print for tascaas: the API, and per job block its queue and results.
import type { TascaasSettings } from '../config';
import { queueLogicalId } from './names';

export function infoLines(settings: TascaasSettings, apiUrl?: string): string[] {
  if (!settings.definitions.length) return [];
  return [
    `API: ${apiUrl ?? 'the HTTP API endpoint above (HttpApiUrl)'} (POST /jobs, GET /jobs/{id}, /node/*, /lb/*)`,
    ...settings.definitions.map((d) => {
      const input = d.input
        ? `; upload s3://${d.input.bucket}/${d.input.prefix}<name>.config to start one`
        : '';
      const worker = d.worker ? `, worker function ${d.worker}` : '';
      return (
        `${d.name}: partitions ${d.partitions}..${d.maxPartitions} on queue ${queueLogicalId(d.name)} (${d.maxAttempts} attempts${worker}) -> ` +
        `s3://${d.results.bucket}/${d.results.prefix}<job id>/${input}`
      );
    }),
  ];
}
