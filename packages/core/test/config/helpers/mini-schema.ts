// A deliberately tiny JSON Schema checker for the keywords vbloraConfigJsonSchema() emits (no ajv here). It throws
// on any keyword it does not know, so the schema cannot grow a rule this checker silently ignores.

type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['$schema', 'title', 'description', 'default']);
const KNOWN = new Set([
  ...ANNOTATIONS,
  'type',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'minItems',
  'pattern',
  'items',
  'properties',
  'required',
  'additionalProperties',
  'anyOf',
  'allOf',
  'if',
  'then',
  'not',
]);

function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'null':
      return v === null;
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      throw new Error(`unknown type ${t}`);
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether `v` satisfies `schema` (for the keywords listed above). */
export function schemaAccepts(schema: Schema, v: unknown): boolean {
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) throw new Error(`unsupported keyword ${key}`);
  const s = schema as {
    type?: string | string[];
    enum?: unknown[];
    minimum?: number;
    maximum?: number;
    minLength?: number;
    minItems?: number;
    pattern?: string;
    items?: Schema;
    properties?: Record<string, Schema>;
    required?: string[];
    additionalProperties?: unknown;
    anyOf?: Schema[];
    allOf?: Schema[];
    if?: Schema;
    then?: Schema;
    not?: Schema;
  };
  if (s.additionalProperties !== undefined && s.additionalProperties !== true) throw new Error('unsupported');
  if (s.type !== undefined && ![s.type].flat().some((t) => typeOk(t, v))) return false;
  if (s.enum !== undefined && !s.enum.some((e) => same(e, v))) return false;
  if (typeof v === 'number') {
    if (s.minimum !== undefined && !(v >= s.minimum)) return false;
    if (s.maximum !== undefined && !(v <= s.maximum)) return false;
  }
  if (typeof v === 'string') {
    if (s.minLength !== undefined && [...v].length < s.minLength) return false;
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v)) return false;
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) return false;
    if (s.items !== undefined && !v.every((item) => schemaAccepts(s.items as Schema, item))) return false;
  }
  if (typeOk('object', v)) {
    const o = v as Record<string, unknown>;
    if (s.required !== undefined && !s.required.every((k) => Object.prototype.hasOwnProperty.call(o, k))) return false;
    for (const [k, sub] of Object.entries(s.properties ?? {})) {
      if (Object.prototype.hasOwnProperty.call(o, k) && !schemaAccepts(sub, o[k])) return false;
    }
  }
  if (s.anyOf !== undefined && !s.anyOf.some((sub) => schemaAccepts(sub, v))) return false;
  if (s.allOf !== undefined && !s.allOf.every((sub) => schemaAccepts(sub, v))) return false;
  if (s.not !== undefined && schemaAccepts(s.not, v)) return false;
  if (s.if !== undefined && schemaAccepts(s.if, v) && s.then !== undefined && !schemaAccepts(s.then, v)) return false;
  return true;
}
