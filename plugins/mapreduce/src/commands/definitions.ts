// The `sls mapreduce ...` commands as the framework's v3 command API declares them.

export const commands = {
  mapreduce: {
    usage: 'Run MapReduce jobs declared under custom.mapreduce, on AWS or on this machine',
    // A bare `sls mapreduce` runs this lifecycle: it lists the subcommands.
    lifecycleEvents: ['help'],
    commands: {
      run: {
        usage: 'Run a job on a file or an S3 object and print its report',
        lifecycleEvents: ['run'],
        options: {
          job: { usage: 'Job name under custom.mapreduce', type: 'string', shortcut: 'j', required: true },
          input: {
            usage: 'Input: a local file, or s3://bucket/key of an object already uploaded',
            type: 'string',
            shortcut: 'i',
            required: true,
          },
          local: { usage: 'Run on this machine with worker threads: no AWS, no network', type: 'boolean' },
          output: {
            usage:
              'A folder: with --local the results go there (default ./mapreduce-output); on AWS the result is downloaded into it',
            type: 'string',
            shortcut: 'o',
          },
          workers: {
            usage: 'Worker threads with --local (default: one per core)',
            type: 'string',
            shortcut: 'w',
          },
        },
      },
      status: {
        usage: "List a job's runs from its output prefix, or print one run's report",
        lifecycleEvents: ['status'],
        options: {
          job: { usage: 'Job name under custom.mapreduce', type: 'string', shortcut: 'j', required: true },
          run: { usage: 'Run id: print this run’s report', type: 'string' },
          local: { usage: 'Read runs of --local from a folder instead of S3', type: 'boolean' },
          output: {
            usage: 'With --local: the output folder (default ./mapreduce-output)',
            type: 'string',
            shortcut: 'o',
          },
        },
      },
      logs: {
        usage: "Show a job's CloudWatch logs: coordinator, mappers and reducers merged by time",
        lifecycleEvents: ['logs'],
        options: {
          job: { usage: 'Job name under custom.mapreduce', type: 'string', shortcut: 'j', required: true },
          run: {
            usage: 'Run id: only the lines of this run (`sls mapreduce status` lists them)',
            type: 'string',
          },
          role: { usage: 'coordinator | mapper | reducer (default: all three)', type: 'string' },
          since: {
            usage: 'From when: a duration back (30m, 1h, 2d) or an ISO date (default 1h)',
            type: 'string',
          },
          tail: { usage: 'Keep printing new lines every 2 s until Ctrl-C', type: 'boolean', shortcut: 't' },
        },
      },
    },
  },
} as const;
