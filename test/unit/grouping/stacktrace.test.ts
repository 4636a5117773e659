import { parseStacktrace, type Frame, type ParsedStacktrace } from '../../../functions/src/grouping/stacktrace';

type Case = [name: string, text: string, expected: ParsedStacktrace];

const f = (frame: Frame): Frame => frame;

describe('parseStacktrace: Python', () => {
  const cases: Case[] = [
    [
      'SyntaxError: the File line without "in" and the caret are not frames',
      [
        'Traceback (most recent call last):',
        '  File "/srv/app/main.py", line 3, in <module>',
        '    import config',
        '  File "/srv/app/config.py", line 1',
        '    port = = 8080',
        '           ^',
        'SyntaxError: invalid syntax',
      ].join('\n'),
      {
        format: 'python',
        exceptions: [
          {
            type: 'SyntaxError',
            message: 'invalid syntax',
            frames: [f({ file: '/srv/app/main.py', line: 3, function: '<module>', inApp: true })],
          },
        ],
      },
    ],
    [
      'frozen importlib frames, a repeated-line marker and a multi-line message',
      [
        'Traceback (most recent call last):',
        '  File "<frozen importlib._bootstrap>", line 1176, in _find_and_load',
        '  File "/srv/app/loader.py", line 9, in load',
        '    return load(name)',
        '  [Previous line repeated 996 more times]',
        'RecursionError: maximum recursion depth exceeded',
        'while loading plugins',
      ].join('\n'),
      {
        format: 'python',
        exceptions: [
          {
            type: 'RecursionError',
            message: 'maximum recursion depth exceeded\nwhile loading plugins',
            frames: [
              f({ file: '/srv/app/loader.py', line: 9, function: 'load', inApp: true }),
              f({
                file: '<frozen importlib._bootstrap>',
                line: 1176,
                function: '_find_and_load',
                module: 'importlib._bootstrap',
                inApp: false,
              }),
            ],
          },
        ],
      },
    ],
    [
      'Windows paths: site-packages and the Lib folder are not in-app',
      [
        'Traceback (most recent call last):',
        '  File "C:\\Users\\dev\\shop\\app.py", line 5, in main',
        '  File "C:\\Python311\\Lib\\site-packages\\requests\\api.py", line 73, in get',
        '  File "C:\\Python311\\Lib\\socket.py", line 962, in getaddrinfo',
        'socket.gaierror: [Errno 11001] getaddrinfo failed',
      ].join('\n'),
      {
        format: 'python',
        exceptions: [
          {
            type: 'socket.gaierror',
            message: '[Errno 11001] getaddrinfo failed',
            frames: [
              f({ file: 'C:\\Python311\\Lib\\socket.py', line: 962, function: 'getaddrinfo', inApp: false }),
              f({
                file: 'C:\\Python311\\Lib\\site-packages\\requests\\api.py',
                line: 73,
                function: 'get',
                module: 'requests.api',
                inApp: false,
              }),
              f({ file: 'C:\\Users\\dev\\shop\\app.py', line: 5, function: 'main', inApp: true }),
            ],
          },
        ],
      },
    ],
    [
      'a cause that was never raised has no traceback of its own',
      [
        'ValueError: bad port',
        '',
        'The above exception was the direct cause of the following exception:',
        '',
        'Traceback (most recent call last):',
        '  File "/srv/app/main.py", line 2, in <module>',
        'RuntimeError: startup failed',
      ].join('\n'),
      {
        format: 'python',
        exceptions: [
          {
            type: 'RuntimeError',
            message: 'startup failed',
            frames: [f({ file: '/srv/app/main.py', line: 2, function: '<module>', inApp: true })],
          },
          { type: 'ValueError', message: 'bad port', frames: [], relation: 'cause', parent: 0 },
        ],
      },
    ],
    [
      'an exception without a message',
      'Traceback (most recent call last):\n  File "/srv/app/main.py", line 7, in stop\nKeyboardInterrupt',
      {
        format: 'python',
        exceptions: [
          {
            type: 'KeyboardInterrupt',
            message: '',
            frames: [f({ file: '/srv/app/main.py', line: 7, function: 'stop', inApp: true })],
          },
        ],
      },
    ],
  ];

  it.each(cases)('%s', (_name, text, expected) => {
    expect(parseStacktrace(text)).toEqual(expected);
  });
});

