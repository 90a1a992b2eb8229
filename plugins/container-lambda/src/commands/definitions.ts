// The `sls container ...` commands as the framework's v3 command API declares them.

const functionOption = {
  usage: 'Name of the container function',
  shortcut: 'f',
  required: true,
  type: 'string',
} as const;

export const commands = {
  container: {
    usage:
      'Container functions (SCAR): build an image or a build context, run files through, invoke over HTTP, logs, put / get / ls the buckets',
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
      build: {
        usage:
          'Assemble the image of a function with no Docker (--push: push it); prints <registry/repository>@sha256:<digest> last',
        lifecycleEvents: ['build'],
        options: {
          function: functionOption,
          push: { usage: 'Push the image (what the registry does not have yet)', type: 'boolean' },
          registry: {
            usage: 'host[:port]/repository to push to (default: the service repository in ECR)',
            type: 'string',
          },
        },
      },
      run: {
        usage:
          'Upload a file to the input, wait for the outputs and download them (--local: on this machine; --existing: every object already in the input)',
        lifecycleEvents: ['run'],
        options: {
          function: functionOption,
          file: { usage: 'The file to process (or --existing)', type: 'string' },
          existing: {
            usage:
              "Send every object already under the function's input to it, as its upload would have (SCAR's run -ib)",
            type: 'boolean',
          },
          prefix: {
            usage: 'With --existing: only the objects under this folder of the input',
            type: 'string',
          },
          local: { usage: 'Run the script on this machine (no container, no AWS)', type: 'boolean' },
          out: { usage: 'Folder for the outputs (default: ./<function>-output)', type: 'string' },
          wait: {
            usage: 'Seconds to wait for the outputs in the cloud (default: timeout + 60)',
            type: 'string',
          },
        },
      },
      invoke: {
        usage:
          "Call the function's HTTP endpoint (api: true) with a file or JSON as the body; prints or writes the answer",
        lifecycleEvents: ['invoke'],
        options: {
          function: functionOption,
          file: { usage: 'Send this file as the body, byte for byte', type: 'string' },
          data: { usage: 'Send this JSON text as the body', type: 'string' },
          async: {
            usage: 'Do not wait for the script: X-Amz-Invocation-Type: Event, answered 202',
            type: 'boolean',
          },
          out: { usage: 'Write the answer body to this file (default: print it)', type: 'string' },
        },
      },
      logs: {
        usage:
          "Print a request's Lambda log and, when it went to AWS Batch, the job's log (default: the latest requests)",
        lifecycleEvents: ['logs'],
        options: {
          function: functionOption,
          'request-id': {
            usage: 'The request id (from the answer, or a START line); default: the latest requests',
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
