/** outreach-gate: the CDK constructs and stack, the settings they are built from, and the producer client. */
export * from '../lambdas/shared/names';
export * from './client';
export * from './constructs/completion-events';
export * from './constructs/credentials';
export * from './constructs/dispatcher';
export * from './constructs/gate-table';
export * from './constructs/lanes';
export * from './constructs/monitor';
export * from './constructs/observability';
export * from './constructs/runbook';
export * from './context';
export * from './handler-code';
export * from './outreach-gate';
export * from './outreach-gate-stack';
export * from './settings';