describe('parseStacktrace: JVM', () => {
  const cases: Case[] = [
    [
      'class-loader and module@version prefixes, Unknown Source with a line, logback jar suffixes',
      [
        'com.acme.BillingException: charge declined',
        '\tat app//com.acme.Billing.charge(Billing.java:40)',
        '\tat com.foo.loader/foo@9.0/com.foo.Main.run(Main.java:101) ~[foo.jar:9.0]',
        '\tat com.acme.Generated.call(Unknown Source:12)',
        '\tat org.springframework.web.Dispatcher.handle(Dispatcher.java:1067) [spring-web-6.1.jar:6.1]',
        '\t... 3 common frames omitted',
      ].join('\n'),
      {
        format: 'java',
        exceptions: [
          {
            type: 'com.acme.BillingException',
            message: 'charge declined',
            frames: [
              f({ file: 'Billing.java', line: 40, function: 'charge', module: 'com.acme.Billing', inApp: true }),
              f({ file: 'Main.java', line: 101, function: 'run', module: 'com.foo.Main', inApp: true }),
              f({ line: 12, function: 'call', module: 'com.acme.Generated', inApp: true }),
              f({
                file: 'Dispatcher.java',
                line: 1067,
                function: 'handle',
                module: 'org.springframework.web.Dispatcher',
                inApp: true,
              }),
            ],
          },
        ],
      },
    ],
    [
      'a multi-line message, Kotlin and Android frames, Native Method',
      [
        'java.lang.IllegalStateException: bad state',
        'second line of the message',
        '\tat android.os.Looper.loop(Looper.java:223)',
        '\tat kotlinx.coroutines.DispatchedTask.run(DispatchedTask.kt:106)',
        '\tat com.acme.app.MainActivity.onCreate$lambda$0(MainActivity.kt:31)',
        '\tat java.lang.Thread.sleep(Native Method)',
      ].join('\n'),
      {
        format: 'java',
        exceptions: [
          {
            type: 'java.lang.IllegalStateException',
            message: 'bad state\nsecond line of the message',
            frames: [
              f({ file: 'Looper.java', line: 223, function: 'loop', module: 'android.os.Looper', inApp: false }),
              f({
                file: 'DispatchedTask.kt',
                line: 106,
                function: 'run',
                module: 'kotlinx.coroutines.DispatchedTask',
                inApp: false,
              }),
              f({
                file: 'MainActivity.kt',
                line: 31,
                function: 'onCreate$lambda$0',
                module: 'com.acme.app.MainActivity',
                inApp: true,
              }),
              f({ function: 'sleep', module: 'java.lang.Thread', inApp: false }),
            ],
          },
        ],
      },
    ],
    [
      'Java 8 lambda proxies with a decimal suffix and an anonymous inner class',
      [
        'java.lang.NullPointerException',
        '\tat com.acme.Jobs$1.run(Jobs.java:20)',
        '\tat com.acme.Jobs$$Lambda$14/1170794006.accept(Unknown Source)',
      ].join('\n'),
      {
        format: 'java',
        exceptions: [
          {
            type: 'java.lang.NullPointerException',
            message: '',
            frames: [
              f({ file: 'Jobs.java', line: 20, function: 'run', module: 'com.acme.Jobs$1', inApp: true }),
              f({ function: 'accept', module: 'com.acme.Jobs$$Lambda$14/1170794006', inApp: true }),
            ],
          },
        ],
      },
    ],
  ];

  it.each(cases)('%s', (_name, text, expected) => {
    expect(parseStacktrace(text)).toEqual(expected);
  });
});

