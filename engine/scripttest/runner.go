package scripttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"qunguan/engine"
)

// Options configures a test run. Zero values have defaults.
type Options struct {
	// Location is the time zone scripts run in (cron, bot.at, os.date). Default time.Local,
	// like the daemon.
	Location *time.Location
	// Config holds each script's bot.config, by script name; t.config overrides it.
	Config map[string]map[string]any
	// Start is where the virtual clock starts. Default: Monday 2026-01-05 09:00 in Location.
	Start time.Time
	// HandlerTimeout is the engine's per-handler deadline. Default 2 s.
	HandlerTimeout time.Duration
	// TestTimeout bounds one test function in real time. Default 30 s.
	TestTimeout time.Duration
	// Logger receives the engine's log. Default: discarded.
	Logger logrus.FieldLogger
}

// Result is the outcome of one test function.
type Result struct {
	File     string // the _test.lua file
	Script   string // the script under test
	Name     string // test function name, or the name given to t.test
	Line     int    // where the test is defined
	Passed   bool
	Failure  string // "foo_test.lua:12: …" when failed
	Duration time.Duration
}

// Failed reports whether any result failed.
func Failed(results []Result) bool {
	for _, r := range results {
		if !r.Passed {
			return true
		}
	}
	return false
}

// Run runs every *_test.lua file in dir, each against the script of the same name without
// "_test" (foo_test.lua tests foo.lua).
func Run(ctx context.Context, dir string, opts Options) ([]Result, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("scripttest: read %s: %w", dir, err)
	}
	var results []Result
	for _, entry := range entries {
		if entry.IsDir() || !strings.HasSuffix(entry.Name(), "_test.lua") {
			continue
		}
		rs, err := RunFile(ctx, filepath.Join(dir, entry.Name()), opts)
		if err != nil {
			return results, err
		}
		results = append(results, rs...)
	}
	return results, nil
}

// RunFile runs the tests of one _test.lua file. Each test function gets a fresh world, a
// fresh virtual clock and a fresh engine with the script loaded.
func RunFile(ctx context.Context, testFile string, opts Options) ([]Result, error) {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Start.IsZero() {
		opts.Start = time.Date(2026, 1, 5, 9, 0, 0, 0, opts.Location)
	}
	if opts.TestTimeout <= 0 {
		opts.TestTimeout = 30 * time.Second
	}
	if opts.Logger == nil {
		quiet := logrus.New()
		quiet.SetOutput(io.Discard)
		opts.Logger = quiet
	}
	scriptPath := strings.TrimSuffix(testFile, "_test.lua") + ".lua"
	scriptName := strings.TrimSuffix(filepath.Base(scriptPath), ".lua")
	fail := func(msg string) []Result {
		return []Result{{File: testFile, Script: scriptName, Name: "(load)", Failure: msg}}
	}
	if _, err := os.Stat(scriptPath); err != nil {
		return fail(fmt.Sprintf("%s: no script %s next to it", testFile, filepath.Base(scriptPath))), nil
	}
	src, err := os.ReadFile(testFile)
	if err != nil {
		return nil, fmt.Errorf("scripttest: %w", err)
	}

	run := &testRun{opts: opts, scriptPath: scriptPath, scriptName: scriptName, spec: defaultWorld(),
		config: opts.Config[scriptName], start: opts.Start, baseCtx: ctx}
	L := newTestVM(run)
	defer L.Close()
	defer run.stopEngine()

	chunk, err := parse.Parse(bytes.NewReader(src), testFile)
	if err != nil {
		return fail(fmt.Sprintf("%s: %s", testFile, strings.TrimSpace(err.Error()))), nil
	}
	proto, err := lua.Compile(chunk, testFile)
	if err != nil {
		return fail(err.Error()), nil
	}
	run.topLevel = true
	if err := callWithTimeout(ctx, L, L.NewFunctionFromProto(proto), opts.TestTimeout); err != nil {
		return fail(luaMessage(err)), nil
	}
	run.topLevel = false

	tests := run.registered
	var globals []namedTest
	L.G.Global.ForEach(func(k, v lua.LValue) {
		name, ok := k.(lua.LString)
		fn, isFn := v.(*lua.LFunction)
		if ok && isFn && strings.HasPrefix(string(name), "test_") && fn.Proto != nil {
			globals = append(globals, namedTest{name: string(name), fn: fn, line: fn.Proto.LineDefined})
		}
	})
	sort.Slice(globals, func(i, j int) bool { return globals[i].line < globals[j].line })
	tests = append(tests, globals...)
	if len(tests) == 0 {
		return fail(testFile + ": no tests (define functions named test_… or call t.test(name, fn))"), nil
	}

	results := make([]Result, 0, len(tests))
	for _, tc := range tests {
		started := time.Now()
		res := Result{File: testFile, Script: scriptName, Name: tc.name, Line: tc.line}
		run.reset()
		if err := run.startEngine(ctx); err != nil {
			res.Failure = err.Error()
		} else if err := callWithTimeout(ctx, L, tc.fn, opts.TestTimeout); err != nil {
			res.Failure = luaMessage(err)
		} else if errs := run.unexpectedErrors(); len(errs) > 0 {
			res.Failure = fmt.Sprintf("%s:%d: the script failed during %s: %s", testFile, tc.line, tc.name, strings.Join(errs, "; "))
		}
		run.stopEngine()
		res.Passed = res.Failure == ""
		res.Duration = time.Since(started)
		results = append(results, res)
		if ctx.Err() != nil {
			break
		}
	}
	return results, nil
}

