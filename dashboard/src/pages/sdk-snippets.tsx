import { CopyButton } from '../components/ui';
import { SECRET_ENV, setupSnippets } from './sdk-setup';

/**
 * Set-up programs for the three SDKs with this product's key and the real ingest URL. `where`
 * says where the secret is to be found: just above (the product was just created) or in
 * Settings, where rotating shows a new one.
 */
export function SdkSnippets(props: { productKey: string; ingestUrl: string | null; where: 'created' | 'settings' }) {
  return (
    <section class="snippets" aria-label="SDK set-up">
      <h3>Set up an SDK</h3>
      <p>
        Each program below runs as pasted, sends a test crash and says whether it left. It reads the product's secret
        from the environment variable <code>{SECRET_ENV}</code>, so the secret stays out of your code.{' '}
        {props.where === 'created'
          ? 'The secret is the one above, shown only now.'
          : 'The secret was shown once, when the product was created; if you no longer have it, the owner rotates it above (Rotate secret) and the new one is shown once.'}
      </p>
      <p class="muted">
        Uncaught exceptions are reported from <code>init</code> on; <code>DO_NOT_TRACK=1</code> turns reporting off. The
        SDKs are installed from a checkout of Dumpcatcher (they are not on npm, PyPI or Maven Central yet). Docs:
        docs/sdk-node.md, docs/sdk-python.md, docs/sdk-java.md.
      </p>
      {setupSnippets(props.productKey, props.ingestUrl).map((s) => (
        <div class="snippet" key={s.id}>
          <h4>
            {s.title}: <code>{s.file}</code>
          </h4>
          <p class="muted small">{s.howTo}</p>
          <pre tabIndex={0} aria-label={`${s.title} set-up code`}>
            {s.code}
          </pre>
          <CopyButton text={s.code} label={`${s.title} set-up code`} />
        </div>
      ))}
    </section>
  );
}