describe('parseStacktrace: V8 (Node, Chrome)', () => {
  const cases: Case[] = [
    [
      'a Node internal error code in the name, `(native)`, old core modules and file:// URLs',
      [
        'TypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string. Received undefined',
        '    at Object.openSync (fs.js:476:3)',
        '    at readConfig (file:///srv/app/config.mjs:4:15)',
        '    at Array.forEach (native)',
        '    at processTicksAndRejections (internal/process/task_queues.js:97:5)',
      ].join('\n'),
      {
        format: 'v8',
        exceptions: [
          {
            type: 'TypeError',
            message: 'The "path" argument must be of type string. Received undefined',
            frames: [
              f({ file: 'fs.js', line: 476, column: 3, function: 'Object.openSync', inApp: false }),
              f({ file: 'file:///srv/app/config.mjs', line: 4, column: 15, function: 'readConfig', inApp: true }),
              f({ function: 'Array.forEach', inApp: false }),
              f({
                file: 'internal/process/task_queues.js',
                line: 97,
                column: 5,
                function: 'processTicksAndRejections',
                inApp: false,
              }),
            ],
          },
        ],
      },
    ],
    [
      'Chrome console `Uncaught`, a multi-line message, webpack-internal URLs and node_modules',
      [
        'Uncaught Error: request failed',
        'status 503',
        '    at fetchJson (webpack-internal:///./src/api.js:12:11)',
        '    at Object.next (https://app.example.com/node_modules/.pnpm/rxjs@7.8.1/node_modules/rxjs/dist/cjs/index.js:1:900)',
      ].join('\n'),
      {
        format: 'v8',
        exceptions: [
          {
            type: 'Error',
            message: 'request failed\nstatus 503',
            frames: [
              f({ file: 'webpack-internal:///./src/api.js', line: 12, column: 11, function: 'fetchJson', inApp: true }),
              f({
                file: 'https://app.example.com/node_modules/.pnpm/rxjs@7.8.1/node_modules/rxjs/dist/cjs/index.js',
                line: 1,
                column: 900,
                function: 'Object.next',
                inApp: false,
              }),
            ],
          },
        ],
      },
    ],
    [
      'nested eval frames report the outermost script location',
      [
        'Error: boom',
        '    at baz (eval at foo (eval at speak (http://localhost:8080/file.js:21:17)), <anonymous>:1:30)',
        '    at Object.speak (http://localhost:8080/file.js:21:17)',
      ].join('\n'),
      {
        format: 'v8',
        exceptions: [
          {
            type: 'Error',
            message: 'boom',
            frames: [
              f({ file: 'http://localhost:8080/file.js', line: 21, column: 17, function: 'baz', inApp: true }),
              f({ file: 'http://localhost:8080/file.js', line: 21, column: 17, function: 'Object.speak', inApp: true }),
            ],
          },
        ],
      },
    ],
    [
      'an error with no message and a cause whose own cause is an AggregateError member',
      [
        'Error',
        '    at run (/srv/app/run.js:3:9)',
        'Caused by: AggregateError: all mirrors failed',
        '    at fetchAll (/srv/app/fetch.js:8:11)',
        'Aggregated 0: Error: eu down',
        '    at fetchOne (/srv/app/fetch.js:4:9)',
        'Aggregated 1: Error: us down',
        '    at fetchOne (/srv/app/fetch.js:4:9)',
      ].join('\n'),
      {
        format: 'v8',
        exceptions: [
          {
            type: 'Error',
            message: '',
            frames: [f({ file: '/srv/app/run.js', line: 3, column: 9, function: 'run', inApp: true })],
          },
          {
            type: 'AggregateError',
            message: 'all mirrors failed',
            frames: [f({ file: '/srv/app/fetch.js', line: 8, column: 11, function: 'fetchAll', inApp: true })],
            relation: 'cause',
            parent: 0,
          },
          {
            type: 'Error',
            message: 'eu down',
            frames: [f({ file: '/srv/app/fetch.js', line: 4, column: 9, function: 'fetchOne', inApp: true })],
            relation: 'aggregated',
            parent: 1,
          },
          {
            type: 'Error',
            message: 'us down',
            frames: [f({ file: '/srv/app/fetch.js', line: 4, column: 9, function: 'fetchOne', inApp: true })],
            relation: 'aggregated',
            parent: 1,
          },
        ],
      },
    ],
  ];

  it.each(cases)('%s', (_name, text, expected) => {
    expect(parseStacktrace(text)).toEqual(expected);
  });
});

