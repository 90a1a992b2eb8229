// Structured logs: one JSON object per line on stdout, which CloudWatch Logs Insights reads field by field
// (and `sls mapreduce logs` prints as `message` plus the rest).

/** Writes `{ message, ...fields }` as one line, `message` first. */
export function logJson(message: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ message, ...fields }));
}
