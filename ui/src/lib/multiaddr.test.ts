// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { formatMultiaddrLines, invalidMultiaddrs, looksLikeMultiaddr, parseMultiaddrLines } from './multiaddr';

describe('settings multiaddr lines', () => {
  it('takes one multiaddr per line, trimmed, blank lines dropped', () => {
    const text = '  /ip4/0.0.0.0/tcp/4001  \n\n\r\n/ip6/::/tcp/4001\r\n   \n';
    expect(parseMultiaddrLines(text)).toEqual(['/ip4/0.0.0.0/tcp/4001', '/ip6/::/tcp/4001']);
  });

  it('keeps a repeated address once', () => {
    expect(parseMultiaddrLines('/ip4/1.2.3.4/tcp/1\n/ip4/1.2.3.4/tcp/1')).toEqual(['/ip4/1.2.3.4/tcp/1']);
  });

  it('round-trips through the textarea form', () => {
    const addrs = ['/ip4/0.0.0.0/tcp/4001', '/dns4/node.example/tcp/4001/p2p/12D3KooWabc'];
    expect(parseMultiaddrLines(formatMultiaddrLines(addrs))).toEqual(addrs);
    expect(parseMultiaddrLines('')).toEqual([]);
  });

  it('flags lines that are not multiaddrs', () => {
    expect(looksLikeMultiaddr('/ip4/192.168.1.20/tcp/4001/p2p/12D3KooWx')).toBe(true);
    expect(looksLikeMultiaddr('/ip6/::1/udp/4001/quic-v1')).toBe(true);
    expect(looksLikeMultiaddr('192.168.1.20:4001')).toBe(false);
    expect(looksLikeMultiaddr('/ip4//tcp/1')).toBe(false);
    expect(looksLikeMultiaddr('/http/x')).toBe(false);
    expect(invalidMultiaddrs('/ip4/1.2.3.4/tcp/1\nlocalhost:4001\n')).toEqual(['localhost:4001']);
  });
});
