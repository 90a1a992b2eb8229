// The pure balancer of tascaas: the first split, RUPER-LB's rebalancing with exactness, and the capacity hint.
export * from './types';
export { splitIterations, reportIntervalFor } from './split';
export { newJobBalance, applyEvent, UNKNOWN_ETA, type NewJob } from './balancer';
export { capacityHint, formatCapacity, type CapacityHint, type CapacityInputs } from './capacity';
