/**
 * A reader process of the fan-out benchmark (BENCH_READER_PROCESSES > 1): holds a share of the readers of
 * each group, so that decoding the same update in 500 Y.Docs is spread over processes instead of queueing
 * in one event loop. Spoken to over IPC by `ReaderShards` (bench/shards.ts); reports, per round, the
 * absolute time (`performance.timeOrigin + performance.now()`) at which each of its readers saw the change.
 */
import { closeClient, openClient, waitReady, type Client } from './clients';
import { getProbe, type FanoutProbe, type ProbeSpec } from './fanout';
import type { ShardReply, ShardRequest } from './shards';

const CONNECT_TIMEOUT_MS = 30_000;

interface Group {
  readers: Client[];
  probe: FanoutProbe;
  current: number;
  lastSeen: Int32Array;
  times: number[];
  userIds: string[] | undefined;
}

const groups = new Map<number, Group>();
const now = () => performance.timeOrigin + performance.now();
const reply = (message: ShardReply) => process.send?.(message);

process.setMaxListeners(0);

function onChange(id: number, group: Group, index: number): void {
  const reader = group.readers[index];
  if (
    group.lastSeen[index] === group.current ||
    !group.probe.shows(reader.doc, group.current, group.userIds?.[index])
  ) {
    return;
  }
  group.lastSeen[index] = group.current;
  group.times.push(now());
  if (group.times.length === group.readers.length) {
    reply({ type: 'seen', group: id, round: group.current, times: group.times });
  }
}

async function open(request: Extract<ShardRequest, { type: 'open' }>): Promise<void> {
  const probe = getProbe(request.probe as ProbeSpec);
  const group: Group = {
    readers: [],
    probe,
    current: -1,
    lastSeen: new Int32Array(request.headers.length).fill(-1),
    times: [],
    userIds: request.userIds
  };
  groups.set(request.group, group);
  request.headers.forEach((headers, index) => {
    const docName = request.docNames?.[index] ?? request.docName;
    const reader = openClient({ serverUrl: request.serverUrl, docName, headers });
    probe.watch(reader.doc, () => onChange(request.group, group, index));
    group.readers.push(reader);
  });
  try {
    await Promise.all(
      group.readers.map((r) =>
        waitReady(r, { mode: request.ready, timeoutMs: request.timeoutMs ?? CONNECT_TIMEOUT_MS })
      )
    );
    reply({ type: 'opened', group: request.group });
  } catch (error) {
    reply({ type: 'error', group: request.group, message: (error as Error).message });
  }
}

process.on('message', (request: ShardRequest) => {
  switch (request.type) {
    case 'ping':
      reply({ type: 'pong', id: request.id, at: now() });
      break;
    case 'open':
      void open(request);
      break;
    case 'arm': {
      const group = groups.get(request.group)!;
      group.current = request.round;
      group.times = [];
      reply({ type: 'armed', group: request.group, round: request.round });
      break;
    }
    case 'report': {
      const group = groups.get(request.group)!;
      reply({ type: 'seen', group: request.group, round: group.current, times: group.times });
      break;
    }
    case 'close': {
      const group = groups.get(request.group);
      group?.readers.forEach(closeClient);
      groups.delete(request.group);
      reply({ type: 'closed', group: request.group });
      break;
    }
    case 'exit':
      process.exit(0);
  }
});

reply({ type: 'started' });
