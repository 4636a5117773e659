import type { RawFrame, StacktraceFormat } from './types';

// Third-party and runtime code by file path (Python) …
const PYTHON_LIBRARY = /(?:^|\/)(?:site-packages|dist-packages)\/|\/lib\/python\d+(?:\.\d+)?\/|\/Lib\/|^<frozen /;
// … by class prefix (JVM) …
const JVM_LIBRARY_PREFIXES = [
  'java.',
  'javax.',
  'jdk.',
  'sun.',
  'com.sun.',
  'kotlin.',
  'kotlinx.',
  'scala.',
  // Android's framework, runtime and the Google libraries every app carries.
  'android.',
  'androidx.',
  'dalvik.',
  'libcore.',
  'com.android.',
  'com.google.android.',
  'org.conscrypt.',
  // Kotlin's coroutine-boundary marker frames.
  '_COROUTINE.',
];
// … and by file or URL (JavaScript).
const JS_LIBRARY = /\/node_modules\/|^node:|^internal\/|^(?:chrome|moz|safari|safari-web)-extension:/;

/** True when `frame` is the product's own code under the built-in rules for `format`. */
export function isInAppByDefault(frame: RawFrame, format: StacktraceFormat): boolean {
  const file = frame.file?.replace(/\\/g, '/');
  switch (format) {
    case 'python':
      return file === undefined || !PYTHON_LIBRARY.test(file);
    case 'java': {
      const module = frame.module ?? '';
      return !JVM_LIBRARY_PREFIXES.some((prefix) => module.startsWith(prefix));
    }
    case 'v8':
    case 'firefox':
    case 'safari':
      // No file means native code (`Array.map (<anonymous>)`, `map@[native code]`).
      if (file === undefined) return false;
      // Node core modules before the `node:` prefix existed: `events.js`, `internal/…`.
      if (format === 'v8' && /^[\w.-]+\.js$/.test(file)) return false;
      return !JS_LIBRARY.test(file);
    case 'unknown':
      return false;
  }
}

/** True when a pattern is a prefix of the frame's module, of its file, or of a file path segment. */
export function matchesInAppPatterns(frame: RawFrame, patterns: readonly string[]): boolean {
  const file = frame.file?.replace(/\\/g, '/');
  return patterns.some((pattern) => {
    if (pattern === '') return false;
    if (frame.module?.startsWith(pattern) === true) return true;
    if (file === undefined) return false;
    if (file.startsWith(pattern)) return true;
    return file.includes('/' + pattern.replace(/^\/+/, ''));
  });
}

/** In-app decision: the product's patterns when it has any, otherwise the built-in rules. */
export function isInApp(frame: RawFrame, format: StacktraceFormat, patterns: readonly string[] | undefined): boolean {
  if (patterns !== undefined && patterns.length > 0) return matchesInAppPatterns(frame, patterns);
  return isInAppByDefault(frame, format);
}
