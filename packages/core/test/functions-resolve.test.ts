// The provider-neutral rules of a `functions:` entry, as any target (container-lambda, oscar-target) applies
// them: the entry's shape, the script, reserved variable names, secrets' names, storage bindings and triggers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../src/errors';
import {
  checkFunctionEntry,
  checkTriggerOverlaps,
  nonStringProperties,
  notificationRules,
  resolveBinding,
  resolveFunction,
  type FunctionConfig,
  type FunctionRules,
} from '../src/functions';

const dir = mkdtempSync(join(tmpdir(), 'functions-resolve-'));
writeFileSync(join(dir, 'run.sh'), 'cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/"\n');

/** A target that is not AWS: it reserves `OSCAR_*` and keeps a secret's value as written. */
const rules: FunctionRules<string> = {
  serviceDir: dir,
  isReserved: (name) => name === 'INPUT_FILE_PATH' || name.startsWith('OSCAR_'),
  secret: (value) => value,
  scriptHint: 'the supervisor runs it on every event',
};

const base: FunctionConfig = {
  container: { image: 'grycap/imagemagick', script: 'run.sh' },
  input: [{ storage: 'minio.lab', path: 'lab/in/' }],
  output: [{ storage: 'minio.lab', path: 'lab/out' }],
};

describe('resolving a function with the provider-neutral model', () => {
  test('gives the script as an absolute path, the variables, the secrets and the bindings parsed', () => {
    const fn = resolveFunction(
      'thumb',
      { ...base, container: { ...base.container!, environment: { MODE: 'fast' }, secrets: { TOKEN: 'v' } } },
      rules,
    );
    assert.deepEqual(fn, {
      name: 'thumb',
      image: 'grycap/imagemagick',
      script: join(dir, 'run.sh'),
      environment: { MODE: 'fast' },
      secrets: { TOKEN: 'v' },
      inputs: [resolveBinding({ storage: 'minio.lab', path: 'lab/in' }, 'x')],
      outputs: [resolveBinding({ storage: 'minio.lab', path: 'lab/out' }, 'x')],
    });
  });

  test("the entry's shape: a container, string image and script, no framework image or handler beside it", () => {
    assert.throws(() => checkFunctionEntry('f', {}), { message: 'functions.f.container: required' });
    assert.throws(() => checkFunctionEntry('f', { container: { image: 7 } } as never), {
      message: 'functions.f.container.image: must be a string, not the number 7 (quote it)',
    });
    assert.throws(() => checkFunctionEntry('f', { ...base, handler: 'h.main' }), {
      message:
        /^functions\.f\.handler: remove it \(a container function runs container\.script, not a handler\)$/,
    });
    assert.deepEqual(
      nonStringProperties({ f: { container: { image: 'x', script: ['a'] } }, plain: { handler: 'h' } }).map(
        (error) => error.message,
      ),
      ['functions.f.container.script: must be a string, not a list (quote it)'],
    );
  });

  test('the script must exist; it may be absent only when the target runs the image as it is', () => {
    assert.throws(
      () => resolveFunction('f', { ...base, container: { image: 'x', script: 'nope.sh' } }, rules),
      {
        message: new RegExp(`^functions\\.f\\.container\\.script: file not found: ${join(dir, 'nope.sh')}`),
      },
    );
    assert.throws(() => resolveFunction('f', { container: { image: 'x' } }, rules), {
      message:
        'functions.f.container.script: required to build the image (the supervisor runs it on every event)',
    });
    assert.equal(
      resolveFunction('f', { container: { image: 'x' } }, { ...rules, prebuilt: true }).script,
      undefined,
    );
  });

  test("the target's reserved names, and CONT_VAR_ for secrets, are refused where they are written", () => {
    const env = (environment: Record<string, string>) => ({
      ...base,
      container: { ...base.container!, environment },
    });
    assert.throws(() => resolveFunction('f', env({ OSCAR_X: '1' }), rules), {
      message: /^functions\.f\.container\.environment\.OSCAR_X: reserved name/,
    });
    const secret = (secrets: Record<string, string>, environment = {}) => ({
      ...base,
      container: { ...base.container!, environment, secrets },
    });
    assert.throws(() => resolveFunction('f', secret({ CONT_VAR_Q: 'v' }), rules), {
      message: /^functions\.f\.container\.secrets\.CONT_VAR_Q: reserved name \(HTTP query parameters/,
    });
    assert.throws(() => resolveFunction('f', secret({ K: 'v' }, { K: '1' }), rules), {
      message:
        'functions.f.container.secrets.K: also set in functions.f.container.environment.K (keep one of them)',
    });
  });

  test("a secret's value is the target's to read: its error names the secret's path", () => {
    const strict: FunctionRules<number> = {
      ...rules,
      secret: (value, path) => {
        if (!/^\d+$/.test(value)) throw new ConfigError(path, 'not a number');
        return Number(value);
      },
    };
    const fn = { ...base, container: { ...base.container!, secrets: { A: '1', B: 'x' } } };
    assert.throws(() => resolveFunction('f', fn, strict), {
      message: 'functions.f.container.secrets.B: not a number',
    });
  });

  test("an output under the function's own input prefix is refused: every result would run it again", () => {
    const loop = { ...base, output: [{ storage: 'minio.lab', path: 'lab/in/out' }] };
    assert.throws(() => resolveFunction('f', loop, rules), {
      message:
        /^functions\.f\.input\[0\]\.path: lab\/in would be triggered by this function's own output lab\/in\/out \(output\[0\]\)/,
    });
  });

  test('two functions whose triggers overlap on one bucket are refused, one rule per prefix filter and suffix', () => {
    const input = resolveBinding({ storage: 's3', path: 'b/in', prefix: ['x', 'y'], suffix: ['.a'] }, 'x');
    assert.deepEqual(notificationRules(input), [
      { prefix: 'in/x', suffix: '.a' },
      { prefix: 'in/y', suffix: '.a' },
    ]);
    const at = (path: string) => [resolveBinding({ storage: 's3', path }, 'x')];
    assert.doesNotThrow(() =>
      checkTriggerOverlaps([
        { name: 'a', inputs: at('b/one') },
        { name: 'c', inputs: at('b/two') },
      ]),
    );
    assert.throws(
      () =>
        checkTriggerOverlaps([
          { name: 'a', inputs: at('b/in') },
          { name: 'c', inputs: at('b/in/sub') },
        ]),
      {
        message:
          /^functions\.c\.input\[0\]\.path: its trigger on b\/in\/sub\/\* overlaps functions\.a\.input\[0\]/,
      },
    );
  });
});
