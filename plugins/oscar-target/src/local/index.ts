// The local side of oscar-target: an OSCAR service's script run on this machine (`sls invoke local`).
export { minioEvent, OSCAR_SCRIPT_VARIABLES, runOscarScriptLocally } from './run';
export type { OscarLocalResult, OscarLocalRun, OscarUpload } from './run';
