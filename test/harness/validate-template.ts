// Checks every resource of a CloudFormation template against AWS's published resource specification
// (@aws-cdk/aws-service-spec): types, properties at any depth, required properties, value kinds, references.
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { PropertyType, Resource, ResourceProperties, TypeDefinition } from '@aws-cdk/service-spec-types';

type SpecDatabase = ReturnType<typeof loadAwsServiceSpecSync>;

/** A template as `JSON.parse` gives it: the validator trusts nothing about its shape. */
export type TemplateLike = { Resources?: unknown; [key: string]: unknown };

const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'Condition',
  'Metadata',
  'UpdatePolicy',
  'CreationPolicy',
]);

const DELETION_POLICIES = new Set(['Delete', 'Retain', 'Snapshot', 'RetainExceptOnCreate']);

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

const INTRINSICS = new Set([
  'Ref',
  'Fn::GetAtt',
  'Fn::Sub',
  'Fn::Join',
  'Fn::If',
  'Fn::Select',
  'Fn::ImportValue',
  'Fn::GetAZs',
  'Fn::Split',
  'Fn::FindInMap',
  'Fn::Base64',
  'Fn::Cidr',
  'Fn::Length',
  'Fn::ToJsonString',
  'Fn::Equals',
  'Fn::And',
  'Fn::Or',
  'Fn::Not',
  'Condition',
]);

let cached: SpecDatabase | undefined;

/** The specification database, loaded once per process (about 0.8 s: gunzip + JSON of ~2.6 MB). */
export function specDatabase(): SpecDatabase {
  cached ??= loadAwsServiceSpecSync();
  return cached;
}

