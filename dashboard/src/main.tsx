import { render } from 'preact';
import { App } from './app';
import { startAuth } from './auth';
import { loadConfig } from './config';
import './styles.css';

const root = document.getElementById('app')!;
loadConfig()
  .then((config) => {
    startAuth(config);
    return config;
  })
  .then(
    (config) => render(<App config={config} />, root),
    (err: unknown) => {
      root.innerHTML = '';
      const p = document.createElement('p');
      p.className = 'state error';
      p.setAttribute('role', 'alert');
      p.textContent = `The dashboard could not read its configuration: ${err instanceof Error ? err.message : String(err)}`;
      root.append(p);
    },
  );
