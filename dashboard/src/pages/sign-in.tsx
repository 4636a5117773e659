import { useState } from 'preact/hooks';
import { isEmulated, signInWithEmulatedGoogle, signInWithGoogle } from '../auth';
import { useAction } from '../hooks';

/**
 * Google sign-in. On the local stack the Google popup cannot work offline, so the page asks
 * for the Google address to sign in as through the Auth emulator; that form never appears in
 * production (the config of a deployed site names no emulator).
 */
export function SignInPage() {
  const [email, setEmail] = useState('');
  const { busy, error, run } = useAction();
  return (
    <main id="main" class="sign-in">
      <h1>Dumpcatcher</h1>
      <p>Crash reports and usage numbers from your apps, on your own Google Cloud project.</p>
      {isEmulated() ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => signInWithEmulatedGoogle(email));
          }}
        >
          <p class="notice">
            Local stack: you sign in as a Google account through the Auth emulator (no password; the demo product
            belongs to <code>demo@example.com</code>).
          </p>
          <label for="email">Email</label>
          <input
            id="email"
            type="email"
            required
            autocomplete="email"
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
          <button type="submit" disabled={busy}>
            Sign in with Google (emulator)
          </button>
        </form>
      ) : (
        <button type="button" disabled={busy} onClick={() => void run(signInWithGoogle)}>
          Sign in with Google
        </button>
      )}
      {error && (
        <p class="state error" role="alert">
          Sign-in failed: {error.message}
        </p>
      )}
    </main>
  );
}
