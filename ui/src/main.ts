import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { mark } from './lib/ready';
import { applyTheme, cachedTheme } from './lib/theme';

mark('script-run');

// Before the first paint, so a dark-theme user never sees a light flash.
applyTheme(cachedTheme());

// A file dropped anywhere but on a composer is ignored: left to the web
// view, it would try to open the file in place of the app.
for (const type of ['dragover', 'drop'] as const) {
  window.addEventListener(type, (e) => {
    if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
  });
}

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');

export default mount(App, { target });
