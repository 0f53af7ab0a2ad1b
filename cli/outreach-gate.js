#!/usr/bin/env node
// The `outreach-gate` command. From a checkout it runs the TypeScript CLI with ts-node (type-checked by
// `npm run typecheck`); from the installed package, which ships no TypeScript, it runs the compiled CLI.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

if (existsSync(join(__dirname, 'main.ts'))) {
  require('ts-node').register({ transpileOnly: true, project: join(__dirname, '..', 'tsconfig.json') });
  require('./main.ts').run();
} else {
  require('../dist/cli/main.js').run();
}
