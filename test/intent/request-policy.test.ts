import {
  compileRequestPolicy,
  DEFAULT_REQUEST_POLICY,
  RequestPolicyError,
  requestPolicyOf,
  requestPolicyRefusal,
} from '../../lambdas/shared/request-policy';

const refusal = (method: string, path: string, rules?: readonly string[], query?: Record<string, string>) =>
  requestPolicyRefusal(rules === undefined ? DEFAULT_REQUEST_POLICY : compileRequestPolicy(rules), {
    method,
    path,
    ...(query === undefined ? {} : { query }),
  });

describe('the default request policy', () => {
  it.each([
    ['GET', '/prospects'],
    ['GET', '/prospects/42'],
    ['GET', '/batches/7'],
    ['POST', '/accounts'],
    ['PATCH', '/prospects/42'],
    ['POST', '/tasks/3/actions/markComplete'],
    ['POST', '/sequenceStates/9/actions/pause'],
  ])('GIVEN %s %s WHEN checked THEN it is allowed', (method, path) => {
    expect(refusal(method, path)).toBeUndefined();
  });

  it.each([
    ['DELETE', '/prospects/1', /DELETE \/prospects\/1 is not allowed by the request policy \[default\]/],
    ['POST', '/webhooks', /POST \/webhooks is not allowed by the request policy/],
    ['GET', '/webhooks', /GET \/webhooks is not allowed/],
    ['POST', '/batches/actions/prospectsAddToSequence', /is a bulk action: bulk actions go through their typed/],
    ['POST', '/batches/actions/prospectsDestroyAll', /is a bulk action/],
    ['POST', '/imports/actions/prospectsImport', /is a bulk action/],
    ['POST', '/prospects', /POST \/prospects is not allowed/],
    ['POST', '/sequenceStates', /POST \/sequenceStates is not allowed/],
    ['GET', '/users', /GET \/users is not allowed/],
    ['PATCH', '/users/1', /is not allowed/],
    ['POST', '/roles', /is not allowed/],
    ['GET', '/profiles/1', /is not allowed/],
    ['POST', '/complianceRequests', /is not allowed/],
    ['PATCH', '/orgSettings/1', /is not allowed/],
    ['GET', '/auditLogs', /is not allowed/],
    ['PATCH', '/mailboxes/1', /is not allowed/],
  ])('GIVEN %s %s WHEN checked THEN it is refused, naming the request and the policy', (method, path, message) => {
    expect(refusal(method, path)).toMatch(message);
  });
});

describe('request policy matching cannot be tricked', () => {
  it.each([
    ['a different case of an allowed resource', 'PATCH', '/Prospects/1'],
    ['a different case of the method', 'patch', '/prospects/1'],
    ['an extra segment', 'PATCH', '/prospects/1/owner'],
    ['a missing segment', 'PATCH', '/prospects'],
  ])('GIVEN %s WHEN checked against the default THEN it is refused', (_name, method, path) => {
    expect(refusal(method, path)).toMatch(/is not allowed/);
  });

  it.each([
    ['POST', '/Batches/actions/prospectsAddToSequence'],
    ['POST', '/BATCHES/actions/prospectsDestroyAll'],
    ['PATCH', '/batches/7'],
  ])(
    'GIVEN a policy with wildcards that would match %s %s WHEN checked THEN the bulk action is still refused',
    (method, path) => {
      expect(refusal(method, path, ['POST /*/actions/*', 'PATCH /*/*'])).toMatch(/is a bulk action/);
    },
  );

  it('GIVEN a method override in the query WHEN checked THEN it is refused even on an allowed request', () => {
    expect(refusal('POST', '/accounts', undefined, { _METHOD: 'DELETE' })).toMatch(/method override/);
  });
});

describe('compileRequestPolicy', () => {
  it('GIVEN default plus a rule WHEN compiled THEN the default is widened by exactly that rule', () => {
    const widened = ['default', 'DELETE /tasks/*'];

    expect([refusal('DELETE', '/tasks/5', widened), refusal('DELETE', '/prospects/5', widened)]).toEqual([
      undefined,
      expect.stringMatching(/is not allowed by the request policy \[default, DELETE \/tasks\/\*\]/),
    ]);
  });

  it('GIVEN an empty list WHEN compiled THEN no generic request is allowed', () => {
    expect(refusal('GET', '/prospects', [])).toMatch(/is not allowed by the request policy \[\]/);
  });

  it.each([
    ['GET prospects', /rule "GET prospects" must be "METHOD \/path"/],
    ['PUT /prospects', /rule "PUT \/prospects": method must be one of GET, POST, PATCH, DELETE/],
    ['GET /prospects/../users', /each path segment must be '\*' or letters/],
    ['GET /prospects/', /each path segment/],
    ['POST /batches/actions/prospectsDestroyAll', /would allow a bulk action/],
    ['POST /Imports/actions/bulkUpsert', /would allow a bulk action/],
  ])('GIVEN the rule %j WHEN compiled THEN it fails naming the rule', (rule, message) => {
    expect(() => compileRequestPolicy([rule])).toThrow(RequestPolicyError);
    expect(() => compileRequestPolicy([rule])).toThrow(message);
  });

  it('GIVEN the same configured list twice WHEN looked up THEN it is compiled once', () => {
    const rules = ['GET /prospects'];

    expect(requestPolicyOf(rules)).toBe(requestPolicyOf(rules));
  });
});
