#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackPropsFromContext } from '../lib/context';
import { OutreachGateStack } from '../lib/outreach-gate-stack';

const app = new App();
new OutreachGateStack(app, 'OutreachGate', {
  ...stackPropsFromContext(app.node),
  description: 'outreach-gate: one gate between every service and the Outreach API',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
