import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import { parse } from 'yaml'

/** The admin plane's OpenAPI document, checked by test/integration/admin/openapi.test.ts. */
export const OPENAPI_FILE = resolve(import.meta.dirname, '../../docs/openapi.yaml')

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const
/** The key the whole document is registered under in Ajv, so `#/components/schemas/X` resolves. */
const DOC_ID = 'sluice-openapi.json'

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
type Obj = { [k: string]: Json }

export interface DocumentedOperation {
  /** Upper case: GET, PUT, … */
  readonly method: string
  /** The path template as written: `/api/routes/{name}`. */
  readonly path: string
  readonly operationId: string
  /** Status codes listed, as strings. */
  readonly statuses: readonly string[]
  /** False when `security: []` (probes). */
  readonly needsToken: boolean
  readonly hasRequestBody: boolean
  /** Path parameter names in template order. */
  readonly pathParams: readonly string[]
  /** `$ref` of each status's response when it is one (`#/components/responses/NotFound`). */
  readonly responseRefs: Readonly<Record<string, string | undefined>>
}

/** One HTTP answer as the test received it. */
export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly text: string
}

/**
 * The document plus an Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1) that knows it whole:
 * every schema in it is compiled where it sits, so `$ref`s resolve as in any OpenAPI tool.
 */
export class OpenApiContract {
  readonly doc: Obj
  readonly #ajv: Ajv2020
  readonly #compiled = new Map<string, ValidateFunction>()

