import { Subscription } from 'rxjs';

/**
 * A Subscription without the three fields that Subscription's constructor gives every instance
 * (`initialTeardown`, `_parentage`, `_finalizers`: 24 bytes). The objects a machine keeps for its
 * whole life (its engine, each subscription to its streams) seldom use them, and ten thousand
 * machines would each carry them. RxJS's own `add`, `remove` and `unsubscribe`, reached through the
 * prototype, read them as absent and add them when first needed; `instanceof Subscription` holds.
 */
class Lean {
  closed = false;
}
Object.setPrototypeOf(Lean.prototype, Subscription.prototype);
Object.setPrototypeOf(Lean, Subscription);

/** What a subclass extends in place of `Subscription`: typed as it, built without its fields. */
export const LeanSubscription = Lean as unknown as typeof Subscription;
