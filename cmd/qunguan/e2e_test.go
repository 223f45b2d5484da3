package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"qunguan/db"
)

// The end-to-end tests run the real binary: `qunguan sim` and `qunguan run` as separate
// processes talking over loopback, killed and restarted the way a machine would.

var binary string // built once by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "qunguan-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "qunguan")
	build := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building qunguan for the end-to-end tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// e2eScenario is a small world without a timeline, so every message is one the test injected.
const e2eScenario = `
self: {nickname: 群管家, uin: %d, alias: bot_%d}
friends:
  - {nickname: 阿杰, remark: 杰哥, alias: ajie}
groups:
  - name: 周末徒步群
    owner: self
    members: [{nickname: 阿杰}, {nickname: 小明}]
`

const pingScript = `local bot = require("bot")
bot.hear("^ping", function(msg) msg:reply("pong " .. msg.text) end)
`

// proc is a child process with its output kept for failure messages.
type proc struct {
	cmd *exec.Cmd
	out *bytes.Buffer
	mu  *sync.Mutex
}

func start(t *testing.T, args ...string) *proc {
	t.Helper()
	var mu sync.Mutex
	out := &bytes.Buffer{}
	cmd := exec.Command(binary, args...)
	w := &lockedWriter{mu: &mu, w: out}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, out: out, mu: &mu}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("output of %v:\n%s", args, p.output())
		}
	})
	return p
}

