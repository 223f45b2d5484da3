package db

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus/hooks/test"

	"qunguan/wx"
)

// crashEnv, when set, makes the test binary the crash test's child: it commits batches into
// the database at that path until it is killed.
const crashEnv = "QUNGUAN_DB_CRASH_CHILD"

// crashBatchSize is the number of messages per batch in the crash test.
const crashBatchSize = 20

func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		if err := crashChild(path); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	code := m.Run()
	if benchFix.d != nil {
		benchFix.d.Close()
	}
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// crashBatch is batch number n: crashBatchSize messages and a session whose SyncKey encodes n.
func crashBatch(n int) *wx.Batch {
	group := wx.Peer{UserName: "@@" + strings.Repeat("ab", 32), NickName: "压力测试群", IsGroup: true}
	sender := wx.Peer{UserName: "@" + strings.Repeat("cd", 16), NickName: "写手"}
	b := &wx.Batch{Account: "main", Uin: selfUin,
		Session: &wx.Session{Uin: selfUin, SelfUserName: "@" + strings.Repeat("ef", 16), Host: "wx2.qq.com",
			SyncKey: wx.SyncKey{Count: 2, List: []wx.KeyVal{{Key: 1, Val: int64(n)}, {Key: 2, Val: int64(n) * 7}}}}}
	for i := 0; i < crashBatchSize; i++ {
		b.Events = append(b.Events, textMsg(fmt.Sprintf("b%d-m%d", n, i), group, sender,
			fmt.Sprintf("第%d批第%d条消息，崩溃测试 crash test", n, i), time.Unix(1_700_000_000+int64(n), 0)))
	}
	return b
}

// crashChild resumes after the last batch the saved session says is complete and commits
// batches forever, printing each number once Commit returned.
func crashChild(path string) error {
	ctx := context.Background()
	logger, _ := test.NewNullLogger()
	d, err := Open(ctx, path, Options{Logger: logger})
	if err != nil {
		return err
	}
	next := 1
	if s, err := d.LoadSession(ctx, "main"); err == nil {
		next = int(s.SyncKey.List[0].Val) + 1
	}
	for n := next; ; n++ {
		if _, err := d.Commit(ctx, crashBatch(n)); err != nil {
			return err
		}
		fmt.Printf("committed %d\n", n)
	}
}

func TestCrashKeepsBatchesWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	lastReported := 0
	for round := 1; round <= 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan int)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "committed ")); err == nil {
					lines <- n
				}
			}
		}()
		// Let it commit for a random while after its first commit, then SIGKILL it.
		var deadline <-chan time.Time
		timeout := time.After(60 * time.Second)
		reported := 0
	wait:
		for {
			select {
			case n, ok := <-lines:
				if !ok {
					t.Fatalf("round %d: child exited on its own: %s", round, stderr.String())
				}
				reported = n
				if deadline == nil {
					deadline = time.After(time.Duration(100+rand.IntN(400)) * time.Millisecond)
				}
			case <-deadline:
				break wait
			case <-timeout:
				cmd.Process.Kill()
				t.Fatalf("round %d: no commit within 60s: %s", round, stderr.String())
			}
		}
		if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred cleanup, no flush
			t.Fatal(err)
		}
		for n := range lines { // commits reported between the decision and the kill
			reported = n
		}
		cmd.Wait()
		if reported <= lastReported {
			t.Fatalf("round %d: no progress (%d after %d)", round, reported, lastReported)
		}
		lastReported = reported
		checkCrashDB(t, path, round, reported)
	}
}

// checkCrashDB reopens the database after a kill: it must be intact, hold every batch the
// child reported whole, no batch in part, and a SyncKey naming the last complete batch.
func checkCrashDB(t *testing.T, path string, round, reported int) {
	t.Helper()
	ctx := context.Background()
	d, err := Open(ctx, path, quiet())
	if err != nil {
		t.Fatalf("round %d: reopen: %v", round, err)
	}
	defer d.Close()
	var check string
	if err := d.writer.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("round %d: integrity_check: %q %v", round, check, err)
	}
	if _, err := d.writer.Exec(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Fatalf("round %d: FTS integrity: %v", round, err)
	}
	s, err := d.LoadSession(ctx, "main")
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	saved := int(s.SyncKey.List[0].Val)
	if saved < reported {
		t.Fatalf("round %d: SyncKey says batch %d, but the child reported %d committed", round, saved, reported)
	}
	if s.SyncKey.List[1].Val != int64(saved)*7 {
		t.Errorf("round %d: SyncKey torn: %v", round, s.SyncKey)
	}
	rows, err := d.readers.Query(`SELECT CAST(substr(msg_id, 2, instr(msg_id, '-') - 2) AS INTEGER) AS b, COUNT(*)
FROM messages WHERE msg_id GLOB 'b*-m*' GROUP BY b ORDER BY b`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := 1
	for rows.Next() {
		var b, n int
		rows.Scan(&b, &n)
		if b != want {
			t.Fatalf("round %d: batch %d missing (next present is %d)", round, want, b)
		}
		if n != crashBatchSize {
			t.Fatalf("round %d: batch %d has %d of %d messages", round, b, n, crashBatchSize)
		}
		want++
	}
	if want-1 != saved {
		t.Fatalf("round %d: log holds batches 1..%d, SyncKey says %d", round, want-1, saved)
	}
	var queued int
	d.readers.QueryRow(`SELECT COUNT(*) FROM dispatch_queue`).Scan(&queued)
	if queued != saved*crashBatchSize {
		t.Errorf("round %d: %d queued events for %d messages", round, queued, saved*crashBatchSize)
	}
	t.Logf("round %d: child reported %d, log and SyncKey at batch %d", round, reported, saved)
}