describe('parseStacktrace: Firefox and Safari', () => {
  const cases: Case[] = [
    [
      'old Firefox with arguments and no columns',
      [
        'bar(1)@http://example.com/js/file.js:13',
        'foo()@http://example.com/js/file.js:20',
        '@http://example.com/js/file.js:24',
      ].join('\n'),
      {
        format: 'firefox',
        exceptions: [
          {
            type: '',
            message: '',
            frames: [
              f({ file: 'http://example.com/js/file.js', line: 13, function: 'bar', inApp: true }),
              f({ file: 'http://example.com/js/file.js', line: 20, function: 'foo', inApp: true }),
              f({ file: 'http://example.com/js/file.js', line: 24, inApp: true }),
            ],
          },
        ],
      },
    ],
    [
      'Firefox nested eval and an extension frame',
      [
        'baz@http://localhost:8080/file.js line 26 > eval line 2 > eval:1:30',
        'handler@moz-extension://2c127fa4-62c7-4ebc-b6d2-12ee31aa0bd2/content.js:5:3',
      ].join('\n'),
      {
        format: 'firefox',
        exceptions: [
          {
            type: '',
            message: '',
            frames: [
              f({ file: 'http://localhost:8080/file.js', line: 26, function: 'baz', inApp: true }),
              f({
                file: 'moz-extension://2c127fa4-62c7-4ebc-b6d2-12ee31aa0bd2/content.js',
                line: 5,
                column: 3,
                function: 'handler',
                inApp: false,
              }),
            ],
          },
        ],
      },
    ],
    [
      'Safari anonymous bare-URL frames and a leading header added by an SDK',
      [
        'TypeError: null is not an object',
        'http://path/to/file.js:47:22',
        'foo@http://path/to/file.js:52:15',
        'promiseReactionJob@[native code]',
      ].join('\n'),
      {
        format: 'safari',
        exceptions: [
          {
            type: 'TypeError',
            message: 'null is not an object',
            frames: [
              f({ file: 'http://path/to/file.js', line: 47, column: 22, inApp: true }),
              f({ file: 'http://path/to/file.js', line: 52, column: 15, function: 'foo', inApp: true }),
              f({ function: 'promiseReactionJob', inApp: false }),
            ],
          },
        ],
      },
    ],
    [
      'Firefox causes sent as `Caused by:` sections without a header line',
      [
        'load@https://x.io/app.js:3:5',
        'Caused by: fetchJson@https://x.io/api.js:9:11',
        'load@https://x.io/app.js:2:1',
      ].join('\n'),
      {
        format: 'firefox',
        exceptions: [
          {
            type: '',
            message: '',
            frames: [f({ file: 'https://x.io/app.js', line: 3, column: 5, function: 'load', inApp: true })],
          },
          {
            type: '',
            message: '',
            frames: [
              f({ file: 'https://x.io/api.js', line: 9, column: 11, function: 'fetchJson', inApp: true }),
              f({ file: 'https://x.io/app.js', line: 2, column: 1, function: 'load', inApp: true }),
            ],
            relation: 'cause',
            parent: 0,
          },
        ],
      },
    ],
    [
      'an ambiguous `name@url` trace is Safari when the runtime says so',
      'foo@http://path/to/file.js:52:15\nbar@http://path/to/file.js:108:23',
      {
        format: 'safari',
        exceptions: [
          {
            type: '',
            message: '',
            frames: [
              f({ file: 'http://path/to/file.js', line: 52, column: 15, function: 'foo', inApp: true }),
              f({ file: 'http://path/to/file.js', line: 108, column: 23, function: 'bar', inApp: true }),
            ],
          },
        ],
      },
    ],
  ];

  it.each(cases)('%s', (name, text, expected) => {
    const runtime = name.includes('runtime says so') ? 'Safari' : undefined;
    expect(parseStacktrace(text, { runtime })).toEqual(expected);
  });
});

