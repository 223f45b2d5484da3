package engine

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// MemoryKV is a KV kept in memory, expiring entries on the given clock. The engine uses it
// when Options.KV is nil, and script tests use it as their store.
type MemoryKV struct {
	clock Clock
	mu    sync.Mutex
	items map[[2]string]kvItem
}

type kvItem struct {
	value   string
	expires time.Time // zero: never
}

// NewMemoryKV returns an empty store.
func NewMemoryKV(clock Clock) *MemoryKV {
	if clock == nil {
		clock = RealClock{}
	}
	return &MemoryKV{clock: clock, items: make(map[[2]string]kvItem)}
}

func (m *MemoryKV) getLocked(script, key string) (kvItem, bool) {
	item, ok := m.items[[2]string{script, key}]
	if ok && !item.expires.IsZero() && !m.clock.Now().Before(item.expires) {
		delete(m.items, [2]string{script, key})
		return kvItem{}, false
	}
	return item, ok
}

func (m *MemoryKV) expiry(ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return m.clock.Now().Add(ttl)
}

// Get implements KV.
func (m *MemoryKV) Get(_ context.Context, script, key string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	item, ok := m.getLocked(script, key)
	return item.value, ok, nil
}

// Set implements KV.
func (m *MemoryKV) Set(_ context.Context, script, key, value string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[[2]string{script, key}] = kvItem{value: value, expires: m.expiry(ttl)}
	return nil
}

// Incr implements KV. A ttl of 0 keeps the entry's current expiry.
func (m *MemoryKV) Incr(_ context.Context, script, key string, delta int64, ttl time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	item, ok := m.getLocked(script, key)
	var n int64
	if ok {
		var err error
		if n, err = strconv.ParseInt(item.value, 10, 64); err != nil {
			return 0, fmt.Errorf("incr %q: the stored value is not an integer", key)
		}
	}
	n += delta
	item.value = strconv.FormatInt(n, 10)
	if ttl > 0 {
		item.expires = m.expiry(ttl)
	}
	m.items[[2]string{script, key}] = item
	return n, nil
}

// Delete implements KV.
func (m *MemoryKV) Delete(_ context.Context, script, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.items, [2]string{script, key})
	return nil
}
