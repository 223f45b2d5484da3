package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memSampler records the peaks of the Go heap in use and of the memory Go holds from the
// system, by sampling runtime.MemStats (a short stop-the-world each time).
type memSampler struct {
	stop chan struct{}
	done chan struct{}
	// profile, when set, receives a heap profile each time the peak grows by a tenth: the
	// last one written is the heap near its peak.
	profile  string
	profiled uint64

	mu       sync.Mutex
	peakHeap uint64
	peakSys  uint64
}

func startMemSampler(every time.Duration, profile string) *memSampler {
	m := &memSampler{stop: make(chan struct{}), done: make(chan struct{}), profile: profile}
	go func() {
		defer close(m.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			m.sample()
			select {
			case <-m.stop:
				m.sample()
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memSampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.mu.Lock()
	m.peakHeap = max(m.peakHeap, ms.HeapInuse)
	m.peakSys = max(m.peakSys, ms.Sys)
	write := m.profile != "" && ms.HeapInuse > m.profiled+m.profiled/10
	if write {
		m.profiled = ms.HeapInuse
	}
	m.mu.Unlock()
	if write {
		if f, err := os.Create(m.profile); err == nil {
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
}

// finish stops sampling and returns the peaks.
func (m *memSampler) finish() (heapInuse, sys uint64) {
	close(m.stop)
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.peakHeap, m.peakSys
}

// procStatus reads a "Key:   123 kB" line of /proc/<pid>/status in bytes ("self" for this
// process). VmHWM is the peak resident set, VmRSS the current one.
func procStatus(pid, key string) (uint64, error) {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != key {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			break
		}
		n, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return 0, err
		}
		if len(fields) > 1 && fields[1] == "kB" {
			n *= 1024
		}
		return n, nil
	}
	return 0, fmt.Errorf("%s not in /proc/%s/status", key, pid)
}

// heapAfterGC is the heap in use and the goroutine count after a full collection: what a
// leak check compares.
func heapAfterGC() (heapInuse uint64, goroutines int) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, runtime.NumGoroutine()
}
