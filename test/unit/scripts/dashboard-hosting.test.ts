import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentSecurityPolicy } from '../../../scripts/lib/dashboard';

const firebase = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'firebase.json'), 'utf8')) as {
  hosting: {
    public: string;
    rewrites: Array<{ source: string; run?: { serviceId: string }; destination?: string }>;
    headers: Array<{ source: string; headers: Array<{ key: string; value: string }> }>;
  };
};

describe('firebase.json hosting', () => {
  it('serves the built dashboard', () => {
    expect(firebase.hosting.public).toBe('dashboard/dist');
  });

  it("rewrites the api's routes to the api function first, then falls back to the single-page app", () => {
    expect(firebase.hosting.rewrites).toEqual([
      { source: '/v1/**', run: { serviceId: 'api', region: expect.any(String) } },
      { source: '**', destination: '/index.html' },
    ]);
  });

  it('sends the same Content-Security-Policy as the local dashboard server (without the emulator)', () => {
    const all = firebase.hosting.headers.find((h) => h.source === '**')!.headers;
    const csp = all.find((h) => h.key === 'Content-Security-Policy')?.value;
    expect(csp).toBe(contentSecurityPolicy());
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('127.0.0.1');
  });
});
