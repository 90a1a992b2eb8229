// The `sls oscar ...` commands, and the options this provider adds to the framework's own, as the v3 command API declares them.

const functionOption = {
  usage: 'Name of the function',
  shortcut: 'f',
  required: true,
  type: 'string',
} as const;

export const commands = {
  // The framework's own commands, with the options OSCAR adds (the framework merges them into its definitions).
  invoke: {
    lifecycleEvents: ['invoke'],
    options: {
      async: {
        usage: 'Run as an OSCAR job (/job) instead of waiting for the answer (/run)',
        type: 'boolean',
      },
      output: {
        usage: 'Write the answer to this file (a zip of several files: into this folder)',
        type: 'string',
      },
    },
    commands: {
      local: {
        usage: "Run the service's script on this machine on a file, with OSCAR's supervisor variables",
        lifecycleEvents: ['invoke'],
        options: {
          output: {
            usage: "Folder for the script's outputs (default: ./<function>-output)",
            type: 'string',
          },
        },
      },
    },
  },
  logs: {
    lifecycleEvents: ['logs'],
    options: {
      job: { usage: "One job's log (default: the list of the service's jobs)", type: 'string' },
    },
  },
  oscar: {
    usage: "Files in an OSCAR service's MinIO buckets: put, get, ls",
    lifecycleEvents: ['help'],
    commands: {
      put: {
        usage: "Upload a file to the service's input bucket (starts a job)",
        lifecycleEvents: ['put'],
        options: {
          function: functionOption,
          file: { usage: 'The file to upload', required: true, type: 'string' },
          name: { usage: 'Object name under the input path (default: the file name)', type: 'string' },
        },
      },
      get: {
        usage: "Download the service's output objects",
        lifecycleEvents: ['get'],
        options: {
          function: functionOption,
          out: { usage: 'Folder for the outputs (default: ./<function>-output)', type: 'string' },
        },
      },
      ls: {
        usage: "List the objects in the service's input and output buckets",
        lifecycleEvents: ['list'],
        options: { function: functionOption },
      },
    },
  },
} as const;
