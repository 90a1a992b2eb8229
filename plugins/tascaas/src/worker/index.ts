// @serverless-continuum/tascaas/worker: the infrastructure runner, the program SDK and the Lambda middleware.
export type { LbAnswer, PartitionLease, WorkerChannel } from './types';
export {
  ApiError,
  download,
  HttpChannel,
  parseLbAnswer,
  TascaasClient,
  upload,
  type ClientOptions,
  type JobsAnswer,
  type NodeRegistration,
  type NodeStatus,
  type PartitionDelivery,
} from './client';
export {
  programArguments,
  programEnvironment,
  runInfrastructure,
  slotsForCap,
  type InfrastructureOptions,
  type InfrastructureSummary,
} from './infrastructure';
export {
  partitionFromEnv,
  partitionOf,
  runPartition,
  type Partition,
  type PartitionOptions,
  type PartitionRecord,
  type PartitionRun,
  type PartitionWork,
} from './program';
export {
  NOTHING_TO_RUN,
  tascaasWorker,
  type PartitionClaim,
  type PartitionEventLike,
  type PartitionRecordLike,
  type PartitionSource,
  type TascaasContext,
  type TascaasWorkerOptions,
} from './middleware';
export { lambdaPartitionSource } from './lambda';
