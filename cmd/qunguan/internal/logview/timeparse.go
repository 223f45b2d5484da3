// Package logview turns the chat log (qunguan/db) into what `qunguan log` prints: aligned
// tables that pad Chinese and emoji by their display width, JSON lines with stable field names,
// RFC 4180 CSV, and the --since/--until time syntax.
package logview

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TimeHelp describes the accepted --since/--until syntax, for flag help and errors.
const TimeHelp = "RFC 3339 (2026-03-01T09:00:00+08:00), a date (2026-03-01), a local date and time (2026-03-01 09:00), a duration ago (30m, 2h, 7d, 2w), today or yesterday"

// ParseTime reads a --since or --until value: RFC 3339; 2006-01-02, 2006-01-02 15:04 or
// 2006-01-02 15:04:05 in loc; "today" or "yesterday" (midnight in loc); or a duration that
// means that long before now, such as 90s, 30m, 2h, 7d, 2w or 1d12h.
func ParseTime(s string, now time.Time, loc *time.Location) (time.Time, error) {
	v := strings.TrimSpace(s)
	if loc == nil {
		loc = time.Local
	}
	if v == "" {
		return time.Time{}, fmt.Errorf("empty time: use %s", TimeHelp)
	}
	switch strings.ToLower(v) {
	case "now":
		return now, nil
	case "today":
		y, m, d := now.In(loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc), nil
	case "yesterday":
		y, m, d := now.In(loc).Date()
		return time.Date(y, m, d-1, 0, 0, 0, 0, loc), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02 15:04", "2006-01-02 15:04:05",
		"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	if d, ok := parseAgo(v); ok {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("cannot read time %q: use %s", s, TimeHelp)
}

// parseAgo reads a non-negative duration made of number+unit pairs, with d (24h) and w (7d)
// on top of Go's units.
func parseAgo(s string) (time.Duration, bool) {
	units := map[string]time.Duration{
		"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour,
		"d": 24 * time.Hour, "w": 7 * 24 * time.Hour,
	}
	var total time.Duration
	rest := strings.ToLower(s)
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		j := i
		for j < len(rest) && rest[j] >= 'a' && rest[j] <= 'z' {
			j++
		}
		if i == 0 || j == i {
			return 0, false
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		unit, ok := units[rest[i:j]]
		if err != nil || !ok {
			return 0, false
		}
		total += time.Duration(n * float64(unit))
		rest = rest[j:]
	}
	return total, true
}
