// Toasts: short messages in a polite live region. Errors stay longer.
import { errorMessage } from './api';

export type Toast = { id: number; kind: 'info' | 'error'; message: string };

let next = 1;

class Toasts {
  items = $state<Toast[]>([]);

  show(message: string, kind: Toast['kind'] = 'info', ms: number = kind === 'error' ? 9000 : 4000): number {
    const id = next++;
    this.items.push({ id, kind, message });
    if (this.items.length > 4) this.items.shift();
    if (ms > 0) setTimeout(() => this.dismiss(id), ms);
    return id;
  }

  error(e: unknown): number {
    return this.show(errorMessage(e), 'error');
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }

  clear(): void {
    this.items = [];
  }
}

export const toasts = new Toasts();
