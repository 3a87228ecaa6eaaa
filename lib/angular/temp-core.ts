// TEMP until core lands: the contract's typed Machine<In, Out>, MachineOptions<In, Out> and Codec
// (API.md, "Typed messages, channels and requests"), which today's core does not have yet. The
// lead deletes this file at merge and imports these names from '../index.browser.js' instead.
import type { Observable, Observer } from 'rxjs';
import type { Machine as CoreMachine, MachineOptions as CoreOptions, Format, Message, Sendable } from '../index.browser.js';

/** TEMP until core lands. */
export interface Codec<In, Out> {
  encode(value: Out): Sendable;
  decode(message: Message): In;
  readonly format?: Format;
}

/** TEMP until core lands. */
export type Machine<In = Message, Out = Sendable> = Omit<CoreMachine, 'input$' | 'output'> & {
  readonly input$: Observable<In>;
  readonly output: Observer<Out>;
};

/** TEMP until core lands. */
export type MachineOptions<In = Message, Out = Sendable> = CoreOptions & { codec?: Codec<In, Out> };
