// Preloaded by bench/profile-lookup.ts (NODE_OPTIONS=--import, which refuses --cpu-prof): V8's
// sampling profiler from start-up to exit, written as PROFILE_DIR/<pid>.cpuprofile. A session on
// the process's own thread answers synchronously, so the profile can be taken in 'exit'.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: Number(process.env.PROFILE_INTERVAL_US ?? 1000) });
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (err, result) => {
    if (!err) writeFileSync(`${process.env.PROFILE_DIR}/${process.pid}.cpuprofile`, JSON.stringify(result.profile));
  });
});
