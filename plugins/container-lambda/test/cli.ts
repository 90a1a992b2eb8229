// The real Serverless CLI for commands other than `package` (`sls create`, `sls container ...`,
// `sls invoke local`): the root harness runs it; this module only names it for the plugin's tests.
export { REPO_ROOT, runSls, type Framework, type PackageFailure as CliRun } from '../../../test/harness/sls';