type namedTest struct {
	name string
	fn   *lua.LFunction
	line int
}

func callWithTimeout(ctx context.Context, L *lua.LState, fn *lua.LFunction, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	L.SetContext(ctx)
	defer L.RemoveContext()
	L.Push(fn)
	return L.PCall(0, 0, nil)
}

func luaMessage(err error) string {
	var apiErr *lua.ApiError
	msg := err.Error()
	if errors.As(err, &apiErr) && apiErr.Object != nil {
		msg = apiErr.Object.String()
	}
	if i := strings.Index(msg, "\nstack traceback:"); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimSpace(msg)
}

// testRun is the state behind require("test") for one test file.
type testRun struct {
	opts       Options
	scriptPath string
	scriptName string
	topLevel   bool
	registered []namedTest

	// Declared at top level (defaults) or in a test (this test only).
	spec   worldSpec
	config map[string]any
	start  time.Time
	saved  struct {
		spec   worldSpec
		config map[string]any
		start  time.Time
		set    bool
	}

	baseCtx context.Context
	world   *World
	clock   *engine.VirtualClock
	eng     *engine.Engine
	cancel  context.CancelFunc
	done    chan struct{}
	ctx     context.Context

	errMu    sync.Mutex
	errs     []*engine.ScriptError
	expected int // handler errors consumed by t.expect_error
}

// reset restores the top-level declarations before each test.
func (r *testRun) reset() {
	if !r.saved.set {
		r.saved.spec, r.saved.config, r.saved.start, r.saved.set = r.spec, r.config, r.start, true
	}
	r.spec, r.config, r.start = r.saved.spec, r.saved.config, r.saved.start
	r.errMu.Lock()
	r.errs, r.expected = nil, 0
	r.errMu.Unlock()
}

// startEngine builds a fresh world, clock and engine with the script loaded.
func (r *testRun) startEngine(ctx context.Context) error {
	r.stopEngine()
	r.world = newWorld(r.spec)
	r.clock = engine.NewVirtualClock(r.start)
	config := map[string]map[string]any{}
	for k, v := range r.opts.Config {
		config[k] = v
	}
	config[r.scriptName] = r.config
	eng, err := engine.New(engine.Options{
		Account: "test", Files: []string{r.scriptPath},
		Sender: r.world, History: r.world, Contacts: r.world, KV: engine.NewMemoryKV(r.clock),
		Clock: r.clock, Location: r.opts.Location, Config: config, Logger: r.opts.Logger,
		// As in the daemon, every script's bot.config has alert_to.
		ConfigDefaults: map[string]any{"alert_to": "filehelper"},
		HandlerTimeout: r.opts.HandlerTimeout,
		OnHandlerError: func(err *engine.ScriptError) {
			r.errMu.Lock()
			r.errs = append(r.errs, err)
			r.errMu.Unlock()
		},
	})
	if err != nil {
		return err
	}
	for _, s := range eng.Scripts() {
		if s.Err != nil {
			return fmt.Errorf("the script did not load: %w", s.Err)
		}
	}
	r.eng = eng
	runCtx, cancel := context.WithCancel(ctx)
	r.ctx, r.cancel, r.done = runCtx, cancel, make(chan struct{})
	go func() {
		defer close(r.done)
		_ = eng.Run(runCtx)
	}()
	return nil
}

func (r *testRun) stopEngine() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel, r.eng = nil, nil
	}
}

func (r *testRun) unexpectedErrors() []string {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	var out []string
	for _, err := range r.errs[r.expected:] {
		out = append(out, scriptErrorText(err))
	}
	return out
}

func scriptErrorText(err *engine.ScriptError) string {
	return fmt.Sprintf("%s:%d: %v (in %s)", filepath.Base(err.Path), err.Line, err.Err, err.What)
}