  constructor(file = OPENAPI_FILE) {
    this.doc = parse(readFileSync(file, 'utf8')) as Obj
    // strictSchema: a misspelt keyword (`requried`) is an error, not a schema that accepts anything.
    // strictTypes off: OpenAPI 3.1 schemas refine a `$ref` with sibling `properties` and no `type`.
    this.#ajv = new Ajv2020({
      strictSchema: true, strictTypes: false, strictTuples: false, allowUnionTypes: true, allErrors: true,
    })
    // No ajv-formats dependency for one format: an RFC 3339 timestamp as sluice writes them (toISOString).
    this.#ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/)
    // The document around the schemas is not a schema: its top-level fields are annotations to Ajv.
    this.#ajv.addVocabulary(Object.keys(this.doc))
    this.#ajv.addSchema(this.doc as object, DOC_ID)
  }

  /** Every operation, in document order. */
  operations(): DocumentedOperation[] {
    const out: DocumentedOperation[] = []
    for (const [path, item] of Object.entries(this.#obj(this.doc['paths']))) {
      for (const method of METHODS) {
        const op = this.#obj(item)[method]
        if (op === undefined) continue
        const operation = this.#obj(op)
        const responses = this.#obj(operation['responses'])
        const security = operation['security'] ?? this.doc['security']
        out.push({
          method: method.toUpperCase(),
          path,
          operationId: String(operation['operationId']),
          statuses: Object.keys(responses),
          needsToken: Array.isArray(security) && security.length > 0,
          hasRequestBody: operation['requestBody'] !== undefined,
          pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
          responseRefs: Object.fromEntries(Object.entries(responses).map(([s, r]) => [s, refOf(r)])),
        })
      }
    }
    return out
  }

  /** The object at a local `$ref` (`#/components/…`); throws when it does not resolve. */
  resolveRef(ref: string): Json {
    if (!ref.startsWith('#')) throw new Error(`only local $refs are used in this document, not '${ref}'`)
    let node: Json = this.doc
    for (const part of ref.slice(1).split('/').slice(1).map(unescapePointer)) {
      if (node === null || typeof node !== 'object' || !(part in node)) throw new Error(`$ref '${ref}' does not resolve (no '${part}')`)
      node = (node as Obj)[part]!
    }
    return node
  }

  /** Compiles the schema at this JSON pointer of the document (throws on an invalid schema). */
  validatorAt(pointer: string): ValidateFunction {
    const hit = this.#compiled.get(pointer)
    if (hit !== undefined) return hit
    const fragment = pointer.split('/').map((p) => encodeURIComponent(p)).join('/')
    const validate = this.#ajv.getSchema(`${DOC_ID}#${fragment}`)
    if (validate === undefined) throw new Error(`no schema at ${pointer}`)
    this.#compiled.set(pointer, validate)
    return validate
  }

  /**
   * What is wrong with `answer` as the answer of METHOD PATH (the template): an undocumented
   * status, a missing documented header, a content type the document does not list, or a body its
   * schema refuses. Empty when the answer fits the document.
   */
  problems(method: string, path: string, answer: Answer): string[] {
    const where = `${method} ${path} → ${answer.status}`
    const op = this.#obj(this.#obj(this.#obj(this.doc['paths'])[path])[method.toLowerCase()])
    const responses = this.#obj(op['responses'])
    const documented = responses[String(answer.status)]
    if (documented === undefined) {
      return [`${where}: status ${answer.status} is not documented (documented: ${Object.keys(responses).join(', ')}); body: ${excerpt(answer.text)}`]
    }
    const [response, pointer] = this.#follow(documented, `/paths/${escapePointer(path)}/${method.toLowerCase()}/responses/${answer.status}`)
    const problems: string[] = []
    for (const [name, h] of Object.entries(this.#obj(response['headers'] ?? {}))) {
      const [header, headerPointer] = this.#follow(h, `${pointer}/headers/${escapePointer(name)}`)
      const value = answer.headers[name.toLowerCase()]
      if (value === undefined) {
        if (header['required'] === true) problems.push(`${where}: the documented header ${name} is missing`)
        continue
      }
      const validate = this.validatorAt(`${headerPointer}/schema`)
      if (!validate(value)) problems.push(`${where}: header ${name}: ${JSON.stringify(value)} ${this.#ajv.errorsText(validate.errors)}`)
    }
    const content = response['content']
    if (content === undefined) {
      if (answer.text !== '') problems.push(`${where}: documented without a body, got ${excerpt(answer.text)}`)
      return problems
    }
    const mediaType = String(answer.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase()
    if (!(mediaType in this.#obj(content))) {
      return [...problems, `${where}: content-type '${mediaType}' is not documented (documented: ${Object.keys(this.#obj(content)).join(', ')})`]
    }
    let body: unknown = answer.text
    if (mediaType === 'application/json') {
      try {
        body = JSON.parse(answer.text)
      } catch {
        return [...problems, `${where}: says JSON but is not: ${excerpt(answer.text)}`]
      }
    }
    const validate = this.validatorAt(`${pointer}/content/${escapePointer(mediaType)}/schema`)
    if (!validate(body)) {
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''}${e.params && Object.keys(e.params).length > 0 ? ` ${JSON.stringify(e.params)}` : ''}`)
      problems.push(`${where}: the body does not match its schema:\n    ${errors.join('\n    ')}\n  body: ${excerpt(answer.text)}`)
    }
    return problems
  }

  /**
   * What is wrong with `body` as the JSON request body of METHOD PATH: sluice took it (the caller
   * saw a 2xx), so a schema that refuses it is stricter than the server. Empty when it fits.
   */
  requestProblems(method: string, path: string, body: unknown): string[] {
    const op = this.#obj(this.#obj(this.#obj(this.doc['paths'])[path])[method.toLowerCase()])
    if (op['requestBody'] === undefined) return [`${method} ${path}: sent a body, but the document has no requestBody`]
    const [, pointer] = this.#follow(op['requestBody'], `/paths/${escapePointer(path)}/${method.toLowerCase()}/requestBody`)
    const validate = this.validatorAt(`${pointer}/content/application~1json/schema`)
    if (validate(body)) return []
    return [`${method} ${path}: a request body sluice accepted does not match the requestBody schema: ${this.#ajv.errorsText(validate.errors)}; body: ${excerpt(JSON.stringify(body))}`]
  }

  /** An OpenAPI object that may be a `$ref` (a response, a header): the object and its pointer. */
  #follow(node: Json | undefined, pointer: string): [Obj, string] {
    const ref = refOf(node)
    if (ref === undefined) return [this.#obj(node), pointer]
    return [this.#obj(this.resolveRef(ref)), ref.slice(1)]
  }

  #obj(node: Json | undefined): Obj {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) throw new Error(`expected an object in the OpenAPI document, got ${JSON.stringify(node)}`)
    return node
  }
}

function refOf(node: Json | undefined): string | undefined {
  return node !== null && typeof node === 'object' && !Array.isArray(node) && typeof node['$ref'] === 'string' ? node['$ref'] : undefined
}

export function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1')
}

function unescapePointer(s: string): string {
  return decodeURIComponent(s).replace(/~1/g, '/').replace(/~0/g, '~')
}

function excerpt(text: string): string {
  return text.length > 600 ? `${text.slice(0, 600)}…` : text
}

/** `/api/routes/:name` (the router's form) → `/api/routes/{name}` (OpenAPI's). */
export function openApiPath(pattern: string): string {
  return pattern.replace(/:([^/]+)/g, '{$1}')
}
