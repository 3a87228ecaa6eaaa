/**
 * ws-machine/angular for browsers: the same as on Node, over the browser build of the machine
 * (no `ws` in a browser bundle).
 * @packageDocumentation
 */
import { Machine, type Message, type Sendable, type UrlProvider } from '../index.browser.js';
import { createMachineRef, type InjectMachineOptions, type MachineRef } from './machine-ref.js';

export type { InjectMachineOptions, MachineRef } from './machine-ref.js';

/**
 * A machine tied to the current injection context (a component's, directive's or service's
 * constructor or field initializer), with its status as signals:
 *
 * - everything the machine does (timers, socket callbacks, and what `output`, `command`,
 *   `channel` and `request` start, from a click handler too) runs outside Angular's zone, so a
 *   zone.js app becomes stable while the machine is connected or waiting; the signals (and the
 *   `async` pipe) update the view with zone.js and without it;
 * - the machine QUITs (close code 1000) when the context is destroyed;
 * - on the server platform no socket opens: the machine rests in `WAITING` without a delay (a
 *   relative URL such as `'/ws'` is accepted there); in the browser it stays so until the first
 *   render is done (after hydration), then connects, a relative URL resolving against the page
 *   (`http:` → `ws:`, `https:` → `wss:`);
 * - every call makes its own machine: an app may hold any number.
 *
 * @param url - where to connect, as for `new Machine(url)`; may be relative to the page.
 * @param options - the machine's options (a `codec` types the messages), and an `injector` for a
 *   call outside an injection context.
 * @throws Angular's NG0203 error outside an injection context without an `injector` option, and
 *   what `new Machine` throws for a bad URL or option.
 *
 * @example
 * ```ts
 * import { Component, computed } from '@angular/core';
 * import { toSignal } from '@angular/core/rxjs-interop';
 * import { Command } from 'ws-machine';
 * import { injectMachine } from 'ws-machine/angular';
 *
 * @Component({
 *   selector: 'app-echo',
 *   template: `
 *     <p>{{ feed.status().state }} {{ feed.lastError()?.message }}</p>
 *     <p>{{ reply() }}</p>
 *     <button (click)="feed.machine.output.next('hello')" [disabled]="!up()">Send</button>
 *     <button (click)="feed.machine.command.next(Command.RECONNECT)">Reconnect</button>
 *   `,
 * })
 * export class EchoComponent {
 *   protected readonly feed = injectMachine('/echo', { format: 'text' });
 *   protected readonly up = computed(() => this.feed.status().state === 'CONNECTED');
 *   protected readonly reply = toSignal(this.feed.machine.input$);
 *   protected readonly Command = Command;
 * }
 * ```
 */
export function injectMachine<In = Message, Out = Sendable>(
  url: string | URL | UrlProvider,
  options?: InjectMachineOptions<In, Out>,
): MachineRef<In, Out> {
  return createMachineRef(Machine, url, options, injectMachine);
}
