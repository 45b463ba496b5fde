import type { UserId } from '../../src/lib/domain/ids';
import type { MemberKind } from '../../src/lib/domain/roles';

/** Who opened a request or connection, as established from the session or guest cookie. */
export interface Identity {
  userId: UserId;
  kind: MemberKind;
  displayName: string;
}
