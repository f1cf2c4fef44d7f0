/**
 * A small JSON Schema draft-4 validator, for tests only: it checks saved notebooks against the official
 * nbformat schema without shipping a schema library. It covers the keywords that schema uses (and a few more).
 */

export type Schema = boolean | { [keyword: string]: unknown };

/** Validates `value` against `schema`; returns one message per failure, each starting with a JSON pointer. */
export function validate(value: unknown, schema: Schema): string[] {
  return check(value, schema, '', schema);
}

function check(value: unknown, schema: Schema, path: string, root: Schema): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${at(path)}: no value is allowed here`];
  // In draft 4, keywords beside $ref are ignored.
  if (typeof schema.$ref === 'string') return check(value, resolve(schema.$ref, root), path, root);

  const errors: string[] = [];
  const fail = (message: string) => errors.push(`${at(path)}: ${message}`);

  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((type) => hasType(value, type))) fail(`is ${typeName(value)}, expected ${types.join(' or ')}`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => equal(option, value))) {
    fail(`is ${JSON.stringify(value)}, expected one of ${JSON.stringify(schema.enum)}`);
  }
  if ('const' in schema && !equal(schema.const, value)) fail(`is ${JSON.stringify(value)}, expected ${JSON.stringify(schema.const)}`);

  if (Array.isArray(schema.allOf)) for (const part of schema.allOf) errors.push(...check(value, part as Schema, path, root));
  if (Array.isArray(schema.anyOf)) {
    const results = schema.anyOf.map((part) => check(value, part as Schema, path, root));
    if (!results.some((result) => result.length === 0)) fail(`matches none of anyOf: ${summary(results)}`);
  }
  if (Array.isArray(schema.oneOf)) {
    const results = schema.oneOf.map((part) => check(value, part as Schema, path, root));
    const matches = results.filter((result) => result.length === 0).length;
    if (matches === 0) fail(`matches none of oneOf: ${summary(results)}`);
    if (matches > 1) fail(`matches ${matches} of oneOf, expected exactly one`);
  }
  if (schema.not !== undefined && check(value, schema.not as Schema, path, root).length === 0) {
    fail(`matches a schema it must not match (${JSON.stringify(schema.not)})`);
  }

  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof schema.minLength === 'number' && length < schema.minLength) fail(`is shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) fail(`is longer than ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) {
      fail(`${JSON.stringify(value)} does not match ${schema.pattern}`);
    }
  }

  if (typeof value === 'number') {
    const { minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf } = schema;
    if (typeof minimum === 'number' && (exclusiveMinimum === true ? value <= minimum : value < minimum)) {
      fail(`${value} is below the minimum ${minimum}`);
    }
    if (typeof maximum === 'number' && (exclusiveMaximum === true ? value >= maximum : value > maximum)) {
      fail(`${value} is above the maximum ${maximum}`);
    }
    if (typeof multipleOf === 'number' && !Number.isInteger(value / multipleOf)) fail(`is not a multiple of ${multipleOf}`);
  }

  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) fail(`has fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) fail(`has more than ${schema.maxItems} items`);
    if (schema.uniqueItems === true) {
      value.forEach((item, index) => {
        const first = value.findIndex((other) => equal(other, item));
        if (first !== index) fail(`item ${index} repeats item ${first}`);
      });
    }
    if (Array.isArray(schema.items)) {
      value.forEach((item, index) => {
        const itemSchema = index < (schema.items as Schema[]).length ? (schema.items as Schema[])[index] : schema.additionalItems;
        if (itemSchema !== undefined) errors.push(...check(item, itemSchema as Schema, `${path}/${index}`, root));
      });
    } else if (schema.items !== undefined) {
      value.forEach((item, index) => errors.push(...check(item, schema.items as Schema, `${path}/${index}`, root)));
    }
  }

  if (isObject(value)) {
    const keys = Object.keys(value);
    if (typeof schema.minProperties === 'number' && keys.length < schema.minProperties) fail(`has fewer than ${schema.minProperties} properties`);
    if (typeof schema.maxProperties === 'number' && keys.length > schema.maxProperties) fail(`has more than ${schema.maxProperties} properties`);
    if (Array.isArray(schema.required)) {
      for (const key of schema.required as string[]) if (!(key in value)) fail(`"${key}" is required`);
    }
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    const patterns = Object.entries((schema.patternProperties ?? {}) as Record<string, Schema>).map(
      ([pattern, patternSchema]) => [new RegExp(pattern), patternSchema] as const,
    );
    for (const key of keys) {
      const child = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      let matched = false;
      if (Object.hasOwn(properties, key)) {
        matched = true;
        errors.push(...check(value[key], properties[key]!, child, root));
      }
      for (const [pattern, patternSchema] of patterns) {
        if (pattern.test(key)) {
          matched = true;
          errors.push(...check(value[key], patternSchema, child, root));
        }
      }
      if (!matched && schema.additionalProperties !== undefined) {
        if (schema.additionalProperties === false) fail(`has a property "${key}" the schema does not allow`);
        else errors.push(...check(value[key], schema.additionalProperties as Schema, child, root));
      }
    }
  }
  return errors;
}

/** Resolves a reference inside the same document, such as `#/definitions/misc/source`. */
function resolve(ref: string, root: Schema): Schema {
  if (!ref.startsWith('#')) throw new Error(`Only local references are supported, not ${ref}`);
  let target: unknown = root;
  for (const part of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isObject(target) || !(key in target)) throw new Error(`Unresolvable reference ${ref}`);
    target = target[key];
  }
  return target as Schema;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      throw new Error(`Unknown JSON Schema type ${type}`);
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Number.isInteger(value)) return 'an integer';
  return `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => equal(item, b[index]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && equal(a[key], b[key]));
  }
  return false;
}

function summary(results: string[][]): string {
  return results.map((result, index) => `[${index}] ${result.slice(0, 3).join('; ')}`).join(' | ');
}

function at(path: string): string {
  return path || '/';
}