describe('parseStacktrace: text it cannot read', () => {
  it.each([
    ['empty text', ''],
    ['a log line', '2026-11-22 08:00:00 ERROR something went wrong'],
    ['a bare exception line', 'ValueError: bad value'],
    [
      'a Go panic',
      'panic: runtime error: index out of range [5] with length 3\n\ngoroutine 1 [running]:\nmain.main()\n\t/tmp/x.go:8 +0x1d',
    ],
  ])('returns format unknown and no exceptions for %s', (_name, text) => {
    expect(parseStacktrace(text)).toEqual({ format: 'unknown', exceptions: [] });
  });

  it('reads CRLF line endings and ignores the ingest truncation marker', () => {
    const text =
      'Error: x\r\n    at a (/srv/app/a.js:1:1)\r\n    at b (/srv/app/b.js:2:2)\n… [truncated by dumpcatcher: 1200 bytes omitted]';
    const parsed = parseStacktrace(text);
    expect(parsed.format).toBe('v8');
    expect(parsed.exceptions[0]?.frames.map((frame) => frame.function)).toEqual(['a', 'b']);
  });
});

describe('parseStacktrace: in-app patterns', () => {
  const java = [
    'java.lang.RuntimeException: x',
    '\tat org.springframework.web.Dispatcher.handle(Dispatcher.java:1)',
    '\tat com.acme.web.Controller.get(Controller.java:2)',
    '\tat java.lang.Thread.run(Thread.java:3)',
  ].join('\n');

  it.each([
    ['no patterns: every non-JDK class is in-app', undefined, [true, true, false]],
    ['an empty list behaves like no list', [], [true, true, false]],
    ['a package prefix replaces the defaults', ['com.acme.'], [false, true, false]],
    ['a pattern can make JDK frames in-app', ['java.lang.'], [false, false, true]],
  ] as const)('%s', (_name, patterns, inApp) => {
    const frames = parseStacktrace(java, { inAppPatterns: patterns }).exceptions[0]?.frames ?? [];
    expect(frames.map((frame) => frame.inApp)).toEqual(inApp);
  });

  it('matches a path pattern at any directory boundary of the file', () => {
    const text = [
      'Traceback (most recent call last):',
      '  File "/srv/releases/42/shop/views.py", line 1, in index',
      '  File "/srv/releases/42/vendor/lib.py", line 2, in call',
      '  File "/srv/releases/42/myshop/x.py", line 3, in other',
      'ValueError: x',
    ].join('\n');
    const frames = parseStacktrace(text, { inAppPatterns: ['shop/'] }).exceptions[0]?.frames ?? [];
    expect(frames.map((frame) => [frame.function, frame.inApp])).toEqual([
      ['other', false],
      ['call', false],
      ['index', true],
    ]);
  });
});

describe('parseStacktrace: text around the trace', () => {
  it.each([
    [
      'a log line before a Python traceback',
      'ERROR:root:unhandled\nTraceback (most recent call last):\n  File "/srv/app/a.py", line 1, in f\nValueError: x',
      'ValueError',
      'x',
    ],
    [
      'a log line before a JVM trace',
      '08:00:00.123 [main] ERROR c.a.App - failed\ncom.acme.Boom: x\n\tat com.acme.App.run(App.java:5)',
      'com.acme.Boom',
      'x',
    ],
    [
      'a log line before a V8 stack',
      '[2026-11-22T08:00:00Z] worker crashed\nTypeError: x is not a function\n    at run (/srv/app/a.js:1:1)',
      'TypeError',
      'x is not a function',
    ],
  ])('ignores %s', (_name, text, type, message) => {
    const [primary] = parseStacktrace(text).exceptions;
    expect(primary?.type).toBe(type);
    expect(primary?.message).toBe(message);
    expect(primary?.frames).toHaveLength(1);
  });
});
