// Small text helpers for ids, names and sizes.

/** `kith1qxy…a8f3`: enough to tell ids apart at a glance. */
export function shortId(id: string, head = 9, tail = 4): string {
  if (id.length <= head + tail + 1) return id;
  return `${id.slice(0, head)}…${id.slice(-tail)}`;
}

/** Peer ids (`12D3KooW…`) share a long prefix: keep the informative end. */
export function shortPeerId(id: string): string {
  return id.length <= 14 ? id : `…${id.slice(-10)}`;
}

/** Display name, falling back to the short account id. */
export function displayName(name: string | null | undefined, account: string): string {
  const n = name?.trim();
  return n ? n : shortId(account);
}

/** One or two letters for an avatar without a picture. */
export function initials(name: string | null | undefined): string {
  const words = (name ?? '').trim().split(/\s+/).filter(Boolean);
  const letters = words.slice(0, 2).map((w) => [...w][0] ?? '');
  const s = letters.join('').toUpperCase();
  return s || '?';
}

/** A stable hue (0–359) for an account, used to tint initials avatars. */
export function hueOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h % 360;
}

/** Character count as the node counts it (Unicode scalar values). */
export function charCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function formatCount(n: number, one: string, many: string = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

/** A ping round trip for people: "0.4 ms", "6.4 ms", "48 ms", or "—" when unknown. */
export function formatLatency(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
