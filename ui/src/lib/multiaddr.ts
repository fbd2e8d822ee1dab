// Settings keep multiaddrs one per line in a textarea.

/** One multiaddr per line: trimmed, blank lines dropped, duplicates once. */
export function parseMultiaddrLines(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const a = line.trim();
    if (a !== '' && !out.includes(a)) out.push(a);
  }
  return out;
}

export function formatMultiaddrLines(addrs: readonly string[]): string {
  return addrs.join('\n');
}

/**
 * A light shape check (the node does the real parsing): starts with `/`,
 * no spaces, no empty segment, and a known first protocol.
 */
export function looksLikeMultiaddr(a: string): boolean {
  if (!a.startsWith('/') || /\s/.test(a)) return false;
  const parts = a.slice(1).split('/');
  if (parts.some((p) => p === '')) return false;
  const first = parts[0] ?? '';
  return ['ip4', 'ip6', 'dns', 'dns4', 'dns6', 'dnsaddr', 'p2p', 'unix'].includes(first) && parts.length >= 2;
}

/** The lines of `text` that do not look like multiaddrs. */
export function invalidMultiaddrs(text: string): string[] {
  return parseMultiaddrLines(text).filter((a) => !looksLikeMultiaddr(a));
}
