/**
 * ws-machine/angular: a machine tied to an Angular injection context, with signals (Node build,
 * for server-side rendering and tests in Node).
 * @packageDocumentation
 */
import { Machine } from '../index.js';
import { injectMachineFor, type InjectMachine } from './machine-ref.js';

export type { InjectMachine, InjectMachineOptions, MachineRef } from './machine-ref.js';

/** {@inheritDoc InjectMachine} */
export const injectMachine: InjectMachine = injectMachineFor(Machine);
