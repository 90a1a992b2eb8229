// The real Serverless CLI for any command (the root harness runs it) and the reference data the
// mapreduce end-to-end tests compare against.
export {
  REPO_ROOT,
  runSls,
  type Framework,
  type PackageFailure as CliResult,
} from '../../../test/harness/sls';

export { referenceWordCount } from './reference';

/** A deterministic text with a skewed vocabulary, CRLF and LF endings, empty lines and no final newline. */
export function sampleText(lines: number, seed = 7): string {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const words = [
    'the',
    'Data',
    'flows',
    'through',
    'lambda',
    'MAP',
    'reduce',
    'cloud',
    'edge',
    'science',
    'ünïcode',
  ];
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = Math.floor(next() * 12);
    const line = Array.from({ length: n }, () => words[Math.floor(next() ** 2 * words.length)]).join(' ');
    out.push(line + (i % 7 === 0 ? '\r\n' : '\n'));
  }
  return out.join('').replace(/\n$/, '');
}
