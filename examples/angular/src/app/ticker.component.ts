import { ChangeDetectionStrategy, Component, computed } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { map, merge, scan } from 'rxjs';
import { State, json } from 'ws-machine';
import { injectMachine } from 'ws-machine/angular';

/** What the ticker endpoint sends. */
export interface Quote {
  symbol: string;
  price: number;
}

/** What it understands. */
interface TickerRequest {
  type: 'subscribe' | 'unsubscribe';
  symbol: string;
}

/** The server's messages are not checked at run time by json(): a guard tells quotes apart. */
function isQuote(message: unknown): message is Quote {
  const m = message as Partial<Quote> | null;
  return typeof m?.symbol === 'string' && typeof m.price === 'number';
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
  // JSON both ways. A browser cannot ping: the server answers this heartbeat (sent as given, not
  // through the codec), which keeps the connection checked.
  protected readonly ticker = injectMachine<unknown, TickerRequest>('/ws/ticker', {
    codec: json<unknown, TickerRequest>(),
    heartbeat: '{"type":"ping"}',
    pingInterval: 20_000,
    pongTimeout: 5_000,
  });
  protected readonly State = State;

  /**
   * One channel per symbol: the server forgets subscriptions with the connection, and a channel
   * subscribes again by itself on every CONNECTED.
   */
  private quotesOf(symbol: string) {
    return this.ticker.machine.channel({
      subscribe: () => ({ type: 'subscribe', symbol }),
      unsubscribe: () => ({ type: 'unsubscribe', symbol }),
      filter: (m): m is Quote => isQuote(m) && m.symbol === symbol,
    });
  }

  /** The latest quote of each symbol, in the order the symbols first appeared. */
  protected readonly quotes = toSignal(
    merge(this.quotesOf('ACME'), this.quotesOf('GLOBEX')).pipe(
      scan((bySymbol, quote) => new Map(bySymbol).set(quote.symbol, quote), new Map<string, Quote>()),
      map((bySymbol) => [...bySymbol.values()]),
    ),
    { initialValue: [] },
  );

  protected readonly waitingSeconds = computed(() => {
    const status = this.ticker.status();
    return status.state === State.WAITING && status.delay !== undefined ? Math.ceil(status.delay / 1000) : undefined;
  });
}
