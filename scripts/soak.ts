// The soak test: `npm run soak` (about 5 minutes), `npm run soak -- --seconds 30` for a short run.
// Flags: --seconds N, --machines N, --seed N. Exits 1 when a queued message was lost, a message
// was duplicated or reordered on its connection, the machines did not all recover, or handles
// were left behind. Run with --expose-gc (the npm script does) for exact heap figures.
import { parseArgs } from 'node:util';
import { describeSoak, soak } from '../spec/reliability/soak.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '300' },
    machines: { type: 'string', default: '100' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
  },
});
const seconds = Number(values.seconds);
const machines = Number(values.machines);
const seed = Number(values.seed);
if (!(seconds > 0) || !(machines > 0) || !Number.isInteger(seed)) {
  console.error('usage: npm run soak -- [--seconds N] [--machines N] [--seed N]');
  process.exit(2);
}
console.log(`soak: ${machines} machines for ${seconds} s, seed ${seed} (replay with --seed ${seed})`);
const result = await soak({ seconds, machines, seed, log: (line) => console.log(`  ${line}`) });
console.log(describeSoak(result));
const failures = [
  result.lostQueued > 0 && 'queued messages lost',
  result.duplicated > 0 && 'duplicates',
  result.outOfOrder + result.queuedOutOfOrder > 0 && 'messages out of order',
  !result.recovered && 'machines did not recover',
  Object.keys(result.handlesLeft).length > 0 && 'handles left',
].filter(Boolean);
console.log(failures.length === 0 ? 'soak: PASS' : `soak: FAIL (${failures.join(', ')})`);
process.exitCode = failures.length === 0 ? 0 : 1;
