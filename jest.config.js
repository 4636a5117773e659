/** Unit tests: pure code, no I/O beyond the local file system. */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/unit'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      displayName: 'sdk-node',
      testEnvironment: 'node',
      roots: ['<rootDir>/sdks/node/test'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      displayName: 'emulator',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/emulator', '<rootDir>/test/rules', '<rootDir>/test/browser'],
      transform: { '^.+\\.ts$': tsJest },
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
    },
  ],
};
