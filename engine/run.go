package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/sirupsen/logrus"
	lua "github.com/yuin/gopher-lua"
)

// activation is one handler call running as a coroutine of its script's LState.
type activation struct {
	script  *script
	thread  *lua.LState
	what    string // "hear ^ping", "every 10m"… for logs
	waiting bool   // suspended in bot.sleep or bot.http; the loop resumes it
	timer   Timer  // bot.sleep's wake-up, stopped on unload
}

// maxIdleThreads bounds the finished coroutines a script keeps for reuse.
const maxIdleThreads = 8

// callRule runs a matched rule's handler and reports whether it asked to stop lower rules.
func (e *Engine) callRule(r *rule, v *view, captures []string) bool {
	s := r.script
	args := []lua.LValue{e.eventTable(s, v)}
	if r.method != "on" {
		args = append(args, capturesTable(r, captures))
	}
	if e.opts.OnRuleFired != nil {
		e.opts.OnRuleFired(r.info, v.ev)
	}
	return e.start(s, r.info.Name, r.fn, args...)
}

// start runs fn as a new handler coroutine.
func (e *Engine) start(s *script, what string, fn *lua.LFunction, args ...lua.LValue) bool {
	act := &activation{script: s, thread: e.thread(s), what: what}
	return e.resume(act, fn, args)
}

// thread returns an idle coroutine of s, creating one when none is left.
func (e *Engine) thread(s *script) *lua.LState {
	if n := len(s.threads); n > 0 {
		th := s.threads[n-1]
		s.threads = s.threads[:n-1]
		return th
	}
	th, _ := s.L.NewThread()
	return th
}

// resume runs an activation until it returns, yields for bot.sleep/bot.http, or fails. Each
// run gets HandlerTimeout of real time: gopher-lua checks the context between instructions,
// so even `while true do end` stops.
func (e *Engine) resume(act *activation, fn *lua.LFunction, args []lua.LValue) (stop bool) {
	s := act.script
	ctx, cancel := context.WithTimeout(e.baseCtx, e.opts.HandlerTimeout)
	act.thread.SetContext(ctx)
	e.activations[act.thread] = act
	var (
		state lua.ResumeState
		err   error
		rets  []lua.LValue
	)
	if perr := e.protect(func() error {
		state, err, rets = s.L.Resume(act.thread, fn, args...)
		return nil
	}); perr != nil {
		state, err = lua.ResumeError, perr
	}
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
	cancel()
	switch state {
	case lua.ResumeOK:
		delete(e.activations, act.thread)
		s.failures = 0
		if len(s.threads) < maxIdleThreads && !s.closed {
			// A finished coroutine has an empty call stack; gopher-lua only marks it dead.
			// Reviving it saves allocating a fresh stack and registry per handler call.
			act.thread.Dead = false
			s.threads = append(s.threads, act.thread)
		}
		return len(rets) > 0 && rets[0] == lua.LTrue
	case lua.ResumeYield:
		if act.waiting && !s.closed {
			s.sleepers[act] = true
			return false
		}
		err = errors.New("coroutine.yield called outside a coroutine the script created (use bot.sleep to wait)")
	}
	delete(e.activations, act.thread)
	e.fail(act, err, timedOut)
	return false
}

// suspend marks the running handler as waiting; the caller then returns L.Yield(). It raises
// a clear error where yielding is impossible.
func (e *Engine) suspend(L *lua.LState, call string) *activation {
	act := e.activations[L]
	if act == nil || act.thread != L {
		L.RaiseError("%s can only be called from a handler: not while the script loads and not inside a coroutine the script created", call)
	}
	if insideProtectedCall(L) {
		// gopher-lua cannot yield across pcall: the call would return at once instead of
		// waiting, which is worse than an error.
		L.RaiseError("%s cannot wait inside pcall or xpcall; call it directly in the handler", call)
	}
	act.waiting = true
	return act
}

// insideProtectedCall reports whether pcall or xpcall is on the coroutine's call stack.
func insideProtectedCall(L *lua.LState) bool {
	pcall, xpcall := L.GetGlobal("pcall"), L.GetGlobal("xpcall")
	for level := 0; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return false
		}
		fn, err := L.GetInfo("f", dbg, lua.LNil)
		if err == nil && (fn == pcall || fn == xpcall) {
			return true
		}
	}
}

// wake resumes a suspended handler on the loop with the values build returns.
func (e *Engine) wake(act *activation, build func(L *lua.LState) []lua.LValue) {
	s := act.script
	if s.closed || !s.sleepers[act] {
		return // the script was reloaded, removed or disabled meanwhile
	}
	delete(s.sleepers, act)
	act.waiting, act.timer = false, nil
	var args []lua.LValue
	if build != nil {
		args = build(s.L)
	}
	e.resume(act, nil, args)
}

// fail records a failed handler call and disables the script after MaxFailures in a row.
func (e *Engine) fail(act *activation, err error, timedOut bool) {
	s := act.script
	line, msg := splitLuaError(luaErrorText(err))
	cause := errors.New(msg)
	if timedOut {
		cause = fmt.Errorf("%w: stopped after %v (an endless loop?)", ErrDeadline, e.opts.HandlerTimeout)
	}
	serr := &ScriptError{Script: s.name, Path: s.path, Line: line, What: act.what, Err: cause}
	s.failures++
	fields := logrus.Fields{"script": s.name, "file": s.path, "line": line, "rule": act.what, "failures": s.failures}
	e.log.WithFields(fields).WithError(cause).Warn("script handler failed")
	if e.opts.OnHandlerError != nil {
		e.opts.OnHandlerError(serr)
	}
	if s.failures >= e.opts.MaxFailures && !s.disabled && !s.closed {
		s.disabled = true
		e.unloadScript(s)
		e.rebuildRules()
		e.log.WithFields(fields).WithError(cause).Error("script disabled after failing repeatedly; fix it and reload")
	}
}
