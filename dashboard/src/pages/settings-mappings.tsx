import { useState } from 'preact/hooks';
import { mappingsApi, type MappingItem, type UploadToken } from '../api';
import { ErrorBox, Loading, Secretish, TableScroll } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { exact, num } from '../format';

function size(bytes: number): string {
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${num(Math.ceil(bytes / 1024))} KB`;
}

function Mappings(props: { productKey: string }) {
  const [load, reload] = useLoad(() => mappingsApi.listMappings(props.productKey), [props.productKey]);
  const action = useAction();
  const mappings: MappingItem[] = load.data?.mappings ?? [];
  return (
    <>
      <h3>Stored mappings</h3>
      {load.state === 'loading' && load.data === undefined && <Loading what="the mappings" />}
      {load.state === 'error' && <ErrorBox error={load.error} retry={() => void reload()} what="the mappings" />}
      {load.data !== undefined && mappings.length === 0 && (
        <p class="muted">
          No mapping yet: crashes from obfuscated release builds show obfuscated names until the build’s mapping.txt is
          uploaded.
        </p>
      )}
      {mappings.length > 0 && (
        <TableScroll label="Stored mappings, table">
          <table class="list compact">
            <caption class="visually-hidden">Stored ProGuard/R8 mappings</caption>
            <thead>
              <tr>
                <th scope="col">Map id or version</th>
                <th scope="col">Size</th>
                <th scope="col">Uploaded</th>
                <th scope="col">By</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {mappings.map((m) => (
                <tr key={m.mapId}>
                  <td>
                    <code>{m.mapId}</code>
                  </td>
                  <td>{size(m.sizeBytes)}</td>
                  <td>{exact(m.uploadedAt)}</td>
                  <td>{m.uploadedBy.kind === 'token' ? `upload token ${m.uploadedBy.id}` : 'owner'}</td>
                  <td>
                    <button
                      type="button"
                      class="secondary"
                      disabled={action.busy}
                      onClick={() =>
                        void action.run(() => mappingsApi.deleteMapping(props.productKey, m.mapId)).then(() => reload())
                      }
                    >
                      Delete mapping {m.mapId}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {action.error && <ErrorBox error={action.error} />}
    </>
  );
}

function UploadTokens(props: { productKey: string }) {
  const [load, reload] = useLoad(() => mappingsApi.listUploadTokens(props.productKey), [props.productKey]);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const action = useAction();
  const tokens: UploadToken[] = load.data?.tokens ?? [];
  return (
    <>
      <h3>Upload tokens</h3>
      <p class="muted small">
        A build server uploads mappings with a token of this product; it can do nothing else. The app’s secret ships in
        every APK, so never use it for uploads.
      </p>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setCreated(null);
          const label = name.trim();
          void action.run(async () => {
            const answer = await mappingsApi.createUploadToken(props.productKey, label);
            setCreated({ name: label, token: answer.token });
            setName('');
            await reload();
          });
        }}
      >
        <label for="token-name">Token name</label>
        <input id="token-name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit" disabled={action.busy}>
          Create upload token
        </button>
      </form>
      {created && (
        <div class="notice" role="status">
          <p>
            <strong>Upload token “{created.name}” (shown only now):</strong>{' '}
            <Secretish value={created.token} label="upload token" />
          </p>
        </div>
      )}
      {load.state === 'error' && <ErrorBox error={load.error} retry={() => void reload()} what="the upload tokens" />}
      {tokens.length > 0 && (
        <ul class="plain">
          {tokens.map((t) => (
            <li key={t.id}>
              {t.name} <span class="muted small">created {exact(t.createdAt)}</span>{' '}
              <button
                type="button"
                class="secondary"
                disabled={action.busy}
                onClick={() =>
                  void action.run(() => mappingsApi.revokeUploadToken(props.productKey, t.id)).then(() => reload())
                }
              >
                Revoke upload token {t.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      {action.error && <ErrorBox error={action.error} />}
    </>
  );
}

/** Owner only: ProGuard/R8 mappings for readable Android traces, and the upload tokens build servers use. */
export function MappingsSettings(props: { productKey: string }) {
  return (
    <section class="card" aria-labelledby="mappings-h">
      <h2 id="mappings-h">Mappings (Android, ProGuard/R8)</h2>
      <p class="muted small">
        Upload each release build’s mapping.txt so its crashes come back readable. The upload command is in the docs (
        <code>docs/api.md</code>, “Mappings and upload tokens”).
      </p>
      <Mappings productKey={props.productKey} />
      <UploadTokens productKey={props.productKey} />
    </section>
  );
}
