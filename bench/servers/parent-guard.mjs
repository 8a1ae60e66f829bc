// Preloaded (--import) into the app processes the bench starts, which have an IPC channel to the
// bench: if the bench dies without stopping them (kill -9, a crash), the channel closes and the
// app shuts down as on SIGTERM instead of lingering. Nothing else about the app changes.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
