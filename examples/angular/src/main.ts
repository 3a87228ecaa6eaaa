// Boots the example. The same build runs with zone.js (angular.json loads it as a polyfill) and
// without it (the example server's /zoneless page leaves the polyfill out): ws-machine/angular
// works either way, so the app picks its change detection by what the page loaded.
import { provideZoneChangeDetection, provideZonelessChangeDetection, type ApplicationRef } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { AppComponent } from './app/app.component';

const changeDetection =
  typeof (globalThis as { Zone?: unknown }).Zone === 'undefined' ? provideZonelessChangeDetection() : provideZoneChangeDetection();

bootstrapApplication(AppComponent, { providers: [changeDetection] })
  .then((app) => {
    // For the end-to-end test (spec/angular/app.spec.ts): it reads isStable and destroys the app.
    (globalThis as { exampleApp?: ApplicationRef }).exampleApp = app;
  })
  .catch((error: unknown) => console.error(error));
