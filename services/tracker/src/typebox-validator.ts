/**
 * Fastify's validator compiler for TypeBox schemas: the compiled TypeBox check, as
 * @fastify/type-provider-typebox does it, with one difference. Query strings, params and headers
 * arrive as strings, so a schema that wants a number or boolean needs TypeBox's `Value.Convert`
 * first; that walk is dynamic (it interprets the schema on every call) and cost more than the
 * compiled check. Here it runs only for schemas that have something to convert: a query of strings
 * only (`?email=`, the hottest route) is checked as it is.
 */
import type { FastifySchemaCompiler } from 'fastify'
import { Compile } from 'typebox/compile'
import { Value } from 'typebox/value'

interface SchemaLike {
  type?: unknown
  properties?: Record<string, object>
  additionalProperties?: unknown
}

const COMBINATORS = ['anyOf', 'allOf', 'oneOf', 'not', 'if', 'then', 'else', '$ref', 'items', 'patternProperties']

/** True when every value the schema accepts is a string already: nothing for Value.Convert to do. */
function onlyStrings(schema: object): boolean {
  if (COMBINATORS.some((key) => key in schema)) return false
  return (schema as SchemaLike).type === 'string'
}

/** Whether a querystring/params/headers schema has fields that are not plain strings. */
export function needsConversion(schema: SchemaLike): boolean {
  if (schema.type !== 'object' || COMBINATORS.some((key) => key in schema)) return true
  const properties = schema.properties ?? {}
  const extra = schema.additionalProperties
  if (extra !== undefined && extra !== false && !(typeof extra === 'object' && extra !== null && onlyStrings(extra))) return true
  return !Object.values(properties).every(onlyStrings)
}

export const typeboxValidatorCompiler: FastifySchemaCompiler<SchemaLike> = ({ schema, httpPart }) => {
  const check = Compile(schema as Parameters<typeof Compile>[0])
  const convert = httpPart !== 'body' && needsConversion(schema)
  return (value: unknown) => {
    const candidate = convert ? Value.Convert(schema as Parameters<typeof Value.Convert>[0], value) : value
    if (check.Check(candidate)) return { value: candidate }
    return { error: check.Errors(candidate) as unknown as Error }
  }
}
