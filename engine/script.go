package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// script is one loaded version of a script file: its own LState, rules and schedules.
type script struct {
	name      string
	path      string
	hash      [32]byte
	L         *lua.LState
	loadErr   error // set on placeholders for files that never loaded
	reloadErr error // the last failed reload while this version kept running

	loading   bool // the top-level chunk is running: rules may be registered
	rules     []*rule
	schedules []*schedule
	sleepers  map[*activation]bool // suspended handlers, to drop on unload

	failures int
	disabled bool
	closed   bool

	order      int            // position in Engine.scripts, for priority ties
	msgMeta    *lua.LTable    // methods of event tables (reply)
	eventIndex *lua.LFunction // __index of event tables: methods, then lazy fields
	reCache    map[string]*regexp.Regexp
	threads    []*lua.LState // finished handler coroutines, reused
}

// LoadError is a script that failed to compile or to run its top-level chunk.
type LoadError struct {
	Path string
	Line int // 0 when unknown
	Msg  string
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// ScriptError is a failed handler call.
type ScriptError struct {
	Script string
	Path   string
	Line   int    // where the error was raised, 0 when unknown
	What   string // "hear ^ping", "every 10m", …
	Err    error  // wraps ErrDeadline when the handler ran out of time
}

func (e *ScriptError) Error() string {
	return fmt.Sprintf("%s (%s): %v", e.Script, e.What, e.Err)
}

func (e *ScriptError) Unwrap() error { return e.Err }

// luaPosition finds "file.lua:12:" at the start of a Lua error message.
var luaPosition = regexp.MustCompile(`^(?:<string>|[^\s:]+(?:\.lua)?):(\d+): ?`)

// splitLuaError separates a Lua error message into line and text.
func splitLuaError(msg string) (int, string) {
	msg = strings.TrimSpace(msg)
	if i := strings.Index(msg, "\nstack traceback:"); i >= 0 {
		msg = msg[:i]
	}
	if m := luaPosition.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return line, msg[len(m[0]):]
	}
	return 0, msg
}

// compile parses and compiles a script file once; every run reuses the proto.
func compile(path string, src []byte) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(bytes.NewReader(src), path)
	if err != nil {
		var perr *parse.Error
		if errors.As(err, &perr) {
			msg := strings.TrimPrefix(strings.TrimSpace(perr.Message), "syntax error")
			msg = strings.TrimSpace(msg)
			if perr.Token != "" {
				msg = strings.TrimSpace(fmt.Sprintf("%s near '%s'", msg, perr.Token))
			}
			line := perr.Pos.Line
			if line == parse.EOF {
				// The parser ran out of input (an unclosed function or string): point at
				// the last line, where a person would start looking.
				line = bytes.Count(bytes.TrimRight(src, "\n"), []byte("\n")) + 1
				msg += " at the end of the file (something is not closed: end, ), } or a string?)"
			}
			return nil, &LoadError{Path: path, Line: line, Msg: "syntax error: " + msg}
		}
		return nil, &LoadError{Path: path, Msg: err.Error()}
	}
	proto, err := lua.Compile(chunk, path)
	if err != nil {
		var cerr *lua.CompileError
		if errors.As(err, &cerr) {
			return nil, &LoadError{Path: path, Line: cerr.Line, Msg: cerr.Message}
		}
		return nil, &LoadError{Path: path, Msg: err.Error()}
	}
	return proto, nil
}

// loadScript compiles path and runs its top-level chunk in a fresh sandbox. Schedules it
// registers are not armed until commitScript: a version that fails leaves nothing behind.
func (e *Engine) loadScript(path string) (*script, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &LoadError{Path: path, Msg: err.Error()}
	}
	hash := sha256.Sum256(src)
	proto, err := e.opts.Protos.compile(path, src, hash)
	if err != nil {
		return nil, err
	}
	s := &script{
		name:     scriptName(path),
		path:     path,
		hash:     hash,
		sleepers: make(map[*activation]bool),
		reCache:  make(map[string]*regexp.Regexp),
	}
	s.L = e.newSandbox(s)
	fn := s.L.NewFunctionFromProto(proto)

	ctx, cancel := context.WithTimeout(e.baseCtx, e.opts.HandlerTimeout)
	defer cancel()
	s.L.SetContext(ctx)
	s.loading = true
	err = e.protect(func() error {
		s.L.Push(fn)
		return s.L.PCall(0, 0, nil)
	})
	s.loading = false
	s.L.RemoveContext()
	if err != nil {
		line, msg := splitLuaError(luaErrorText(err))
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg = fmt.Sprintf("top-level code ran longer than %v (%s)", e.opts.HandlerTimeout, msg)
		}
		s.L.Close()
		return nil, &LoadError{Path: path, Line: line, Msg: msg}
	}
	return s, nil
}

// protect runs f, turning a Go panic into an error.
func (e *Engine) protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

func luaErrorText(err error) string {
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Object != nil {
		return apiErr.Object.String()
	}
	return err.Error()
}

// commitScript makes a loaded script live: arms its schedules.
func (e *Engine) commitScript(s *script) {
	for _, sc := range s.schedules {
		e.armSchedule(sc)
	}
	e.log.WithFields(logrus.Fields{"script": s.name, "rules": len(s.rules), "schedules": len(s.schedules)}).Info("script loaded")
}

// unloadScript stops everything a script version runs and closes its LState.
func (e *Engine) unloadScript(s *script) {
	if s.closed {
		return
	}
	s.closed = true
	for _, sc := range s.schedules {
		sc.stop()
	}
	for act := range s.sleepers {
		if act.timer != nil {
			act.timer.Stop()
		}
		delete(e.activations, act.thread)
	}
	s.sleepers = nil
	if s.L != nil {
		s.L.Close()
	}
}

func (e *Engine) reportLoadError(path string, err error) {
	fields := logrus.Fields{"script": scriptName(path), "file": path}
	var lerr *LoadError
	if errors.As(err, &lerr) && lerr.Line > 0 {
		fields["line"] = lerr.Line
	}
	e.log.WithFields(fields).WithError(err).Error("script failed to load")
}

// reload brings the loaded scripts in line with the files. force also retries disabled
// scripts whose file did not change (an explicit Reload, e.g. SIGHUP, means "try again").
func (e *Engine) reload(force bool) error {
	paths, err := e.scriptPaths()
	if err != nil {
		return err
	}
	current := make(map[string]*script, len(e.scripts))
	for _, s := range e.scripts {
		current[s.path] = s
	}
	var errs []error
	next := make([]*script, 0, len(paths))
	for _, path := range paths {
		old := current[path]
		delete(current, path)
		if old != nil && old.loadErr == nil && !(force && old.disabled) {
			if src, rerr := os.ReadFile(path); rerr == nil && sha256.Sum256(src) == old.hash {
				next = append(next, old)
				continue
			}
		}
		s, lerr := e.loadScript(path)
		if lerr != nil {
			e.reportLoadError(path, lerr)
			errs = append(errs, lerr)
			if old != nil && old.loadErr == nil {
				e.log.WithField("script", old.name).Warn("keeping the previous version of the script")
				old.reloadErr = lerr
				next = append(next, old)
			} else {
				next = append(next, &script{name: scriptName(path), path: path, loadErr: lerr, closed: true})
			}
			continue
		}
		if old != nil {
			e.unloadScript(old)
		}
		e.commitScript(s)
		next = append(next, s)
	}
	for _, gone := range current {
		e.unloadScript(gone)
		e.log.WithField("script", gone.name).Info("script removed")
	}
	e.scripts = next
	e.rebuildRules()
	return errors.Join(errs...)
}
