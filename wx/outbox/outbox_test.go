package outbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"qunguan/wx"
	"qunguan/wx/outbox"
	"qunguan/wx/wxsim"
)

type fixture struct {
	t     *testing.T
	url   string
	c     *wx.Client
	group string // UserName of the first demo group
}

func setup(t *testing.T, opts wxsim.Options) *fixture {
	t.Helper()
	opts.Seed, opts.LongPoll, opts.AutoConfirm = 7, 200*time.Millisecond, 10*time.Millisecond
	s, err := wxsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	l := logrus.New()
	l.SetOutput(io.Discard)
	c, err := wx.New(wx.Options{Endpoint: srv.URL, Logger: logrus.NewEntry(l)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	sc, _ := wxsim.DemoScenario()
	return &fixture{t: t, url: srv.URL, c: c, group: c.Book().Find(sc.Groups[0].Name)[0].UserName}
}

func (f *fixture) control(path string, body any, out any) {
	f.t.Helper()
	b, _ := json.Marshal(body)
	method := "POST"
	if body == nil {
		method = "GET"
	}
	req, _ := http.NewRequest(method, f.url+"/_sim/"+path, bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
}

type results struct {
	mu  sync.Mutex
	all []outbox.Result
}

func (r *results) add(res outbox.Result) { r.mu.Lock(); r.all = append(r.all, res); r.mu.Unlock() }
func (r *results) get() []outbox.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]outbox.Result(nil), r.all...)
}

func waitResults(t *testing.T, r *results, n int, within time.Duration) []outbox.Result {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if got := r.get(); len(got) >= n {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("only %d of %d results within %v", len(r.get()), n, within)
	return nil
}

func TestPacesSendsAndReportsMsgIDs(t *testing.T) {
	f := setup(t, wxsim.Options{})
	var r results
	ob := outbox.New(f.c, outbox.Options{PerSecond: 20, Jitter: 0.1, OnResult: r.add})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ob.Run(ctx)
	start := time.Now()
	for i := 0; i < 5; i++ {
		if err := ob.Enqueue(outbox.Job{To: f.group, Text: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
	got := waitResults(t, &r, 5, 5*time.Second)
	for _, res := range got {
		if res.Err != nil || res.Sent.MsgID == "" {
			t.Fatalf("result %+v: want a MsgID", res)
		}
	}
	// 5 sends at 20/s are at least 4 intervals of 50 ms apart.
	if el := got[4].At.Sub(start); el < 190*time.Millisecond {
		t.Errorf("5 sends took %v; pacing at 20/s needs ≥ 200 ms", el)
	}
}

func TestPerChatLimit(t *testing.T) {
	f := setup(t, wxsim.Options{})
	var r results
	ob := outbox.New(f.c, outbox.Options{PerSecond: 1000, PerChatPerMinute: 3, OnResult: r.add})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ob.Run(ctx)
	for i := 0; i < 5; i++ {
		_ = ob.Enqueue(outbox.Job{To: f.group, Text: "spam"})
	}
	_ = ob.Enqueue(outbox.Job{To: "filehelper", Text: "other chat goes on"})
	got := waitResults(t, &r, 4, 3*time.Second)
	time.Sleep(200 * time.Millisecond)
	got = r.get()
	if len(got) != 4 {
		t.Fatalf("%d sent within the minute, want 3 to the group + 1 to filehelper", len(got))
	}
	if ob.Len() != 2 {
		t.Errorf("queue holds %d, want the 2 over the per-chat limit", ob.Len())
	}
}

func TestBacksOffOn1205AndRetries(t *testing.T) {
	f := setup(t, wxsim.Options{})
	f.control("faults", map[string]any{"rate_1205": 1.0}, nil)
	var r results
	ob := outbox.New(f.c, outbox.Options{PerSecond: 1000, Backoff1205: 300 * time.Millisecond, OnResult: r.add})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ob.Run(ctx)
	start := time.Now()
	_ = ob.Enqueue(outbox.Job{To: f.group, Text: "patience"})
	time.Sleep(100 * time.Millisecond)
	f.control("faults", map[string]any{"rate_1205": 0.0}, nil)
	got := waitResults(t, &r, 1, 5*time.Second)
	if got[0].Err != nil || got[0].Attempts != 2 {
		t.Fatalf("result = %+v, want success on the second attempt", got[0])
	}
	if el := got[0].At.Sub(start); el < 300*time.Millisecond {
		t.Errorf("retried after %v, want the 1205 back-off (300 ms) first", el)
	}
}

func TestGivesUpAfterMaxAttemptsAndReports(t *testing.T) {
	f := setup(t, wxsim.Options{})
	f.control("faults", map[string]any{"rate_1205": 1.0}, nil)
	var r results
	ob := outbox.New(f.c, outbox.Options{PerSecond: 1000, Backoff1205: 20 * time.Millisecond, MaxAttempts: 2, OnResult: r.add})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ob.Run(ctx)
	_ = ob.Enqueue(outbox.Job{To: f.group, Text: "never"})
	got := waitResults(t, &r, 1, 5*time.Second)
	if !errors.Is(got[0].Err, wx.ErrTooOften) || got[0].Attempts != 2 {
		t.Fatalf("result = %+v, want ErrTooOften after 2 attempts", got[0])
	}
}

func TestMediaJobsAndMissingFile(t *testing.T) {
	f := setup(t, wxsim.Options{})
	dir := t.TempDir()
	img := filepath.Join(dir, "pic.png")
	if err := os.WriteFile(img, []byte("png"), 0o644); err != nil {
		t.Fatal(err)
	}
	var r results
	ob := outbox.New(f.c, outbox.Options{PerSecond: 1000, OnResult: r.add})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ob.Run(ctx)
	_ = ob.Enqueue(outbox.Job{To: f.group, Kind: outbox.Image, Path: img})
	_ = ob.Enqueue(outbox.Job{To: f.group, Kind: outbox.File, Path: filepath.Join(dir, "missing.pdf")})
	got := waitResults(t, &r, 2, 5*time.Second)
	if got[0].Err != nil || got[0].Sent.MsgID == "" {
		t.Errorf("image: %+v", got[0])
	}
	if !errors.Is(got[1].Err, os.ErrNotExist) || got[1].Attempts != 1 {
		t.Errorf("missing file: %+v, want os.ErrNotExist without retries", got[1])
	}
}

func TestDrainSendsWhatIsLeft(t *testing.T) {
	f := setup(t, wxsim.Options{})
	var r results
	ob := outbox.New(f.c, outbox.Options{PerSecond: 100, OnResult: r.add})
	for i := 0; i < 3; i++ {
		_ = ob.Enqueue(outbox.Job{To: f.group, Text: "bye"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if n := ob.Drain(ctx); n != 3 || len(r.get()) != 3 {
		t.Fatalf("drained %d (results %d), want 3", n, len(r.get()))
	}
}
