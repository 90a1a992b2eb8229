// The `sls container ...` commands as the framework's v3 command API declares them.

const functionOption = {
  usage: 'Name of the container function',
  shortcut: 'f',
  required: true,
  type: 'string',
} as const;

export const commands = {
  container: {
    usage: 'Container functions (SCAR): build context, run a file through, put / get / ls the buckets',
    // A bare `sls container` runs this lifecycle: it lists the subcommands.
    lifecycleEvents: ['help'],
    commands: {
      context: {
        usage:
          'Write the Docker build context of a function (build it in CI, then use its digest-pinned uri)',
        lifecycleEvents: ['write'],
        options: {
          function: functionOption,
          out: { usage: 'Folder to write the context to', required: true, type: 'string' },
        },
      },
      run: {
        usage:
          'Upload a file to the input, wait for the outputs and download them (--local: on this machine)',
        lifecycleEvents: ['run'],
        options: {
          function: functionOption,
          file: { usage: 'The file to process', required: true, type: 'string' },
          local: { usage: 'Run the script on this machine (no container, no AWS)', type: 'boolean' },
          out: { usage: 'Folder for the outputs (default: ./<function>-output)', type: 'string' },
          wait: {
            usage: 'Seconds to wait for the outputs in the cloud (default: timeout + 60)',
            type: 'string',
          },
        },
      },
      put: {
        usage: "Upload a file to the function's input (starts a run)",
        lifecycleEvents: ['put'],
        options: {
          function: functionOption,
          file: { usage: 'The file to upload', required: true, type: 'string' },
          name: { usage: 'Object name under the input prefix (default: the file name)', type: 'string' },
        },
      },
      get: {
        usage: "Download the function's output objects",
        lifecycleEvents: ['get'],
        options: {
          function: functionOption,
          out: { usage: 'Folder for the outputs (default: ./<function>-output)', type: 'string' },
        },
      },
      ls: {
        usage: "List the objects in the function's input and output",
        lifecycleEvents: ['list'],
        options: { function: functionOption },
      },
    },
  },
} as const;
