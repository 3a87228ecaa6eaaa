// A component that shows live quotes through WsMachineService, with signals. (The service's
// observables suit the async pipe as well: see docs/angular.md.)
import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { map, scan } from 'rxjs';
import { Command, State } from 'ws-machine';
import { WsMachineService, provideWsMachine } from './ws-machine.service';

/** What the quote server sends. */
export interface Quote {
  symbol: string;
  price: number;
}

function isQuote(value: unknown): value is Quote {
  const quote = value as Partial<Quote> | null;
  return typeof quote?.symbol === 'string' && typeof quote.price === 'number';
}

@Component({
  selector: 'app-ticker',
  changeDetection: ChangeDetectionStrategy.OnPush,
  // One connection per ticker on the page, closed (QUIT) when the ticker is destroyed.
  providers: [
    provideWsMachine<Quote>({
      url: 'wss://quotes.example.com/v1/stream',
      // A browser cannot ping: the server answers this heartbeat, which keeps the connection checked.
      options: { format: 'text', heartbeat: '{"type":"ping"}', pingInterval: 20_000, pongTimeout: 5_000 },
      parse: (message) => {
        const value: unknown = JSON.parse(String(message));
        return isQuote(value) ? value : undefined;
      },
    }),
  ],
  template: `
    <p class="state" [class.up]="feed.connected()">
      {{ feed.status().state }}
      @if (waitingSeconds() !== undefined) { (next attempt in {{ waitingSeconds() }} s) }
      @if (feed.status().error; as error) { <small>{{ error.message }}</small> }
    </p>
    <ul>
      @for (quote of quotes(); track quote.symbol) {
        <li>{{ quote.symbol }} {{ quote.price.toFixed(2) }}</li>
      }
    </ul>
    <button (click)="watch('ACME')" [disabled]="!feed.connected()">Watch ACME</button>
    <button (click)="feed.command(Command.RECONNECT)">Reconnect</button>
  `,
})
export class TickerComponent {
  protected readonly feed = inject<WsMachineService<Quote>>(WsMachineService);
  protected readonly Command = Command;

  /** The latest quote of each symbol, in the order the symbols first appeared. */
  protected readonly quotes = toSignal(
    this.feed.messages$.pipe(
      scan((bySymbol, quote) => new Map(bySymbol).set(quote.symbol, quote), new Map<string, Quote>()),
      map((bySymbol) => [...bySymbol.values()]),
    ),
    { initialValue: [] },
  );

  protected readonly waitingSeconds = computed(() => {
    const status = this.feed.status();
    return status.state === State.WAITING && status.delay !== undefined ? Math.ceil(status.delay / 1000) : undefined;
  });

  protected watch(symbol: string): void {
    this.feed.send({ type: 'subscribe', symbol });
  }
}
