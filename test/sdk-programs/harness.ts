/**
 * Helpers for the cross-language end-to-end tests: run a real program (python3, java, node) as
 * a child process with a product, a queue folder and an endpoint of its own, then watch what
 * reaches the Firestore emulator. One import for the test files; the parts live beside it.
 */
export * from './run';
export * from './network';
export * from './stored';
export * from './checks';
