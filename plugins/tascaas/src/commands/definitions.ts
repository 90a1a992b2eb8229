// The `sls tascaas ...` commands as the framework's v3 command API declares them.

const endpoint = {
  usage: 'The API: the local server’s URL, or the deployed HTTP API (default: read from the stack)',
  type: 'string',
  shortcut: 'e',
} as const;
const secret = {
  usage: 'The deployment’s secret (default: TASCAAS_SECRET, else read from AWS)',
  type: 'string',
} as const;
const local = { usage: 'Talk to `sls tascaas serve --local` on this machine', type: 'boolean' } as const;

export const commands = {
  tascaas: {
    usage: 'Run tascaas jobs (custom.tascaas): partitions balanced across infrastructures, on AWS or locally',
    // A bare `sls tascaas` runs this lifecycle: it lists the subcommands.
    lifecycleEvents: ['help'],
    commands: {
      serve: {
        usage: 'Serve the tascaas API on this machine (queues, table and storage in a folder)',
        lifecycleEvents: ['serve'],
        options: {
          local: { usage: 'Required: serve on this machine', type: 'boolean' },
          port: { usage: 'Port to listen on (default 8080)', type: 'string', shortcut: 'p' },
          secret: {
            usage: 'The secret nodes and clients must send (default: a new one, printed)',
            type: 'string',
          },
          data: { usage: 'Folder of the server’s state and objects (default .tascaas/)', type: 'string' },
        },
      },
      worker: {
        usage: 'Join this machine as an infrastructure: run <program> per partition, `-- <program> [args]`',
        lifecycleEvents: ['worker'],
        options: {
          local,
          endpoint,
          secret,
          slots: { usage: 'Partitions to run at once', type: 'string', required: true },
          'max-slots': { usage: 'Slots this machine could offer at most (default: --slots)', type: 'string' },
        },
      },
      submit: {
        usage: 'Submit a job; prints its id last',
        lifecycleEvents: ['submit'],
        options: {
          local,
          endpoint,
          secret,
          job: {
            usage: 'Job block under custom.tascaas (optional when there is one)',
            type: 'string',
            shortcut: 'j',
          },
          iterations: { usage: 'Iterations of the whole job', type: 'string', required: true },
          time: { usage: 'Seconds the job should take (0: no balancing)', type: 'string', required: true },
          partitions: { usage: 'Initial partitions (default: the block’s)', type: 'string' },
          input: {
            usage: 'The input: a key under the block’s input prefix, or with --local a file to upload',
            type: 'string',
            shortcut: 'i',
          },
        },
      },
      status: {
        usage: 'Show a job: its partitions’ progress, state and attempts, and its ETA',
        lifecycleEvents: ['status'],
        options: {
          local,
          endpoint,
          secret,
          id: { usage: 'The job id `submit` printed', type: 'string', required: true },
          json: { usage: 'Print the server’s status JSON as it is', type: 'boolean' },
        },
      },
    },
  },
} as const;
