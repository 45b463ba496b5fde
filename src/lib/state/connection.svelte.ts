import type { DocConnection } from '../sync/openDoc';
import type { Outbox } from '../sync/outbox';
import { getConnectionLabel, type ConnectionLabel } from './connectionLabel';

/** The page's connection state, from every open document and the outbox. */
export class ConnectionState {
  #providers = $state.raw<{ status: DocConnection['status']; synced: boolean }[]>([]);
  #pendingCount = $state(0);
  #flushing = $state(false);
  #unsubscribe: (() => void)[] = [];

  readonly label: ConnectionLabel = $derived(
    getConnectionLabel({
      providers: this.#providers,
      pendingCount: this.#pendingCount,
      flushing: this.#flushing
    })
  );

  constructor({ docs, outbox }: { docs: DocConnection[]; outbox: Outbox }) {
    const readDocs = () => {
      this.#providers = docs.map((d) => ({ status: d.status, synced: d.synced }));
    };
    const readOutbox = () => {
      this.#pendingCount = outbox.pendingCount;
      this.#flushing = outbox.flushing;
    };
    readDocs();
    readOutbox();
    for (const d of docs) this.#unsubscribe.push(d.subscribe(readDocs));
    this.#unsubscribe.push(outbox.subscribe(readOutbox));
  }

  destroy(): void {
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
  }
}
