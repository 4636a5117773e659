import { CopyButton } from '../components/ui';

/** Set-up code for the three SDKs with this product's key and the real ingest URL. */
export function SdkSnippets(props: { productKey: string; ingestUrl: string | null; secret?: string }) {
  const endpoint = props.ingestUrl ?? 'https://<your ingest function URL>';
  const secret = props.secret;
  const snippets = [
    {
      name: 'Node',
      code: `import * as dumpcatcher from 'dumpcatcher';

dumpcatcher.init({
  endpoint: '${endpoint}',
  productKey: '${props.productKey}',
  secret: ${secret ? `'${secret}'` : 'process.env.DUMPCATCHER_SECRET'},
  appName: 'my-app',
  appVersion: '1.0.0',
});`,
    },
    {
      name: 'Python',
      code: `import dumpcatcher

dumpcatcher.init(
    endpoint="${endpoint}",
    product_key="${props.productKey}",
    secret=${secret ? `"${secret}"` : 'os.environ["DUMPCATCHER_SECRET"]'},
    app_name="my-app",
    app_version="1.0.0",
)`,
    },
    {
      name: 'Java',
      code: `import dev.dumpcatcher.*;

Dumpcatcher.init(DumpcatcherOptions.builder()
    .endpoint("${endpoint}")
    .productKey("${props.productKey}")
    .secret(${secret ? `"${secret}"` : 'System.getenv("DUMPCATCHER_SECRET")'})
    .appName("my-app")
    .appVersion("1.0.0")
    .build());`,
    },
  ];
  return (
    <section class="snippets" aria-label="SDK set-up">
      <h3>Set up an SDK</h3>
      <p class="muted">
        Uncaught exceptions are reported from then on; <code>DO_NOT_TRACK=1</code> turns reporting off. Docs:
        docs/sdk-node.md, docs/sdk-python.md, docs/sdk-java.md.
      </p>
      {snippets.map((s) => (
        <div class="snippet" key={s.name}>
          <h4>{s.name}</h4>
          <pre tabIndex={0} aria-label={`${s.name} set-up code`}>
            {s.code}
          </pre>
          <CopyButton text={s.code} label={`${s.name} set-up code`} />
        </div>
      ))}
    </section>
  );
}
