import type { ProviderStatus } from '../sync/openDoc';

export const CONNECTION_LABELS = {
  online: 'Online',
  offline: 'Offline — changes will sync',
  syncing: 'Syncing'
} as const;

export type ConnectionLabel = (typeof CONNECTION_LABELS)[keyof typeof CONNECTION_LABELS];

export interface ConnectionInputs {
  providers: ReadonlyArray<{ status: ProviderStatus; synced: boolean }>;
  /** Outbox entries the server has not accepted yet. */
  pendingCount: number;
  flushing: boolean;
}

/**
 * Exactly one label for the page. Offline wins (any document not connected: what is done now only
 * syncs later); then Syncing (connected but not caught up, or messages still on their way); Online only
 * when every document is connected and synced and nothing waits in the outbox. No documents yet means
 * they are still being opened, which is Syncing, not Online.
 */
export function getConnectionLabel({ providers, pendingCount, flushing }: ConnectionInputs): ConnectionLabel {
  if (providers.some((p) => p.status !== 'connected')) return CONNECTION_LABELS.offline;
  if (providers.length === 0 || providers.some((p) => !p.synced) || pendingCount > 0 || flushing) {
    return CONNECTION_LABELS.syncing;
  }
  return CONNECTION_LABELS.online;
}
