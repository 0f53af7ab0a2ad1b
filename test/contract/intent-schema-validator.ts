import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** The checked-in JSON Schema of an intent, as a producer in another language would read it. */
export function checkedInIntentSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'schema', 'intent.schema.json'), 'utf8'));
}

/** A strict draft 2020-12 validator for the checked-in schema: the errors of `body`, or [] when it is valid. */
export function intentSchemaValidator(): (body: unknown) => string[] {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(checkedInIntentSchema());
  return (body) =>
    validate(body) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`);
}
