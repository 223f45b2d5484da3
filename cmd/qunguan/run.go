package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"qunguan/cmd/qunguan/internal/config"
	"qunguan/cmd/qunguan/internal/daemon"
	"qunguan/db"
	"qunguan/wx"
)

// shutdownDrain is how long the outboxes may keep sending after SIGINT/SIGTERM.
const shutdownDrain = 5 * time.Second

func newRunCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the bot: every configured account, hot → push → QR login, sync, log, rules",
		Long: `Run every [[account]] of the config in one process: each logs in (a saved session first,
then a confirmation prompt on the phone, then a QR code in the terminal and as a PNG in the data
dir), syncs, logs every message to the database and runs the Lua rules.

SIGHUP reloads the scripts; SIGINT/SIGTERM stop syncing, let the outbox finish what it can
within a few seconds, and close the database cleanly.`,
		Example: "  qunguan run\n  qunguan run -c /etc/qunguan.toml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(path)
			if err != nil {
				return err
			}
			log := newLogger(cmd.ErrOrStderr(), string(cfg.LogLevel), string(cfg.LogFormat), debugFlag(cmd.Root()))
			return runDaemon(cmd.Context(), cfg, log, cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", "qunguan.toml", "config file (see qunguan.example.toml)")
	return cmd
}

// loadConfig reads the config file; a missing default file is explained rather than reported
// as a bare "no such file".
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no config file at %s: copy qunguan.example.toml to %s and add an [[account]] (or try `qunguan demo` first)", path, path)
	}
	return cfg, err
}

// runDaemon opens the store and runs the daemon until ctx ends.
func runDaemon(ctx context.Context, cfg *config.Config, log *logrus.Logger, terminal io.Writer) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	store, err := db.Open(ctx, cfg.Database, db.Options{Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.WithError(err).Error("closing the database")
		}
	}()
	if !isTerminal(terminal) {
		terminal = nil // no QR drawing into a pipe or a log file; the PNG and URL are logged
	}
	d, err := daemon.New(daemon.Options{
		Config: cfg, Store: store, Logger: log,
		QR: func(account string) func(context.Context, wx.QRCode) {
			return qrShower(account, cfg.DataDir, terminal, log.WithField("account", account))
		},
	})
	if err != nil {
		return err
	}
	go reloadOnHUP(ctx, d, cfg.Path, log)
	if cfg.RetainDays > 0 {
		go pruneDaily(ctx, store, cfg.RetainDays, log)
	}
	log.WithFields(logrus.Fields{"database": cfg.Database, "accounts": len(cfg.Accounts), "scripts": cfg.ScriptsDir}).Info("qunguan starting")
	err = d.Run(ctx, shutdownDrain)
	log.Info("qunguan stopped")
	return err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// reloadOnHUP re-reads the config file and reloads the scripts on SIGHUP. A config that no
// longer parses is reported and the scripts reload with the sections they had.
func reloadOnHUP(ctx context.Context, d *daemon.Daemon, path string, log *logrus.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			cfg, err := config.Load(path)
			if err != nil {
				log.WithError(err).Error("reload: the config file has an error; keeping the old script settings")
				cfg = nil
			}
			if err := d.Reload(ctx, cfg); err != nil {
				log.WithError(err).Error("reload: some scripts kept their old version")
			} else {
				log.Info("scripts and their settings reloaded")
			}
		}
	}
}

// pruneDaily deletes messages older than the retention, at start and then every day.
func pruneDaily(ctx context.Context, store *db.DB, days int, log *logrus.Logger) {
	for {
		res, err := store.Prune(ctx, time.Now().AddDate(0, 0, -days))
		if err != nil {
			log.WithError(err).Warn("pruning old messages failed")
		} else {
			log.WithField("result", fmt.Sprintf("%+v", res)).Info("pruned messages past retain_days")
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(24 * time.Hour):
		}
	}
}
