#!/usr/bin/env node
// The `outreach-gate` command: runs the TypeScript CLI with ts-node (type-checked by `npm run typecheck`).
require('ts-node').register({
  transpileOnly: true,
  project: require('node:path').join(__dirname, '..', 'tsconfig.json'),
});
require('./main.ts').run();
