// Where each plugin leaves its trigger units for the others, so the loop check sees the whole service.
// It lives on the framework instance under a `Symbol.for` key: every plugin bundles its own copy of core,
// and a module-level variable would be one plugin's alone.
import { checkTriggerCycles, type TriggerUnit } from './trigger-graph';

/** Versioned: a later shape gets a new key rather than confusing an older copy of core. */
const REGISTRY = Symbol.for('@serverless-continuum/trigger-units/v1');

interface TriggerRegistry {
  /** Plugin name -> the units it owns. */
  units: Record<string, TriggerUnit[]>;
  /** The units last found free of loops (JSON), so a second plugin's check says nothing new. */
  checked?: string;
}

function registry(host: object): TriggerRegistry {
  const slot = host as { [REGISTRY]?: TriggerRegistry };
  slot[REGISTRY] ??= { units: {} };
  return slot[REGISTRY];
}

/** Records (or replaces) the units one plugin owns; call it once its config is resolved. */
export function publishTriggerUnits(host: object, owner: string, units: TriggerUnit[]): void {
  registry(host).units[owner] = units;
}

/** Every unit published so far, by owner name order. */
export function publishedTriggerUnits(host: object): TriggerUnit[] {
  const { units } = registry(host);
  return Object.keys(units)
    .sort()
    .flatMap((owner) => units[owner]!);
}

/**
 * Refuses a loop among every published unit. Each plugin calls it from a hook that runs after all of them
 * published; the first call does the work and throws, a later one with the same units returns at once.
 */
export function checkPublishedTriggers(host: object): void {
  const units = publishedTriggerUnits(host);
  const key = JSON.stringify(units);
  const state = registry(host);
  if (state.checked === key) return;
  checkTriggerCycles(units);
  state.checked = key;
}
