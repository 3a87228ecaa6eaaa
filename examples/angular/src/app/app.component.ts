import { ChangeDetectionStrategy, Component, signal } from '@angular/core';
import { EchoComponent } from './echo.component';
import { TickerComponent } from './ticker.component';

/** Two machines in one app, each tied to its component: the echo and the ticker. */
@Component({
  selector: 'app-root',
  imports: [EchoComponent, TickerComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>ws-machine · Angular</h1>
    <app-echo />
    @if (showTicker()) {
      <app-ticker />
    }
    <!-- Hiding the ticker destroys it, and its machine QUITs: the server sees close code 1000. -->
    <button id="toggle-ticker" (click)="showTicker.set(!showTicker())">{{ showTicker() ? 'Hide' : 'Show' }} the ticker</button>
  `,
})
export class AppComponent {
  protected readonly showTicker = signal(true);
}
