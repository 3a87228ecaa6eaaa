import { ChangeDetectionStrategy, Component, computed } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { filter, map, scan } from 'rxjs';
import { State, type Message } from 'ws-machine';
import { injectMachine } from 'ws-machine/angular';

/** What the ticker endpoint sends. */
export interface Quote {
  symbol: string;
  price: number;
}

function parseQuote(message: Message): Quote | undefined {
  try {
    const value = JSON.parse(typeof message === 'string' ? message : new TextDecoder().decode(message)) as Partial<Quote> | null;
    return typeof value?.symbol === 'string' && typeof value.price === 'number' ? (value as Quote) : undefined;
  } catch {
    return undefined;
  }
}

/** Live quotes for a few symbols, with the connection's status and its latest error. */
@Component({
  selector: 'app-ticker',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section>
      <h2>Ticker</h2>
      <p>
        <span id="ticker-state" class="state" [class.up]="ticker.status().state === State.CONNECTED">{{ ticker.status().state }}</span>
        @if (waitingSeconds() !== undefined) {
          (next attempt in {{ waitingSeconds() }} s)
        }
      </p>
      <!-- lastError outlives the DISCONNECTED status that carried it (which is replaced at once by
           CONNECTING or WAITING), and clears on the next CONNECTED. -->
      @if (ticker.lastError(); as error) {
        <p id="ticker-error" class="error">{{ error.name }}: {{ error.message }}</p>
      }
      <ul>
        @for (quote of quotes(); track quote.symbol) {
          <li class="quote">{{ quote.symbol }} {{ quote.price.toFixed(2) }}</li>
        }
      </ul>
    </section>
  `,
})
export class TickerComponent {
  // A browser cannot ping: the server answers this heartbeat, which keeps the connection checked.
  protected readonly ticker = injectMachine('/ws/ticker', {
    format: 'text',
    heartbeat: '{"type":"ping"}',
    pingInterval: 20_000,
    pongTimeout: 5_000,
  });
  protected readonly State = State;

  /** The latest quote of each symbol, in the order the symbols first appeared. */
  protected readonly quotes = toSignal(
    this.ticker.machine.input$.pipe(
      map(parseQuote),
      filter((quote) => quote !== undefined),
      scan((bySymbol, quote) => new Map(bySymbol).set(quote.symbol, quote), new Map<string, Quote>()),
      map((bySymbol) => [...bySymbol.values()]),
    ),
    { initialValue: [] },
  );

  protected readonly waitingSeconds = computed(() => {
    const status = this.ticker.status();
    return status.state === State.WAITING && status.delay !== undefined ? Math.ceil(status.delay / 1000) : undefined;
  });

  constructor() {
    // The server forgets subscriptions with the connection: subscribe again on every CONNECTED.
    // TODO(lead): once core has json() and channel(), use injectMachine<Quote, TickerRequest>(…,
    // { codec: json() }) and machine.channel({ subscribe: () => ({ type: 'subscribe', symbol }),
    // unsubscribe: …, filter: isQuote }), which re-sends the subscription by itself.
    this.ticker.machine.state$.pipe(filter((status) => status.state === State.CONNECTED)).subscribe(() => {
      for (const symbol of ['ACME', 'GLOBEX']) this.ticker.machine.output.next(JSON.stringify({ type: 'subscribe', symbol }));
    });
  }
}
