import { getContext, setContext } from 'svelte';
import type { CallState } from '$lib/state/call.svelte';

/**
 * The conversation page's call, for components deep in its tree that show who is in which call (the
 * moderators' room cards, the participants' room chooser, R118) without every component in between
 * passing it along. Absent (or `null`) elsewhere, e.g. on the settings page: those components then show
 * no call counts.
 */
export interface CallContext {
  readonly call: CallState | null;
}

const KEY = Symbol('call');

export function setCallContext(context: CallContext): void {
  setContext(KEY, context);
}

/** The page's call, or `null` outside a conversation page (or before it is set up). */
export function getCallContext(): CallContext {
  return getContext<CallContext | undefined>(KEY) ?? { call: null };
}
