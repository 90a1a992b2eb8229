// The graph of a service's storage triggers: an edge runs from a unit (a container function, a mapreduce job)
// to another when an object the first writes can start the second. A cycle would run without end once deployed.
import { ConfigError } from '../errors';
import { describeBinding, outputCanTriggerInput, type ResolvedBinding } from './model';

/** One binding of a unit, with the config path the user wrote it at (`functions.a.input[0]`). */
export interface TriggerBinding {
  path: string;
  binding: ResolvedBinding;
}

/**
 * Something that storage events start and that writes to storage. Plain data only: plugins hand these to
 * each other through the framework instance, each with its own copy of core.
 */
export interface TriggerUnit {
  /** Its config path, in the user's words: `functions.thumb`, or a job's path under `custom`. */
  path: string;
  /** Where an imported unit was written, for messages: `scar/loop.yaml functions.aws[0].lambda`. */
  source?: string;
  /** What starts it. */
  inputs: TriggerBinding[];
  /** Everything it writes to. */
  outputs: TriggerBinding[];
}

/** `from` writes under `output`, which starts `to` through `input`. */
export interface TriggerEdge {
  from: TriggerUnit;
  output: TriggerBinding;
  to: TriggerUnit;
  input: TriggerBinding;
}

/** Every edge, in a stable order: units by path, then bindings in the order they were written. */
export function triggerEdges(units: TriggerUnit[]): TriggerEdge[] {
  const sorted = sortUnits(units);
  return sorted.flatMap((from) =>
    from.outputs.flatMap((output) =>
      sorted.flatMap((to) =>
        to.inputs
          .filter((input) => outputCanTriggerInput(input.binding, output.binding))
          .map((input) => ({ from, output, to, input })),
      ),
    ),
  );
}

/**
 * The trigger loops of a service, each as the edges that close it (shortest first). Every unit that lies on
 * some loop is in one of them, so that a message can name all of them; the same units give the same loops.
 */
export function findTriggerCycles(units: TriggerUnit[]): TriggerEdge[][] {
  const edges = triggerEdges(units);
  const cycles: TriggerEdge[][] = [];
  for (const component of stronglyConnected(sortUnits(units), edges)) {
    const inside = edges.filter((e) => component.has(e.from) && component.has(e.to));
    if (!inside.length) continue;
    const covered = new Set<TriggerUnit>();
    for (const unit of component) {
      if (covered.has(unit)) continue;
      const cycle = shortestCycle(unit, inside);
      if (!cycle) continue;
      cycles.push(cycle);
      for (const edge of cycle) covered.add(edge.from);
    }
  }
  return cycles;
}

/** `functions.a.output[0] (b/x) -> functions.b.input[0] (b/x) -> ... -> back to functions.a`. */
export function describeTriggerCycle(cycle: TriggerEdge[]): string {
  const hops = cycle.flatMap((edge) => [
    `${edge.output.path} (${describeBinding(edge.output.binding)})`,
    `${edge.input.path} (${describeBinding(edge.input.binding)})${edge.to.source ? ` [imported from ${edge.to.source}]` : ''}`,
  ]);
  return `${hops.join(' -> ')} -> back to ${cycle[0]!.from.path}`;
}

/** Refuses a service with a trigger loop, naming every unit and binding path of each loop. */
export function checkTriggerCycles(units: TriggerUnit[]): void {
  const cycles = findTriggerCycles(units);
  if (!cycles.length) return;
  const first = cycles[0]![0]!;
  const loops = cycles.map(describeTriggerCycle);
  throw new ConfigError(
    first.output.path,
    `${cycles.length === 1 ? 'starts a trigger loop' : `starts one of ${cycles.length} trigger loops`}: ${loops.join('; and ')}: every object written there would start the loop again, without end`,
    'write one output of each loop where no input of the loop listens: another bucket, or a prefix outside the inputs',
  );
}

function sortUnits(units: TriggerUnit[]): TriggerUnit[] {
  return [...units].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Tarjan's algorithm: the strongly connected components, each in the order of `units`. */
function stronglyConnected(units: TriggerUnit[], edges: TriggerEdge[]): Array<Set<TriggerUnit>> {
  const order = new Map(units.map((unit, i) => [unit, i]));
  const index = new Map<TriggerUnit, number>();
  const low = new Map<TriggerUnit, number>();
  const stack: TriggerUnit[] = [];
  const onStack = new Set<TriggerUnit>();
  const components: Array<Set<TriggerUnit>> = [];
  const visit = (unit: TriggerUnit): void => {
    index.set(unit, index.size);
    low.set(unit, index.get(unit)!);
    stack.push(unit);
    onStack.add(unit);
    for (const edge of edges) {
      if (edge.from !== unit) continue;
      if (!index.has(edge.to)) {
        visit(edge.to);
        low.set(unit, Math.min(low.get(unit)!, low.get(edge.to)!));
      } else if (onStack.has(edge.to)) low.set(unit, Math.min(low.get(unit)!, index.get(edge.to)!));
    }
    if (low.get(unit) !== index.get(unit)) return;
    const members: TriggerUnit[] = [];
    let member: TriggerUnit;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      members.push(member);
    } while (member !== unit);
    components.push(new Set(members.sort((a, b) => order.get(a)! - order.get(b)!)));
  };
  for (const unit of units) if (!index.has(unit)) visit(unit);
  return components.sort((a, b) => order.get([...a][0]!)! - order.get([...b][0]!)!);
}

/** Breadth-first: the fewest edges that lead from `start` back to it. */
function shortestCycle(start: TriggerUnit, edges: TriggerEdge[]): TriggerEdge[] | undefined {
  const reachedBy = new Map<TriggerUnit, TriggerEdge>();
  let frontier = [start];
  while (frontier.length) {
    const next: TriggerUnit[] = [];
    for (const unit of frontier) {
      for (const edge of edges) {
        if (edge.from !== unit) continue;
        if (edge.to === start) {
          const path = [edge];
          for (let at = unit; at !== start; at = reachedBy.get(at)!.from) path.unshift(reachedBy.get(at)!);
          return path;
        }
        if (!reachedBy.has(edge.to)) {
          reachedBy.set(edge.to, edge);
          next.push(edge.to);
        }
      }
    }
    frontier = next;
  }
  return undefined;
}
