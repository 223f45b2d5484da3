package main

import (
	"io"
	"os"

	"github.com/sirupsen/logrus"
	"golang.org/x/term"
)

// newLogger builds the one root logger of the process. Packages get entries with a `module`
// field from it; messages are constant and data goes in fields. Colour only on a terminal and
// never with NO_COLOR.
func newLogger(out io.Writer, level, format string, debug bool) *logrus.Logger {
	log := logrus.New()
	log.SetOutput(out)
	lvl, err := logrus.ParseLevel(level)
	if err != nil {
		lvl = logrus.InfoLevel
	}
	if debug {
		lvl = logrus.DebugLevel
	}
	log.SetLevel(lvl)
	if format == "json" {
		log.SetFormatter(&logrus.JSONFormatter{})
		return log
	}
	log.SetFormatter(&logrus.TextFormatter{
		FullTimestamp:   true,
		TimestampFormat: "15:04:05",
		ForceColors:     colorEnabled(out),
		DisableColors:   !colorEnabled(out),
	})
	return log
}

// colorEnabled reports whether out is a terminal and the user has not asked for no colour.
func colorEnabled(out io.Writer) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	f, ok := out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
