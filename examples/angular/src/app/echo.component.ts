import { ChangeDetectionStrategy, Component, computed, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { Command, State } from 'ws-machine';
import { injectMachine } from 'ws-machine/angular';

/** Sends what you type to the server's echo endpoint and shows what comes back. */
@Component({
  selector: 'app-echo',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section>
      <h2>Echo</h2>
      <p>
        <span id="echo-state" class="state" [class.up]="connected()">{{ echo.status().state }}</span>
        @if (echo.lastError(); as error) {
          <small id="echo-error" class="error">{{ error.message }}</small>
        }
      </p>
      <input id="echo-input" [value]="draft()" (input)="draft.set($any($event.target).value)" />
      <!-- Queued while not connected, sent on connect: the button need not wait. -->
      <button id="echo-send" (click)="send()">Send</button>
      <button (click)="echo.machine.command.next(Command.RECONNECT)">Reconnect</button>
      <p>
        Reply: <span id="echo-reply">{{ reply() }}</span>
      </p>
    </section>
  `,
})
export class EchoComponent {
  /** A relative URL: resolved against the page, http: → ws:. */
  protected readonly echo = injectMachine('/ws/echo', { format: 'text' });
  protected readonly connected = computed(() => this.echo.status().state === State.CONNECTED);
  protected readonly reply = toSignal(this.echo.machine.input$, { initialValue: '' });
  protected readonly draft = signal('hello');
  protected readonly Command = Command;

  protected send(): void {
    // A click runs in Angular's zone; the machine does the sending outside it all the same.
    this.echo.machine.output.next(this.draft());
  }
}
