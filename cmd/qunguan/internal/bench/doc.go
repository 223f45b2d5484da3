// Package bench is the load harness behind `qunguan bench`: it runs the simulator (wxsim) on a
// loopback listener and the daemon in one process — exactly the wiring of `qunguan demo` —
// drives generated traffic through them, and measures what a person running qunguan cares
// about:
//
//   - messages per second sustained end to end (synced, logged with the FTS index, dispatched
//     to the rules), counted from the daemon's Feed, not from what was injected;
//   - the latency from injecting a probe text to the reply arriving at the simulator (the
//     outbox unpaced, a generated rule answering the probe);
//   - peak memory (heap in use, Go's Sys, and VmHWM from /proc/self/status);
//   - database bytes per million messages;
//   - how long a restart takes to sync again with a hot login.
//
// With Backlog it measures the daemon alone: messages are queued at the simulator while the
// daemon is stopped, and a fresh daemon drains them with nothing generated beside it.
//
// With Accounts > 1 it is the memory test: many accounts, each with a large contact book, the
// simulators preferably in a child process (SimProcess) so the figures are the daemon's alone.
//
// With Soak it injects faults (5xx, latency, reset connections, duplicate deliveries, 1205 on
// sends) and 1101 kicks, and checks at the end that every delivered message is in the log
// exactly once, that every successful send reached the simulator exactly once, and that
// goroutines and heap stayed flat.
//
// Lifecycle: Run(ctx, opts) builds everything in a temporary directory, runs the scenario,
// tears everything down and returns a Report; nothing outlives the call. The harness carries
// the speed targets; tests only assert correctness (exactly once, flat within a tolerance).
//
//	rep, err := bench.Run(ctx, bench.Options{Groups: 100, Members: 200, Rate: 8000,
//		Duration: 30 * time.Second, PageSize: 1000, ScriptsDir: "./scripts"})
//	if err == nil {
//		rep.WriteText(os.Stdout)
//	}
package bench
