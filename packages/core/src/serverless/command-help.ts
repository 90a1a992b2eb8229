// What `sls <command>` prints when the user gave no subcommand: the subcommands and what each does.
// The frameworks run a parent command's own lifecycle then, which would otherwise print nothing and exit 0.

export interface CommandDefinition {
  usage?: string;
  commands?: Record<string, CommandDefinition>;
}

/** `sls container run   Upload a file ...`: one line per subcommand, the usages aligned. */
export function subcommandLines(name: string, command: CommandDefinition): string[] {
  const subcommands = Object.entries(command.commands ?? {});
  const width = Math.max(0, ...subcommands.map(([sub]) => `sls ${name} ${sub}`.length));
  return [
    ...(command.usage ? [command.usage, ''] : []),
    'Commands:',
    ...subcommands.map(([sub, def]) =>
      `  ${`sls ${name} ${sub}`.padEnd(width)}  ${def.usage ?? ''}`.trimEnd(),
    ),
    '',
    `sls ${name} <command> --help lists the options of one.`,
  ];
}
