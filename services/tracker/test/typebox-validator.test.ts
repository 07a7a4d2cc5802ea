import t from 'tap'
import { Type } from 'typebox'
import { needsConversion, typeboxValidatorCompiler } from '../src/typebox-validator.js'

t.test('needsConversion: only schemas with non-string fields pay for Value.Convert', async (t) => {
  t.equal(needsConversion(Type.Object({ email: Type.String() })), false, 'strings only: checked as is')
  t.equal(needsConversion(Type.Object({ email: Type.String({ format: 'email' }), cursor: Type.Optional(Type.String()) })), false, 'optional strings too')
  t.equal(needsConversion(Type.Object({ limit: Type.Integer() })), true, 'an integer field is converted')
  t.equal(needsConversion(Type.Object({ all: Type.Boolean() })), true, 'a boolean field is converted')
  t.equal(needsConversion(Type.Object({ x: Type.Union([Type.String(), Type.Number()]) })), true, 'a union is converted')
  t.equal(needsConversion(Type.Object({}, { additionalProperties: Type.Number() })), true, 'numeric extra properties are converted')
})

t.test('the compiled validator: converts query numbers, refuses what the schema refuses', async (t) => {
  const query = typeboxValidatorCompiler({ schema: Type.Object({ limit: Type.Integer({ minimum: 1 }) }), httpPart: 'querystring', method: 'GET', url: '/' }) as (v: unknown) => { value?: unknown; error?: unknown }
  t.same(query({ limit: '5' }).value, { limit: 5 }, '"5" becomes 5')
  t.ok(query({ limit: '0' }).error, 'below the minimum is an error')
  t.ok(query({ limit: 'x' }).error, 'not a number is an error')
  const strings = typeboxValidatorCompiler({ schema: Type.Object({ email: Type.String({ minLength: 3 }) }, { additionalProperties: false }), httpPart: 'querystring', method: 'GET', url: '/' }) as (v: unknown) => { value?: unknown; error?: unknown }
  t.same(strings({ email: 'a@b' }).value, { email: 'a@b' }, 'a string query passes unchanged')
  t.ok(strings({ email: ['a@b', 'c@d'] }).error, 'a repeated parameter (an array) is refused')
  t.ok(strings({ email: 'a@b', other: '1' }).error, 'an unknown parameter is refused')
  const body = typeboxValidatorCompiler({ schema: Type.Object({ port: Type.Integer() }), httpPart: 'body', method: 'POST', url: '/' }) as (v: unknown) => { value?: unknown; error?: unknown }
  t.ok(body({ port: '80' }).error, 'bodies are JSON: "80" is not converted to a number')
})
