package config

import (
	"fmt"
	"time"
)

// Duration is a time.Duration written as "10m", "2s" in the file.
type Duration time.Duration

// UnmarshalText parses a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil || v < 0 {
		return fmt.Errorf("expected a duration such as \"90s\", \"10m\" or \"2h\", got %q", b)
	}
	*d = Duration(v)
	return nil
}

// Std returns the value as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Mode is an account's login mode.
type Mode string

// Login modes.
const (
	ModeNormal  Mode = "normal"
	ModeDesktop Mode = "desktop" // UOS desktop mode, for accounts refused with 1203
)

// UnmarshalText accepts normal or desktop.
func (m *Mode) UnmarshalText(b []byte) error {
	switch Mode(b) {
	case ModeNormal, ModeDesktop:
		*m = Mode(b)
		return nil
	}
	return fmt.Errorf("expected \"normal\" or \"desktop\", got %q", b)
}

// Level is a log level.
type Level string

// UnmarshalText accepts debug, info, warn or error.
func (l *Level) UnmarshalText(b []byte) error {
	switch string(b) {
	case "debug", "info", "warn", "warning", "error":
		*l = Level(b)
		return nil
	}
	return fmt.Errorf("expected one of debug, info, warn, error, got %q", b)
}

// Format is the log format.
type Format string

// UnmarshalText accepts text or json.
func (f *Format) UnmarshalText(b []byte) error {
	switch string(b) {
	case "text", "json":
		*f = Format(b)
		return nil
	}
	return fmt.Errorf("expected \"text\" or \"json\", got %q", b)
}

// Zone is a time zone name ("Asia/Shanghai"); empty means the machine's.
type Zone string

// UnmarshalText checks the zone exists.
func (z *Zone) UnmarshalText(b []byte) error {
	if len(b) > 0 {
		if _, err := time.LoadLocation(string(b)); err != nil {
			return fmt.Errorf("expected an IANA time zone such as \"Asia/Shanghai\", got %q", b)
		}
	}
	*z = Zone(b)
	return nil
}

// Location returns the zone, or time.Local when none was set.
func (z Zone) Location() *time.Location {
	if z == "" {
		return time.Local
	}
	loc, err := time.LoadLocation(string(z))
	if err != nil {
		return time.Local
	}
	return loc
}
