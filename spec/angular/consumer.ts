// What an app writes with ws-machine/angular, type-checked against Angular 20, 21 and 22
// (types.spec.ts). It is compiled, never run.
import { DestroyRef, Injector, computed, inject, runInInjectionContext, type Signal } from '@angular/core';
import { filter, map, type Observable } from 'rxjs';
import type { MachineError, Status } from '../../lib/index.browser.js';
import { injectMachine, type InjectMachineOptions, type MachineRef } from '../../lib/angular/index.js';

interface Quote {
  symbol: string;
  price: number;
}

export class QuotesService {
  readonly feed: MachineRef = injectMachine('/ws/quotes', { format: 'text', heartbeat: 'ping', pingInterval: 20_000 });
  readonly up: Signal<boolean> = computed(() => this.feed.status().state === 'CONNECTED');
  readonly problem: Signal<string | undefined> = computed(() => this.feed.lastError()?.message);
  readonly quotes$: Observable<Quote> = this.feed.machine.input$.pipe(
    map((message) => JSON.parse(typeof message === 'string' ? message : new TextDecoder().decode(message)) as unknown),
    filter((value): value is Quote => typeof (value as Partial<Quote> | null)?.symbol === 'string'),
  );

  constructor() {
    inject(DestroyRef).onDestroy(() => undefined);
  }

  watch(symbol: string): void {
    this.feed.machine.output.next(JSON.stringify({ type: 'subscribe', symbol }));
  }
}

export function outsideAContext(injector: Injector): MachineRef<string, string> {
  const options: InjectMachineOptions<string, string> = { injector, format: 'text' };
  const ref = injectMachine<string, string>('wss://example.com/ws', options);
  // Typed locals that nothing reads: the point is that these assignments compile.
  const _status: Status = ref.status();
  const _error: MachineError | undefined = ref.lastError();
  return runInInjectionContext(injector, () => ref);
}
