// A service imported from OSCAR FDL, written as the `functions.<name>` entry a user would have written.
import type { OscarFunctionDefinition } from '@serverless-continuum/core/functions';
import type { OscarFunctionConfig } from './config';

export function fdlFunctionConfig(def: OscarFunctionDefinition): OscarFunctionConfig {
  const config: OscarFunctionConfig = {
    container: { ...def.container },
    ...(def.oscar as Partial<OscarFunctionConfig>),
  };
  if (def.input?.length) config.input = def.input;
  if (def.output?.length) config.output = def.output;
  return config;
}
