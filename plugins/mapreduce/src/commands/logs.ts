// `sls mapreduce logs`: which function holds a role's logs, and the framework command that shows them.
import { ConfigError } from '@serverless-continuum/core/errors';
import { ROLES, type Role } from '../config';
import { functionKey } from '../compile/names';
import { selectJob, stringOption, type CommandContext } from './context';

export function logsCommand(ctx: CommandContext): void {
  const job = selectJob(ctx);
  const role = (stringOption(ctx.options, 'role') ?? 'coordinator') as Role;
  if (!ROLES.includes(role)) throw new ConfigError('--role', `must be one of ${ROLES.join(', ')}`);
  const key = functionKey(job.name, role);
  const stage = stringOption(ctx.options, 'stage');
  const region = stringOption(ctx.options, 'region');
  const config = stringOption(ctx.options, 'config');
  const extra = [
    stage ? ` --stage ${stage}` : '',
    region ? ` --region ${region}` : '',
    config ? ` --config ${config}` : '',
  ].join('');
  ctx.utils.writeText([
    `The ${role} of job ${job.name} is the function ${key}. Its logs:`,
    `  serverless logs --function ${key}${extra} --tail`,
  ]);
}