func (p *proc) output() string { p.mu.Lock(); defer p.mu.Unlock(); return p.out.String() }

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startSim runs `qunguan sim` with a scenario for self uin and waits until it answers.
func startSim(t *testing.T, dir string, uin int) string {
	t.Helper()
	scenario := filepath.Join(dir, fmt.Sprintf("scenario-%d.yaml", uin))
	if err := os.WriteFile(scenario, []byte(fmt.Sprintf(e2eScenario, uin, uin)), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	start(t, "sim", "--addr", addr, "--scenario", scenario, "--auto-confirm", "200ms", "--long-poll", "1s", "--seed", fmt.Sprint(uin))
	base := "http://" + addr
	eventually(t, "the simulator answers", func() bool {
		resp, err := http.Get(base + "/_sim/state")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return base
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out: %s", what)
}

func inject(t *testing.T, base string, body map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+"/_sim/inject", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		data, _ := io.ReadAll(resp.Body)
		t.Fatalf("inject: %d %s", resp.StatusCode, data)
	}
}

func loggedIn(base string) bool {
	resp, err := http.Get(base + "/_sim/state")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var st struct {
		Accounts []struct {
			LoggedIn bool `json:"logged_in"`
		}
	}
	_ = json.NewDecoder(resp.Body).Decode(&st)
	return len(st.Accounts) > 0 && st.Accounts[0].LoggedIn
}

func sentTexts(t *testing.T, base string) []string {
	resp, err := http.Get(base + "/_sim/sent")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sent []struct{ Text string }
	_ = json.NewDecoder(resp.Body).Decode(&sent)
	var out []string
	for _, s := range sent {
		out = append(out, s.Text)
	}
	return out
}

func writeConfig(t *testing.T, dir string, accounts map[string]string) string {
	t.Helper()
	scripts := filepath.Join(dir, "scripts")
	if err := os.MkdirAll(scripts, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(scripts, "ping.lua"), []byte(pingScript), 0o644); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = %q\nscripts_dir = %q\nlog_level = \"debug\"\n[outbox]\nper_second = 50.0\n", filepath.Join(dir, "data"), scripts)
	for _, name := range []string{"main", "second"} {
		if ep, ok := accounts[name]; ok {
			fmt.Fprintf(&b, "[[account]]\nname = %q\nendpoint = %q\n", name, ep)
		}
	}
	path := filepath.Join(dir, "qunguan.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// countLogged returns how many times each text of the given account is in the log.
func countLogged(t *testing.T, dbPath, account string) map[string]int {
	t.Helper()
	store, err := db.Open(context.Background(), dbPath, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	counts := map[string]int{}
	err = store.Export(context.Background(), db.Filter{Account: account}, func(m db.LoggedMessage) error {
		counts[m.Text]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

func TestRunSurvivesSIGKILLWithHotLoginAndLogsEveryMessageOnce(t *testing.T) {
	dir := t.TempDir()
	sim := startSim(t, dir, 2100000001)
	cfg := writeConfig(t, dir, map[string]string{"main": sim})
	dbPath := filepath.Join(dir, "data", "qunguan.db")

	bot := start(t, "run", "-c", cfg)
	eventually(t, "the bot logs in", func() bool { return loggedIn(sim) })

	const total = 60
	var want []string
	for i := 0; i < total; i++ {
		text := fmt.Sprintf("消息%03d", i)
		if i%10 == 0 {
			text = fmt.Sprintf("ping %03d", i)
		}
		want = append(want, text)
		inject(t, sim, map[string]any{"kind": "text", "chat": "周末徒步群", "from": "小明", "text": text})
		if i == 25 {
			// The machine dies mid-stream; messages keep arriving while it is down.
			if err := bot.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = bot.cmd.Wait()
		}
		if i == 40 {
			bot = start(t, "run", "-c", cfg)
		}
		time.Sleep(20 * time.Millisecond)
	}
	eventually(t, "every injected message in the log", func() bool {
		counts := countLogged(t, dbPath, "main")
		for _, w := range want {
			if counts[w] == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(1500 * time.Millisecond) // anything duplicated would arrive now
	counts := countLogged(t, dbPath, "main")
	for _, w := range want {
		if counts[w] != 1 {
			t.Errorf("%q is in the log %d times, want exactly once", w, counts[w])
		}
	}
	if !strings.Contains(bot.output(), "method=hot") {
		t.Errorf("the restart did not log in with the saved session (hot login); output:\n%s", bot.output())
	}
	if strings.Contains(bot.output(), "waiting for the QR code") {
		t.Errorf("the restart showed a QR code")
	}
	// Rules fired for pings before and after the crash.
	eventually(t, "pong for the last ping", func() bool {
		return strings.Contains(strings.Join(sentTexts(t, sim), "\n"), "pong ping 050")
	})
	// qunguan log shows them.
	out, err := exec.Command(binary, "log", "search", "消息03", "--db", dbPath).CombinedOutput()
	if err != nil {
		t.Fatalf("qunguan log search: %v\n%s", err, out)
	}
	for i := 31; i < 40; i++ { // 30 is "ping 030"
		if w := fmt.Sprintf("消息%03d", i); !bytes.Contains(out, []byte(w)) {
			t.Errorf("qunguan log search does not show %q:\n%s", w, out)
		}
	}
}

func TestTwoAccountsSideBySide(t *testing.T) {
	dir := t.TempDir()
	simA := startSim(t, dir, 2100000001)
	simB := startSim(t, dir, 2100000002)
	cfg := writeConfig(t, dir, map[string]string{"main": simA, "second": simB})
	dbPath := filepath.Join(dir, "data", "qunguan.db")
	start(t, "run", "-c", cfg)
	eventually(t, "both accounts log in", func() bool { return loggedIn(simA) && loggedIn(simB) })
	inject(t, simA, map[string]any{"kind": "text", "chat": "周末徒步群", "from": "小明", "text": "ping A"})
	inject(t, simB, map[string]any{"kind": "text", "chat": "周末徒步群", "from": "小明", "text": "ping B"})
	eventually(t, "each account answers its own chat", func() bool {
		return strings.Contains(strings.Join(sentTexts(t, simA), "|"), "pong ping A") &&
			strings.Contains(strings.Join(sentTexts(t, simB), "|"), "pong ping B")
	})
	a, b := countLogged(t, dbPath, "main"), countLogged(t, dbPath, "second")
	if a["ping A"] != 1 || a["ping B"] != 0 || b["ping B"] != 1 || b["ping A"] != 0 {
		t.Errorf("messages landed in the wrong account: main %v, second %v", a, b)
	}
	if sa, sb := sentTexts(t, simA), sentTexts(t, simB); strings.Contains(strings.Join(sa, "|"), "ping B") || strings.Contains(strings.Join(sb, "|"), "ping A") {
		t.Errorf("a reply went to the other account: A sent %v, B sent %v", sa, sb)
	}
}

func TestRunRefusesABadConfigWithFileLineAndKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(path, []byte("[[account]]\nname = \"main\"\nmode = \"phone\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "run", "-c", path).CombinedOutput()
	if err == nil {
		t.Fatal("qunguan run accepted a bad config")
	}
	for _, want := range []string{"bad.toml:3", "mode", "desktop"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("error output %q does not mention %q", out, want)
		}
	}
	if bytes.Contains(out, []byte("goroutine")) {
		t.Errorf("a stack trace was printed: %s", out)
	}
}