/** The spec's entry for a resource type, or undefined when AWS publishes no such type. */
export function resourceSpec(type: string): Resource | undefined {
  const found = specDatabase().lookup('resource', 'cloudFormationType', 'equals', type);
  return found.length ? found[0] : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function intrinsicName(value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 && INTRINSICS.has(keys[0] as string) ? keys[0] : undefined;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** Whether a value has the outer shape of a type (a literal, an object, a list), before any deeper check. */
function fitsShape(value: unknown, type: PropertyType): boolean {
  switch (type.type) {
    case 'json':
      return true;
    case 'string':
    case 'date-time':
    case 'number':
    case 'integer':
    case 'boolean':
      return ['string', 'number', 'boolean'].includes(typeof value);
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'tag':
    case 'ref':
    case 'map':
      return isPlainObject(value);
    case 'union':
      return type.types.some((alternative) => fitsShape(value, alternative));
  }
}

function describeType(type: PropertyType): string {
  switch (type.type) {
    case 'array':
      return 'a list';
    case 'map':
    case 'ref':
    case 'tag':
      return 'an object';
    case 'union':
      return type.types.map(describeType).join(' or ');
    case 'integer':
      return 'an integer';
    default:
      return `a ${type.type}`;
  }
}

function joinPath(path: string, key: string): string {
  return /^[A-Za-z0-9_]+$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

class TemplateChecker {
  readonly problems: string[] = [];
  private readonly resources: Record<string, unknown>;
  private readonly parameters: Set<string>;
  private readonly conditions: Set<string>;

  constructor(private readonly template: TemplateLike) {
    this.resources = isPlainObject(template.Resources) ? template.Resources : {};
    this.parameters = new Set(isPlainObject(template.Parameters) ? Object.keys(template.Parameters) : []);
    this.conditions = new Set(isPlainObject(template.Conditions) ? Object.keys(template.Conditions) : []);
  }

  private problem(path: string, message: string): void {
    this.problems.push(`${path}: ${message}`);
  }

  check(): void {
    if (!isPlainObject(this.template.Resources) || !Object.keys(this.template.Resources).length) {
      this.problem('Resources', 'a template needs at least one resource');
      return;
    }
    for (const [id, resource] of Object.entries(this.resources)) this.checkResource(id, resource);
    if (isPlainObject(this.template.Outputs)) {
      for (const [id, output] of Object.entries(this.template.Outputs)) {
        const path = `Outputs.${id}`;
        if (!isPlainObject(output) || !('Value' in output)) this.problem(path, 'an output needs a Value');
        else this.checkValue(`${path}.Value`, output.Value, undefined);
        if (isPlainObject(output) && isPlainObject(output.Export)) {
          this.checkValue(`${path}.Export.Name`, output.Export.Name, undefined);
        }
      }
    }
  }

  private checkResource(id: string, resource: unknown): void {
    const path = `Resources.${id}`;
    if (!/^[A-Za-z0-9]+$/.test(id)) this.problem(path, 'logical ids must be alphanumeric');
    if (!isPlainObject(resource)) {
      this.problem(path, `expected an object, got ${kindOf(resource)}`);
      return;
    }
    // The framework's own custom resources (an `s3` event with `existing: true`) carry a legacy
    // `Version: 1.0` attribute, which CloudFormation accepts on custom resources.
    const custom =
      typeof resource.Type === 'string' &&
      (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource');
    for (const key of Object.keys(resource)) {
      if (RESOURCE_KEYS.has(key) || (custom && key === 'Version')) continue;
      this.problem(`${path}.${key}`, 'unknown resource attribute');
    }
    for (const key of ['DeletionPolicy', 'UpdateReplacePolicy'] as const) {
      const policy = resource[key];
      if (policy !== undefined && !DELETION_POLICIES.has(policy as string)) {
        this.problem(
          `${path}.${key}`,
          `${JSON.stringify(policy)} is not one of ${[...DELETION_POLICIES].join(', ')}`,
        );
      }
    }
    if (resource.DependsOn !== undefined) {
      const targets = [resource.DependsOn].flat();
      for (const target of targets) {
        if (typeof target !== 'string')
          this.problem(`${path}.DependsOn`, `expected logical ids, got ${kindOf(target)}`);
        else if (!(target in this.resources))
          this.problem(`${path}.DependsOn`, `depends on ${target}, which is not in the template`);
      }
    }
    if (resource.Condition !== undefined && !this.conditions.has(resource.Condition as string)) {
      this.problem(
        `${path}.Condition`,
        `condition ${JSON.stringify(resource.Condition)} is not in Conditions`,
      );
    }
    if (resource.Metadata !== undefined && !isPlainObject(resource.Metadata)) {
      this.problem(`${path}.Metadata`, `expected an object, got ${kindOf(resource.Metadata)}`);
    }

    const type = resource.Type;
    if (typeof type !== 'string') {
      this.problem(`${path}.Type`, 'required');
      return;
    }
    const propsPath = `${path}.Properties`;
    const properties = resource.Properties;
    if (properties !== undefined && !isPlainObject(properties)) {
      this.problem(propsPath, `expected an object, got ${kindOf(properties)}`);
      return;
    }
    // Custom resources take any properties; only the provider they call is required.
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') {
      if (!properties || properties.ServiceToken === undefined)
        this.problem(`${propsPath}.ServiceToken`, 'required');
      for (const [key, value] of Object.entries(properties ?? {}))
        this.checkValue(joinPath(propsPath, key), value, undefined);
      return;
    }
    const spec = resourceSpec(type);
    if (!spec) {
      this.problem(`${path}.Type`, `unknown resource type ${type}`);
      return;
    }
    this.checkObject(propsPath, properties ?? {}, spec.properties);
  }

  private checkObject(path: string, value: Record<string, unknown>, properties: ResourceProperties): void {
    for (const [key, child] of Object.entries(value)) {
      const property = properties[key];
      if (!property) {
        this.problem(joinPath(path, key), 'unknown property');
        continue;
      }
      const types = [property.type, ...(property.previousTypes ?? [])];
      this.checkValue(
        joinPath(path, key),
        child,
        types.length > 1 ? { type: 'union', types } : property.type,
      );
    }
    for (const [key, property] of Object.entries(properties)) {
      if (property.required && !(key in value)) this.problem(joinPath(path, key), 'required');
    }
  }

  /** Checks one value against its spec type (`undefined`: anything goes, only references are checked). */
  private checkValue(path: string, value: unknown, type: PropertyType | undefined): void {
    const intrinsic = intrinsicName(value);
    if (intrinsic) {
      this.checkIntrinsic(path, intrinsic, (value as Record<string, unknown>)[intrinsic], type);
      return;
    }
    if (!type || type.type === 'json') {
      this.checkNested(path, value);
      return;
    }
    switch (type.type) {
      case 'string':
      case 'date-time':
        // CloudFormation turns number and boolean literals into strings; objects and lists are wrong.
        if (!['string', 'number', 'boolean'].includes(typeof value)) {
          this.problem(path, `expected a string, got ${kindOf(value)}`);
        } else if (
          type.type === 'string' &&
          type.allowedValues?.length &&
          !type.allowedValues.includes(String(value))
        ) {
          this.problem(path, `${JSON.stringify(value)} is not one of ${type.allowedValues.join(', ')}`);
        }
        return;
      case 'number':
      case 'integer': {
        const numeric =
          typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()));
        if (!numeric)
          this.problem(
            path,
            `expected ${type.type === 'integer' ? 'an integer' : 'a number'}, got ${kindOf(value)}`,
          );
        else if (type.type === 'integer' && !Number.isInteger(Number(value)))
          this.problem(path, `expected an integer, got ${String(value)}`);
        else if (
          type.type === 'integer' &&
          type.allowedValues?.length &&
          !type.allowedValues.includes(Number(value))
        )
          this.problem(path, `${JSON.stringify(value)} is not one of ${type.allowedValues.join(', ')}`);
        return;
      }
      case 'boolean':
        if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') {
          this.problem(path, `expected a boolean, got ${kindOf(value)}`);
        }
        return;
      case 'null':
        if (value !== null) this.problem(path, `expected null, got ${kindOf(value)}`);
        return;
      case 'tag':
        if (!isPlainObject(value)) {
          this.problem(path, `expected a tag { Key, Value }, got ${kindOf(value)}`);
          return;
        }
        this.checkObject(path, value, {
          Key: { type: { type: 'string' }, required: true },
          Value: { type: { type: 'string' }, required: true },
        });
        return;
      case 'array':
        if (!Array.isArray(value)) {
          this.problem(path, `expected a list, got ${kindOf(value)}`);
          return;
        }
        value.forEach((element, i) => this.checkValue(`${path}[${i}]`, element, type.element));
        return;
      case 'map':
        if (!isPlainObject(value)) {
          this.problem(path, `expected a map, got ${kindOf(value)}`);
          return;
        }
        for (const [key, element] of Object.entries(value))
          this.checkValue(joinPath(path, key), element, type.element);
        return;
      case 'ref': {
        const definition = specDatabase().get('typeDefinition', type.reference.$ref) as TypeDefinition;
        if (!isPlainObject(value)) {
          this.problem(path, `expected an object (${definition.name}), got ${kindOf(value)}`);
          return;
        }
        this.checkObject(path, value, definition.properties);
        return;
      }
      case 'union': {
        // The first alternative that fits wins; otherwise report the first one of the value's shape.
        const shaped = type.types.filter((alternative) => fitsShape(value, alternative));
        for (const alternative of shaped) {
          const trial = new TemplateChecker(this.template);
          trial.checkValue(path, value, alternative);
          if (!trial.problems.length) return;
        }
        if (shaped[0]) this.checkValue(path, value, shaped[0]);
        else
          this.problem(path, `expected ${type.types.map(describeType).join(' or ')}, got ${kindOf(value)}`);
        return;
      }
    }
  }

  /** Free-form values (JSON properties, Metadata, custom resources): only intrinsics inside are checked. */
  private checkNested(path: string, value: unknown): void {
    if (Array.isArray(value))
      value.forEach((element, i) => this.checkValue(`${path}[${i}]`, element, undefined));
    else if (isPlainObject(value)) {
      for (const [key, element] of Object.entries(value))
        this.checkValue(joinPath(path, key), element, undefined);
    }
  }

  /** `type` is what the intrinsic stands for: the branches of `Fn::If` must be of that type. */
  private checkIntrinsic(path: string, name: string, argument: unknown, type?: PropertyType): void {
    const at = `${path}.${name}`;
    switch (name) {
      case 'Ref':
        if (typeof argument !== 'string') this.problem(at, `expected a logical id, got ${kindOf(argument)}`);
        else this.checkTarget(at, argument);
        return;
      case 'Fn::GetAtt': {
        const parts =
          typeof argument === 'string'
            ? [argument.slice(0, argument.indexOf('.')), argument.slice(argument.indexOf('.') + 1)]
            : argument;
        if (!Array.isArray(parts) || parts.length !== 2 || typeof parts[0] !== 'string' || !parts[0]) {
          this.problem(at, 'expected [logicalId, attribute]');
          return;
        }
        this.checkAttribute(at, parts[0], parts[1]);
        return;
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
        if (typeof text !== 'string' || !isPlainObject(variables)) {
          this.problem(at, 'expected a string or [string, { variables }]');
          return;
        }
        for (const [key, variable] of Object.entries(variables))
          this.checkValue(joinPath(at, key), variable, undefined);
        for (const match of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
          const reference = (match[1] as string).trim();
          if (reference in variables) continue;
          const dot = reference.indexOf('.');
          if (dot < 0) this.checkTarget(at, reference);
          else this.checkAttribute(at, reference.slice(0, dot), reference.slice(dot + 1));
        }
        return;
      }
      case 'Fn::If': {
        if (!Array.isArray(argument) || argument.length !== 3 || typeof argument[0] !== 'string') {
          this.problem(at, 'expected [condition, valueIfTrue, valueIfFalse]');
          return;
        }
        if (!this.conditions.has(argument[0]))
          this.problem(at, `condition ${argument[0]} is not in Conditions`);
        this.checkValue(`${at}[1]`, argument[1], type);
        this.checkValue(`${at}[2]`, argument[2], type);
        return;
      }
      case 'Condition':
        if (typeof argument !== 'string' || !this.conditions.has(argument)) {
          this.problem(at, `condition ${JSON.stringify(argument)} is not in Conditions`);
        }
        return;
      case 'Fn::Join':
        if (!Array.isArray(argument) || argument.length !== 2 || typeof argument[0] !== 'string') {
          this.problem(at, 'expected [delimiter, [values]]');
          return;
        }
        this.checkValue(`${at}[1]`, argument[1], undefined);
        return;
      default:
        this.checkValue(at, argument, undefined);
    }
  }

  private checkTarget(path: string, name: string): void {
    if (PSEUDO_PARAMETERS.has(name) || this.parameters.has(name) || name in this.resources) return;
    this.problem(
      path,
      `refers to ${name}, which is not a resource, parameter or pseudo parameter of the template`,
    );
  }

  private checkAttribute(path: string, id: string, attribute: unknown): void {
    const target = this.resources[id];
    if (!isPlainObject(target)) {
      this.problem(path, `refers to ${id}, which is not a resource of the template`);
      return;
    }
    if (typeof attribute !== 'string') return; // e.g. an attribute name chosen by a Ref
    const type = target.Type;
    if (
      typeof type !== 'string' ||
      type.startsWith('Custom::') ||
      type === 'AWS::CloudFormation::CustomResource' ||
      // A nested stack's attributes are its outputs, which the specification cannot know.
      (type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.'))
    )
      return;
    const spec = resourceSpec(type);
    if (spec && !(attribute in spec.attributes)) {
      this.problem(
        path,
        `${type} has no attribute ${attribute} (it has ${Object.keys(spec.attributes).join(', ') || 'none'})`,
      );
    }
  }
}

/** Every problem of the template, one line each (`Resources.<Id>.Properties.<path>: <problem>`). */
export function templateProblems(template: TemplateLike): string[] {
  const checker = new TemplateChecker(template);
  checker.check();
  return checker.problems;
}

/** Throws one Error listing every problem when the template does not match AWS's resource specification. */
export function validateTemplate(template: TemplateLike | object): void {
  const problems = templateProblems(template as TemplateLike);
  if (problems.length) {
    throw new Error(`template does not match the AWS resource specification:\n  ${problems.join('\n  ')}`);
  }
}
