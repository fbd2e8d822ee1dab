import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { mark } from './lib/ready';
import { applyTheme, cachedTheme } from './lib/theme';

mark('script-run');

// Before the first paint, so a dark-theme user never sees a light flash.
applyTheme(cachedTheme());

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');

export default mount(App, { target });
