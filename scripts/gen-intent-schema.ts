/**
 * Writes `schema/intent.schema.json`, the JSON Schema of an intent message body, from the intent schema, then
 * formats it with Biome. Run after changing the intent schema: `npm run gen:schema`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { intentJsonSchema } from '../lib/client/intent-json-schema';

/** Where the checked-in schema lives, relative to the repository root. */
export const INTENT_SCHEMA_FILE = join('schema', 'intent.schema.json');

function main(): void {
  const root = join(__dirname, '..');
  const file = join(root, INTENT_SCHEMA_FILE);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(intentJsonSchema(), null, 2)}\n`);
  execFileSync(join(root, 'node_modules', '.bin', 'biome'), ['format', '--write', file], {
    cwd: root,
    stdio: 'inherit',
  });
  console.log(`wrote ${INTENT_SCHEMA_FILE}`);
}

if (require.main === module) main();
