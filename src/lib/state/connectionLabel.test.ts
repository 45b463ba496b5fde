import { describe, expect, it } from 'vitest';
import type { ProviderStatus } from '../sync/openDoc';
import { CONNECTION_LABELS, getConnectionLabel } from './connectionLabel';

const { online, offline, syncing } = CONNECTION_LABELS;
const p = (status: ProviderStatus, synced: boolean) => ({ status, synced });

describe('getConnectionLabel', () => {
  const table: [string, Parameters<typeof getConnectionLabel>[0], string][] = [
    [
      'all connected and synced, outbox empty',
      { providers: [p('connected', true), p('connected', true)], pendingCount: 0, flushing: false },
      online
    ],
    [
      'one provider connecting',
      { providers: [p('connected', true), p('connecting', false)], pendingCount: 0, flushing: false },
      offline
    ],
    [
      'one provider disconnected',
      { providers: [p('disconnected', false), p('connected', true)], pendingCount: 0, flushing: false },
      offline
    ],
    [
      'offline wins over a waiting outbox',
      { providers: [p('disconnected', false)], pendingCount: 3, flushing: false },
      offline
    ],
    [
      'connected but not synced yet',
      { providers: [p('connected', false), p('connected', true)], pendingCount: 0, flushing: false },
      syncing
    ],
    [
      'synced but outbox flushing',
      { providers: [p('connected', true)], pendingCount: 1, flushing: true },
      syncing
    ],
    [
      'synced, outbox not empty while backing off',
      { providers: [p('connected', true)], pendingCount: 1, flushing: false },
      syncing
    ],
    [
      'synced, last message on its way (flushing, nothing pending)',
      { providers: [p('connected', true)], pendingCount: 0, flushing: true },
      syncing
    ],
    ['no documents open yet', { providers: [], pendingCount: 0, flushing: false }, syncing]
  ];

  it.each(table)('%s', (_name, inputs, expected) => {
    expect(getConnectionLabel(inputs)).toBe(expected);
  });

  it('always yields exactly one of the three labels', () => {
    const statuses: ProviderStatus[] = ['connecting', 'connected', 'disconnected'];
    for (const a of statuses)
      for (const b of statuses)
        for (const syncedA of [true, false])
          for (const syncedB of [true, false])
            for (const pendingCount of [0, 2])
              for (const flushing of [true, false]) {
                const label = getConnectionLabel({
                  providers: [p(a, syncedA), p(b, syncedB)],
                  pendingCount,
                  flushing
                });
                expect([online, offline, syncing]).toContain(label);
              }
  });
});
