// Copying text for people: a toast says it worked, or why not.
import { toasts } from './toasts.svelte';

/** Copies `text`; `what` names it in the toast ("Address copied"). */
export async function copyText(text: string, what: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    toasts.show(`${what} copied`);
    return true;
  } catch (e) {
    toasts.error(e);
    return false;
  }
}
