/**
 * ws-machine/angular for browsers: the same as on Node, over the browser build of the machine
 * (no `ws` in a browser bundle).
 * @packageDocumentation
 */
import { Machine } from '../index.browser.js';
import { injectMachineFor, type InjectMachine } from './machine-ref.js';

export type { InjectMachine, InjectMachineOptions, MachineRef } from './machine-ref.js';

/** {@inheritDoc InjectMachine} */
export const injectMachine: InjectMachine = injectMachineFor(Machine);
