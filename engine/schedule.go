package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	lua "github.com/yuin/gopher-lua"
)

// schedule is one bot.every / bot.cron / bot.at / bot.after registration. Its timer only
// posts a job to the loop; the handler runs there like any other.
type schedule struct {
	script  *script
	kind    string // every, cron, at, after
	spec    string
	line    int
	fn      *lua.LFunction
	every   time.Duration // every, after
	cron    cron.Schedule
	at      time.Time
	due     time.Time
	timer   Timer
	stopped bool
}

// ScheduleInfo describes a schedule for `qunguan scripts list`.
type ScheduleInfo struct {
	Script string
	Line   int
	Kind   string // every, cron, at, after
	Spec   string
	Next   time.Time // zero when not armed
}

func (sc *schedule) info() ScheduleInfo {
	info := ScheduleInfo{Script: sc.script.name, Line: sc.line, Kind: sc.kind, Spec: sc.spec}
	if !sc.stopped {
		info.Next = sc.due
	}
	return info
}

func (sc *schedule) stop() {
	sc.stopped = true
	if sc.timer != nil {
		sc.timer.Stop()
		sc.timer = nil
	}
}

// atLayouts are the forms bot.at accepts, in the engine's time zone unless they say otherwise.
var atLayouts = []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"}

// registerSchedule implements bot.every/cron/at/after. At load time the schedule is armed
// when the script commits; from a handler it is armed at once. It returns a handle with
// :cancel().
func (e *Engine) registerSchedule(L *lua.LState, s *script, kind string) int {
	call := "bot." + kind
	sc := &schedule{script: s, kind: kind, line: callerLine(L)}
	spec := L.Get(1)
	switch kind {
	case "every", "after":
		d, err := luaDuration(spec)
		if err != nil {
			L.RaiseError("%s: %s", call, err)
		}
		if kind == "every" && d < time.Second {
			L.RaiseError("%s: the interval must be at least 1s, not %v", call, d)
		}
		sc.every, sc.spec = d, lua.LVAsString(spec)
	case "cron":
		text, ok := spec.(lua.LString)
		if !ok {
			L.RaiseError("%s: the spec must be a string like \"30 8 * * 1-5\"", call)
		}
		parsed, err := cron.ParseStandard(string(text))
		if err != nil {
			L.RaiseError("%s: invalid cron spec %q: %s (minute hour day-of-month month day-of-week)", call, string(text), err)
		}
		sc.cron, sc.spec = parsed, string(text)
	case "at":
		when, err := e.parseAt(spec)
		if err != nil {
			L.RaiseError("%s: %s", call, err)
		}
		sc.at, sc.spec = when, lua.LVAsString(spec)
	}
	fn, ok := L.Get(2).(*lua.LFunction)
	if !ok {
		L.RaiseError("%s: the second argument must be the function to run, not %s", call, L.Get(2).Type())
	}
	sc.fn = fn
	s.schedules = append(s.schedules, sc)
	if !s.loading {
		e.armSchedule(sc)
		e.publishStatus()
	}
	handle := L.NewTable()
	handle.RawSetString("cancel", L.NewFunction(func(L *lua.LState) int {
		sc.stop()
		e.forgetSchedule(sc)
		return 0
	}))
	L.Push(handle)
	return 1
}

func (e *Engine) parseAt(v lua.LValue) (time.Time, error) {
	switch v := v.(type) {
	case lua.LNumber:
		return time.Unix(int64(v), 0), nil
	case lua.LString:
		text := strings.TrimSpace(string(v))
		if t, err := time.Parse(time.RFC3339, text); err == nil {
			return t, nil
		}
		for _, layout := range atLayouts {
			if t, err := time.ParseInLocation(layout, text, e.loc); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("invalid time %q (write it like \"2026-12-01 09:00\")", text)
	}
	return time.Time{}, fmt.Errorf("the time must be a string like \"2026-12-01 09:00\" or a unix time, not %s", v.Type())
}

// armSchedule starts the timer for the next occurrence.
func (e *Engine) armSchedule(sc *schedule) {
	if sc.stopped || sc.script.closed {
		return
	}
	now := e.clock.Now()
	var next time.Time
	switch sc.kind {
	case "every":
		if sc.due.IsZero() {
			next = now.Add(sc.every)
		} else {
			// Keep the rhythm of the first registration, skipping beats missed while the
			// loop was busy rather than firing them in a burst.
			next = sc.due.Add(sc.every)
			for !next.After(now) {
				next = next.Add(sc.every)
			}
		}
	case "cron":
		from := now
		if sc.due.After(from) {
			from = sc.due
		}
		next = sc.cron.Next(from.In(e.loc))
		if next.IsZero() {
			return
		}
	case "at":
		if !sc.due.IsZero() {
			return // fired already
		}
		if !sc.at.After(now) {
			e.log.WithFields(map[string]any{"script": sc.script.name, "at": sc.spec}).Warn("bot.at time is in the past; it will not fire")
			sc.stopped = true
			return
		}
		next = sc.at
	case "after":
		if !sc.due.IsZero() {
			return
		}
		next = now.Add(sc.every)
	}
	sc.due = next
	sc.timer = e.clock.AfterFunc(next.Sub(now), func() { e.post(func() { e.fireSchedule(sc) }) })
}

// fireSchedule runs on the loop when a schedule's timer fires.
func (e *Engine) fireSchedule(sc *schedule) {
	if sc.stopped || sc.script.closed || sc.script.disabled {
		return
	}
	sc.timer = nil
	repeating := sc.kind == "every" || sc.kind == "cron"
	if repeating {
		// Arm the next beat before running: a failing handler must not stop its schedule.
		e.armSchedule(sc)
	} else {
		sc.stopped = true
		e.forgetSchedule(sc)
	}
	e.start(sc.script, sc.kind+" "+sc.spec, sc.fn)
}

// forgetSchedule drops a finished one-shot so that runtime bot.after calls do not pile up.
func (e *Engine) forgetSchedule(sc *schedule) {
	s := sc.script
	for i, other := range s.schedules {
		if other == sc {
			s.schedules = append(s.schedules[:i], s.schedules[i+1:]...)
			break
		}
	}
	if !s.loading {
		e.publishStatus()
	}
}
