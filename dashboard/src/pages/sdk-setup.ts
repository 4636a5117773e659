/**
 * The set-up code Settings shows for each SDK: complete programs that run as pasted, reading the
 * product's secret from the environment. Plain text, so a unit test checks versions against the
 * SDKs' package files and a browser test runs each program as copied.
 */

/** The environment variable the programs read the product's secret from. */
export const SECRET_ENV = 'DUMPCATCHER_SECRET';

/** Each SDK's version: the one in its package.json, pyproject.toml and pom.xml (a unit test checks they agree). */
export const SDK_VERSIONS = { node: '0.1.0', python: '0.1.0', java: '0.1.0' } as const;

/** One copyable block: what it is, the file it goes in, how to run it. */
export interface SetupSnippet {
  id: 'node-cjs' | 'node-esm' | 'python' | 'java-pom' | 'java';
  title: string;
  /** The file the code goes in. */
  file: string;
  /** How to install the SDK and run the program, or where the block goes. */
  howTo: string;
  code: string;
}

const TEST_MESSAGE = 'Dumpcatcher test crash from my-app';

/** The set-up programs for a product, reporting to `ingestUrl` (a placeholder when the deployment has none configured). */
export function setupSnippets(productKey: string, ingestUrl: string | null): SetupSnippet[] {
  const endpoint = ingestUrl ?? 'https://<your ingest function URL>';
  const nodeInit = `init({
  endpoint: '${endpoint}',
  productKey: '${productKey}',
  secret: process.env.${SECRET_ENV},
  appName: 'my-app',
  appVersion: '1.0.0',
});

// Uncaught exceptions are reported from here on. A test crash, to see one on the dashboard now:
const id = captureException(new Error('${TEST_MESSAGE}'));
`;
  const nodeReport = `console.log(id && sent ? \`Test crash \${id} sent\` : 'Not sent: run again with NODE_DEBUG=dumpcatcher to see why');`;
  return [
    {
      id: 'node-cjs',
      title: 'Node (CommonJS)',
      file: 'app.js',
      howTo: `npm install <Dumpcatcher checkout>/sdks/node, then ${SECRET_ENV}=… node app.js`,
      code: `const { init, captureException, flush } = require('dumpcatcher');

${nodeInit}flush(5000).then((sent) => {
  ${nodeReport}
});
`,
    },
    {
      id: 'node-esm',
      title: 'Node (ES module)',
      file: 'app.mjs',
      howTo: `npm install <Dumpcatcher checkout>/sdks/node, then ${SECRET_ENV}=… node app.mjs (or app.js in a package with "type": "module")`,
      code: `import { init, captureException, flush } from 'dumpcatcher';

${nodeInit}const sent = await flush(5000);
${nodeReport}
`,
    },
    {
      id: 'python',
      title: 'Python',
      file: 'app.py',
      howTo: `pip install <Dumpcatcher checkout>/sdks/python, then ${SECRET_ENV}=… python3 app.py`,
      code: `import os

import dumpcatcher

dumpcatcher.init(
    endpoint="${endpoint}",
    product_key="${productKey}",
    secret=os.environ["${SECRET_ENV}"],
    app_name="my-app",
    app_version="1.0.0",
)

# Uncaught exceptions are reported from here on. A test crash, to see one on the dashboard now:
try:
    raise RuntimeError("${TEST_MESSAGE}")
except RuntimeError as error:
    report_id = dumpcatcher.capture_exception(error)
sent = dumpcatcher.flush(5.0)
if report_id and sent:
    print(f"Test crash {report_id} sent")
else:
    print("Not sent: run again with debug=True in init() to see why")
`,
    },
    {
      id: 'java-pom',
      title: 'Java (Maven dependency)',
      file: 'pom.xml',
      howTo: `inside <dependencies>, after cd <Dumpcatcher checkout>/sdks/java && mvn install -DskipTests`,
      code: `<dependency>
  <groupId>dev.dumpcatcher</groupId>
  <artifactId>dumpcatcher</artifactId>
  <version>${SDK_VERSIONS.java}</version>
</dependency>
`,
    },
    {
      id: 'java',
      title: 'Java',
      file: 'src/main/java/App.java',
      howTo: `${SECRET_ENV}=… mvn -q compile exec:java -Dexec.mainClass=App (or run App from your IDE)`,
      code: `import dev.dumpcatcher.Dumpcatcher;
import dev.dumpcatcher.DumpcatcherOptions;

public class App {
    public static void main(String[] args) {
        Dumpcatcher.init(DumpcatcherOptions.builder()
            .endpoint("${endpoint}")
            .productKey("${productKey}")
            .secret(System.getenv("${SECRET_ENV}"))
            .appName("my-app")
            .appVersion("1.0.0")
            .build());

        // Uncaught exceptions are reported from here on. A test crash, to see one on the dashboard now:
        Dumpcatcher.captureException(new IllegalStateException("${TEST_MESSAGE}"));
        boolean sent = Dumpcatcher.isActive() && Dumpcatcher.flush(5000);
        System.out.println(sent ? "Test crash sent" : "Not sent: run again with .debug(true) to see why");
    }
}
`,
    },
  ];
}
