// Sample data for `npm run dev:mock`: a few friends, a lively timeline.
import {
  emptyState,
  fakeAccountId,
  fakeAvailable,
  fakeHeldRelease,
  fakeListId,
  makePost,
  type FakeAccount,
  type FakeState,
} from './fake-backend';

const MIN = 60_000;
const HOUR = 60 * MIN;

export function demoState(phase: FakeState['phase'] = 'ready'): FakeState {
  const s = emptyState();
  s.phase = phase;
  s.passphrase = 'correct horse';
  s.me.name = 'Ada Lovelace';
  s.me.bio = 'Poetical science. Analytical engines. Tea.';

  const people: FakeAccount[] = [
    { account: fakeAccountId('grace'), name: 'Grace Hopper', bio: 'It is easier to ask forgiveness.', avatar: null },
    { account: fakeAccountId('alan'), name: 'Alan Turing', bio: 'Long-distance runner.', avatar: null },
    { account: fakeAccountId('hedy'), name: 'Hedy Lamarr', bio: null, avatar: null },
    { account: fakeAccountId('margaret'), name: 'Margaret Hamilton', bio: 'Software engineering.', avatar: null },
    { account: fakeAccountId('unnamed'), name: null, bio: null, avatar: null },
  ];
  for (const p of people) s.accounts.set(p.account, p);
  s.following = people.slice(0, 4).map((p) => p.account);
  const [grace, alan, hedy, margaret, unnamed] = people as [FakeAccount, FakeAccount, FakeAccount, FakeAccount, FakeAccount];

  const now = Date.now();
  const t = (ago: number): number => now - ago;
  const post = (a: FakeAccount, text: string | null, ago: number, extra: Parameters<typeof makePost>[0] extends infer P ? Partial<P> : never = {}) => {
    const p = makePost({ author: a.account, author_name: a.name, text, created_at: t(ago), ...extra });
    s.posts.push(p);
    return p;
  };

  const welcome = post(grace, 'The most dangerous phrase in the language is “we’ve always done it this way.”\n\nAnyway, Kith works on the train with no signal. Posts went out when I got home.', 25 * MIN, {
    reactions: { '👍': 4, '❤️': 2, '🎉': 1 },
  });
  post(s.me, 'Replying offline is oddly satisfying.', 20 * MIN, { reply_to: welcome.id, author_name: s.me.name });
  const r2 = post(alan, 'Can machines reply on trains? I believe so.', 18 * MIN, { reply_to: welcome.id });
  post(grace, 'Only if they carry the feed with them 🙂', 15 * MIN, { reply_to: r2.id });

  post(hedy, 'Frequency hopping, but for gossip.', 2 * MIN, { reactions: { '😂': 3 } });
  post(margaret, 'Spoilers for the moon landing below.', 40 * MIN, {
    cw: 'Apollo 11 spoilers',
    text: 'They made it. The 1202 alarm was fine: the software shed low-priority work exactly as designed.',
  });
  post(alan, '', 55 * MIN, { quote_of: welcome.id });
  post(s.me, 'Exactly this. A network that lives on our own disks can’t be switched off in a weekend.', 70 * MIN, {
    quote_of: welcome.id,
    author_name: s.me.name,
    edited: true,
    edited_at: t(60 * MIN),
    reactions: { '❤️': 5 },
  });
  post(unnamed, 'Hello from someone without a name yet.', 3 * HOUR);
  post(grace, null, 4 * HOUR);
  for (let i = 0; i < 60; i++) {
    const who = people[i % 4]!;
    post(who, `Note ${60 - i}: ${['Bugs are features with stage fright.', 'Tea first, then compilers.', 'Reading about CRDTs again.', 'The LAN party found three peers.'][i % 4]}`, (5 + i * 3) * HOUR, {
      reactions: i % 5 === 0 ? { '👍': (i % 7) + 1 } : {},
    });
  }

  // Moderation: a subscribed list that covers a post, one still on its way,
  // a muted word, a muted and a blocked account, an own list with an open
  // report, and reports sent.
  const katherine: FakeAccount = { account: fakeAccountId('katherine'), name: 'Katherine Johnson', bio: 'Keeps the spam watch list.', avatar: null };
  const deals: FakeAccount = { account: fakeAccountId('deals'), name: 'Deals4U', bio: 'Best prices!!!', avatar: null };
  const loud: FakeAccount = { account: fakeAccountId('loud'), name: 'Loud Larry', bio: null, avatar: null };
  const troll: FakeAccount = { account: fakeAccountId('troll'), name: 'Troll', bio: null, avatar: null };
  for (const p of [katherine, deals, loud, troll]) s.accounts.set(p.account, p);

  const moon = post(alan, 'The moon landing was filmed in a tea room. Look at the shadows!', 35 * MIN);
  post(hedy, 'Anyone want to talk crypto? Huge gains this week.', 12 * MIN, { reply_to: welcome.id });
  post(hedy, 'New #crypto coin drops tonight.', 3 * MIN);
  post(loud, 'FIRST!!!', 30 * MIN);

  const spamWatch = fakeListId('spam-watch');
  s.lists.push({
    id: spamWatch,
    owner: katherine.account,
    name: 'Spam watch',
    entries: [
      { target: deals.account, name: deals.name, labels: ['spam'], reason: 'bulk adverts', created_at: t(2 * HOUR) },
      { target: moon.id, name: null, labels: ['misleading'], reason: 'a hoax about the moon landing', created_at: t(30 * MIN) },
    ],
  });
  s.subscriptions.push(
    { list: spamWatch, hide: ['spam'], warn: ['harassment', 'violence', 'sexual', 'misleading', 'other'] },
    { list: fakeListId('on-its-way'), hide: [], warn: ['spam', 'harassment'] },
  );
  s.words = [{ target: 'crypto', name: null, public: false, since: t(3 * HOUR) }];
  s.mutes = [{ target: loud.account, name: loud.name, public: true, since: t(5 * HOUR) }];
  s.blocks = [{ target: troll.account, name: troll.name, public: false, since: t(26 * HOUR) }];

  const teaRoom = fakeListId('tea-room');
  s.lists.push({
    id: teaRoom,
    owner: s.me.account,
    name: 'Tea room rules',
    entries: [{ target: deals.account, name: deals.name, labels: ['spam'], reason: 'Posts the same link everywhere', created_at: t(6 * HOUR) }],
  });
  s.inbox = [
    {
      id: 'a1b2c3d4e5f60718',
      list: teaRoom,
      list_name: 'Tea room rules',
      reporter: grace.account,
      reporter_name: grace.name,
      target: unnamed.account,
      labels: ['spam', 'misleading'],
      text: 'Sends the same “free tea” link to everyone.',
      created_at: t(40 * MIN),
      status: 'open',
    },
    {
      id: '0f1e2d3c4b5a6978',
      list: teaRoom,
      list_name: 'Tea room rules',
      reporter: margaret.account,
      reporter_name: margaret.name,
      target: moon.id,
      labels: ['misleading'],
      text: '',
      created_at: t(2 * HOUR),
      status: 'dismissed',
    },
  ];
  s.outbox = [
    {
      id: '9a8b7c6d5e4f3021',
      list: spamWatch,
      list_name: 'Spam watch',
      reporter: s.me.account,
      reporter_name: s.me.name,
      target: deals.account,
      labels: ['spam'],
      text: 'Adverts in every thread.',
      created_at: t(4 * HOUR),
      status: 'delivered',
    },
  ];
  s.policy = { scope: 'follows', peer_rate: 1200 };

  s.peers = [
    { peer_id: '12D3KooWQm3BpDy7rq7V1S5VPbn8FzeQKC8ZdaTspmh1YgKgo1Qp', addr: '/ip4/192.168.1.31/tcp/4001', found: 'mdns', latency_ms: 3, agent: 'kith/0.1.0', account: grace.account, name: grace.name },
    { peer_id: '12D3KooWHk5gqyGRiWZjWKnLvzLDc3SJ3z6Ew7Cr3KzWGNqX8kQd', addr: '/ip4/203.0.113.7/tcp/4001', found: 'dialled', latency_ms: 48, agent: 'kith/0.1.0', account: alan.account, name: alan.name },
    { peer_id: '12D3KooWAb9sP1mBvN2yQ4rTxE7uF3gH6jK8LwZcV5nM1oR2pS3t', addr: '/ip6/2001:db8::5/udp/4001/quic-v1', found: 'inbound', latency_ms: null, agent: null, account: null, name: null },
  ];
  s.lan = {
    enabled: true,
    peers: [
      { peer_id: '12D3KooWQm3BpDy7rq7V1S5VPbn8FzeQKC8ZdaTspmh1YgKgo1Qp', addrs: ['/ip4/192.168.1.31/tcp/4001'], state: 'connected', error: null, account: grace.account, name: grace.name },
      {
        peer_id: '12D3KooWDx4h7TnB2cRk9LmQ3vWy6sE8fJ1aZp5gN0uXoC7iHbYe',
        addrs: ['/ip4/192.168.1.40/tcp/4001'],
        state: 'unreachable',
        error: 'Connection refused (os error 111)',
        account: null,
        name: null,
      },
    ],
  };
  s.feeds = [
    { account: s.me.account, name: s.me.name, changes: 214, peers: 3, last_sync: t(1 * MIN), in_progress: false, received: 0, expected: 0 },
    { account: grace.account, name: grace.name, changes: 1280, peers: 2, last_sync: t(30_000), in_progress: true, received: 412, expected: 960 },
    { account: alan.account, name: alan.name, changes: 77, peers: 1, last_sync: t(3 * HOUR), in_progress: false, received: 0, expected: 0 },
    { account: hedy.account, name: hedy.name, changes: 5, peers: 0, last_sync: null, in_progress: false, received: 0, expected: 0 },
  ];
  s.requests = { heads: 48, changes: 131, blobs: 12, request_bytes: 18_400, response_bytes: 6_291_456 };
  s.settings = {
    listen: ['/ip4/0.0.0.0/tcp/4001', '/ip6/::/tcp/4001'],
    bootstrap: ['/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWHk5gqyGRiWZjWKnLvzLDc3SJ3z6Ew7Cr3KzWGNqX8kQd'],
    mdns: true,
    theme: 'system',
    notifications: true,
    lockAfterMinutes: 15,
    zoom: 100,
  };
  // Share Kith and updates: 0.1.0 kept as a .deb and an .rpm, two LAN
  // addresses, 0.2.0 offered by two peers, and a notice refused.
  s.release.held = fakeHeldRelease('0.1.0', { home: s.home });
  s.release.lanAddresses = ['192.168.1.23', '10.0.0.5'];
  s.release.available = fakeAvailable('0.2.0', 2);
  s.release.refused = [
    {
      version: '0.1.0',
      from: '12D3KooWHk5gqyGRiWZjWKnLvzLDc3SJ3z6Ew7Cr3KzWGNqX8kQd',
      reason: 'Kith 0.1.0 is not newer than the running 0.1.0',
    },
    {
      version: null,
      from: '12D3KooWAb9sP1mBvN2yQ4rTxE7uF3gH6jK8LwZcV5nM1oR2pS3t',
      reason: "the manifest's signature does not check: it was altered after it was signed",
    },
  ];
  s.latency = 120;
  return s;
}
