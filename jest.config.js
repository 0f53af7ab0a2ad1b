/** Type-checking is done once by `tsc --noEmit` (npm test), so ts-jest only transpiles. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { diagnostics: false }],
  },
  setupFiles: ['<rootDir>/test/support/loopback-only.ts', '<rootDir>/test/support/light-java.ts'],
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
  testTimeout: 60_000,
  // Most suites wait on emulators, the simulator's clock and parked messages rather than on the CPU: two workers
  // (jest's default on 2 cores is one) keep the suite inside CI's time budget on a 2-core machine. Three load it
  // so much that pipeline suites miss their time.
  maxWorkers: 2,
};
