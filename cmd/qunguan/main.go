// Command qunguan (群管, "group steward") logs into WeChat through the web protocol, turns every
// message into an event for Lua rules, and keeps an audit log of everything in SQLite.
//
// Run `qunguan --help` for the commands; `qunguan demo` tries everything against the built-in
// simulator without a phone.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCommand()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "qunguan:", errorText(err, debugFlag(root)))
		os.Exit(1)
	}
}

// errorText is what a person sees: the error chain's message, and the detail (%+v) only when
// --debug was given.
func errorText(err error, debug bool) string {
	if debug {
		return fmt.Sprintf("%+v", err)
	}
	var usage usageError
	if errors.As(err, &usage) {
		return usage.Error() + " (see --help)"
	}
	return err.Error()
}

// usageError marks a command-line mistake, so the message points at --help.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func debugFlag(root *cobra.Command) bool {
	v, _ := root.PersistentFlags().GetBool("debug")
	return v
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "qunguan",
		Short: "群管 — a WeChat group steward: Lua rules over the web protocol, with a searchable chat log",
		Long: `qunguan logs into WeChat through the web protocol, turns every message it syncs into
an event for your Lua rules, and keeps an audit log of everything in SQLite.

Try it without a phone: qunguan demo`,
		Example:       "  qunguan demo\n  qunguan run -c qunguan.toml\n  qunguan sim --addr 127.0.0.1:8080",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().Bool("debug", false, "show debug logs and full error detail")
	root.AddCommand(newDemoCommand(), newRunCommand(), newLogCommand(), newSimCommand(), newScriptsCommand(), newBenchCommand(), newVersionCommand())
	return root
}
