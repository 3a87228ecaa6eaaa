// What a user of ws-machine might write: a chat-room client built on a Machine. The example spec
// next to it unit-tests this code with ws-machine/testing. (A user imports from 'ws-machine'.)
import { distinctUntilChanged, filter, map, take, type Observable } from 'rxjs';
import { Command, Machine, State, type MachineOptions, type Status } from '../../lib/index.js';

/** A line said in the room. */
export interface ChatLine {
  from: string;
  text: string;
}

type ServerEvent = { type: 'joined' } | ({ type: 'line' } & ChatLine);

function parse(message: string | Uint8Array): ServerEvent | undefined {
  if (typeof message !== 'string') return undefined;
  try {
    const event = JSON.parse(message) as { type?: unknown };
    return event.type === 'joined' || event.type === 'line' ? (event as ServerEvent) : undefined;
  } catch {
    return undefined;
  }
}

/** Joins `room` as `name` on every connection (so again after each reconnect) and relays lines. */
export class ChatClient {
  readonly lines$: Observable<ChatLine>;
  readonly connected$: Observable<boolean>;
  readonly status$: Observable<Status>;
  readonly #machine: Machine;

  constructor(url: string, room: string, name: string, options: MachineOptions = {}) {
    this.#machine = new Machine(`${url}?room=${encodeURIComponent(room)}`, {
      format: 'text',
      protocols: ['chat.v1'],
      // Say who we are before anything queued goes out; the server confirms with "joined".
      handshake: (link) => {
        link.send(JSON.stringify({ type: 'join', name }));
        return link.input$.pipe(
          filter((message) => parse(message)?.type === 'joined'),
          take(1),
        );
      },
      ...options,
    });
    this.status$ = this.#machine.state$;
    this.connected$ = this.#machine.state$.pipe(
      map((status) => status.state === State.CONNECTED),
      distinctUntilChanged(),
    );
    this.lines$ = this.#machine.input$.pipe(
      map(parse),
      filter((event): event is { type: 'line' } & ChatLine => event?.type === 'line'),
      map(({ from, text }) => ({ from, text })),
    );
  }

  say(text: string): void {
    this.#machine.output.next(JSON.stringify({ type: 'say', text }));
  }

  leave(): void {
    this.#machine.command.next(Command.QUIT);
  }
}
